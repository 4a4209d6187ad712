/** Account and storage-value encodings, and the well-known empty hashes. */
import {
  bytesToBigInt,
  EMPTY_TRIE_ROOT,
  keccak256,
  type RlpItem,
  rlpDecode,
  rlpEncode,
} from '@ethwire/rlp-wire'
import { StateError } from './errors.js'
import type { Account } from './types.js'

/** Root of the empty trie: keccak256(rlp('')). */
export const EMPTY_ROOT: Uint8Array = EMPTY_TRIE_ROOT
/** keccak256 of empty code. */
export const EMPTY_CODE_HASH: Uint8Array = keccak256(new Uint8Array(0))

export function encodeAccount(a: Account): Uint8Array {
  return rlpEncode([a.nonce, a.balance, a.storageRoot, a.codeHash])
}

function asBytes(x: RlpItem | undefined, what: string): Uint8Array {
  if (!(x instanceof Uint8Array)) throw new StateError('ErrBadNode', `account ${what}: not bytes`)
  return x
}

export function decodeAccount(raw: Uint8Array): Account {
  let item: RlpItem
  try {
    item = rlpDecode(raw)
  } catch (err) {
    throw new StateError('ErrBadNode', 'undecodable account', { cause: err })
  }
  if (!Array.isArray(item) || item.length !== 4) {
    throw new StateError('ErrBadNode', 'account is not a list of four')
  }
  return {
    nonce: bytesToBigInt(asBytes(item[0], 'nonce')),
    balance: bytesToBigInt(asBytes(item[1], 'balance')),
    storageRoot: asBytes(item[2], 'storageRoot').slice(),
    codeHash: asBytes(item[3], 'codeHash').slice(),
  }
}

/** RLP of a 32-byte storage value with its leading zeros stripped (the value must not be zero). */
export function encodeStorageValue(v: Uint8Array): Uint8Array {
  let i = 0
  while (i < v.length && v[i] === 0) i++
  return rlpEncode(v.subarray(i))
}

/** A stored storage value back to 32 bytes. */
export function decodeStorageValue(raw: Uint8Array): Uint8Array {
  let item: RlpItem
  try {
    item = rlpDecode(raw)
  } catch (err) {
    throw new StateError('ErrBadNode', 'undecodable storage value', { cause: err })
  }
  if (!(item instanceof Uint8Array) || item.length > 32) {
    throw new StateError('ErrBadNode', 'storage value is not a string of at most 32 bytes')
  }
  const out = new Uint8Array(32)
  out.set(item, 32 - item.length)
  return out
}

export function isZero(v: Uint8Array): boolean {
  for (let i = 0; i < v.length; i++) if (v[i] !== 0) return false
  return true
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

export function checkLength(b: Uint8Array, len: number, what: string): void {
  if (!(b instanceof Uint8Array) || b.length !== len) {
    throw new StateError('ErrInvalidArgument', `${what} must be ${len} bytes`)
  }
}
