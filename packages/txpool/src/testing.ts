/**
 * Test doubles for @ethwire/txpool: a map-backed state reader and a signed-transaction factory.
 */
import { privateKeyToAddress, sign } from '@ethwire/crypto'
import { Transaction, type TxData } from '@ethwire/rlp-wire'
import type { StateReader } from './types.js'

export { createMemoryJournal } from './journal.js'

const hex = (b: Uint8Array) => `0x${Buffer.from(b).toString('hex')}`

/** State from a map of '0x' address → { nonce, balance }; unknown accounts are empty. */
export function createMemoryState(
  accounts: Record<string, { nonce?: bigint; balance?: bigint }> = {},
): StateReader & { set(addr: Uint8Array, v: { nonce?: bigint; balance?: bigint }): void } {
  const m = new Map(Object.entries(accounts).map(([k, v]) => [k.toLowerCase(), v]))
  return {
    getNonce: (a) => m.get(hex(a))?.nonce ?? 0n,
    getBalance: (a) => m.get(hex(a))?.balance ?? 0n,
    set(a, v) {
      m.set(hex(a), { ...m.get(hex(a)), ...v })
    },
  }
}

/** Signs transaction data with a private key (sets v, r, s; legacy uses EIP-155 when chainId is set). */
export function signTx(data: Omit<TxData, 'v' | 'r' | 's'>, key: Uint8Array): Transaction {
  const unsigned = Transaction.fromData({
    ...data,
    v: data.type === 0 ? 27n : 0n,
    r: 0n,
    s: 0n,
  } as TxData)
  const sig = sign(unsigned.sigHash(), key)
  let v = BigInt(sig.recovery)
  if (data.type === 0) v = data.chainId === undefined ? 27n + v : 35n + 2n * data.chainId + v
  return Transaction.fromData({ ...data, v, r: sig.r, s: sig.s } as TxData)
}

/** A test key for index i and its address. */
export function testAccount(i: number): { key: Uint8Array; address: Uint8Array } {
  const key = new Uint8Array(32)
  key[0] = 0x42
  key[31] = (i + 1) & 0xff
  key[30] = ((i + 1) >> 8) & 0xff
  return { key, address: privateKeyToAddress(key) }
}
