/** Parameter parsing for the JSON-RPC methods: each helper throws an InvalidParams RpcError. */
import { hexToBytes } from '@ethwire/rlp-wire'
import { RpcError, RpcErrorCode } from './dispatch.js'

/** A hex quantity (`0x0`, `0x1f`). */
export const qty = (n: bigint | number) => `0x${n.toString(16)}`

export function invalid(message: string): never {
  throw new RpcError(RpcErrorCode.InvalidParams, message)
}

export function param(params: unknown[], i: number, name: string): unknown {
  if (params.length <= i || params[i] === undefined)
    invalid(`missing value for required argument ${i} (${name})`)
  return params[i]
}

export function hashParam(params: unknown[], i: number): Uint8Array {
  const v = param(params, i, 'hash')
  if (typeof v === 'string' && !v.startsWith('0x'))
    invalid(
      `invalid argument ${i}: json: cannot unmarshal hex string without 0x prefix into Go value of type common.Hash`,
    )
  if (typeof v !== 'string' || !/^0x[0-9a-fA-F]{64}$/.test(v))
    invalid(`invalid argument ${i}: hex string of 32 bytes expected`)
  return hexToBytes(v)
}

export function addressParam(params: unknown[], i: number): Uint8Array {
  const v = param(params, i, 'address')
  if (typeof v !== 'string' || !/^0x[0-9a-fA-F]{40}$/.test(v))
    invalid(`invalid argument ${i}: hex string of 20 bytes expected`)
  return hexToBytes(v)
}

export function boolParam(params: unknown[], i: number): boolean {
  const v = params[i]
  if (v === undefined || v === null) return false
  if (typeof v !== 'boolean') invalid(`invalid argument ${i}: boolean expected`)
  return v
}

export function dataParam(params: unknown[], i: number): Uint8Array {
  const v = param(params, i, 'data')
  if (typeof v !== 'string' || !/^0x([0-9a-fA-F]{2})*$/.test(v))
    invalid(`invalid argument ${i}: hex data expected`)
  return hexToBytes(v)
}

/** A hex quantity value (no leading zeros), e.g. a field of a call object. */
export function quantity(v: unknown, what: string): bigint {
  if (typeof v !== 'string' || !/^0x(0|[1-9a-fA-F][0-9a-fA-F]*)$/.test(v))
    invalid(`invalid argument: ${what}: hex number without leading zeros expected`)
  return BigInt(v)
}

/** Hex data value (even length), e.g. a field of a call object. */
export function data(v: unknown, what: string): Uint8Array {
  if (typeof v !== 'string' || !/^0x([0-9a-fA-F]{2})*$/.test(v))
    invalid(`invalid argument: ${what}: hex data expected`)
  return hexToBytes(v)
}

/** A 32-byte storage slot: any hex quantity up to 32 bytes, left-padded (go-ethereum accepts both). */
export function slotParam(params: unknown[], i: number): Uint8Array {
  const v = param(params, i, 'slot')
  if (typeof v !== 'string' || !/^0x[0-9a-fA-F]{1,64}$/.test(v))
    invalid(`invalid argument ${i}: hex string of at most 32 bytes expected`)
  return hexToBytes(`0x${v.slice(2).padStart(64, '0')}`)
}

export type BlockTag = 'latest' | 'earliest' | 'pending' | 'safe' | 'finalized'

/** A block parameter: a tag, a number, a hash, or an EIP-1898 object. */
export type BlockRef =
  | { tag: BlockTag }
  | { number: bigint }
  | { hash: Uint8Array; requireCanonical: boolean }

const TAGS = new Set<string>(['latest', 'earliest', 'pending', 'safe', 'finalized'])

/** Block number or tag only (eth_getBlockByNumber and the like). */
export function blockNumberParam(params: unknown[], i: number): BlockRef {
  const v = param(params, i, 'blockNumber')
  if (typeof v !== 'string') invalid(`invalid argument ${i}: block number or tag expected`)
  if (TAGS.has(v)) return { tag: v as BlockTag }
  if (!v.startsWith('0x')) invalid(`invalid argument ${i}: hex string without 0x prefix`)
  if (!/^0x(0|[1-9a-fA-F][0-9a-fA-F]{0,15})$/.test(v))
    invalid(`invalid argument ${i}: hex number without leading zeros expected`)
  return { number: BigInt(v) }
}

/**
 * Block number, tag or hash (EIP-1898: also `{ blockNumber }` / `{ blockHash, requireCanonical }`),
 * for the state methods; missing = `latest`.
 */
export function blockRefParam(params: unknown[], i: number, required = false): BlockRef {
  const v = required ? param(params, i, 'blockNrOrHash') : params[i]
  if (v === undefined || v === null) return { tag: 'latest' }
  if (typeof v === 'string') {
    if (/^0x[0-9a-fA-F]{64}$/.test(v)) return { hash: hexToBytes(v), requireCanonical: false }
    return blockNumberParam(params, i)
  }
  if (typeof v === 'object' && !Array.isArray(v)) {
    const o = v as { blockNumber?: unknown; blockHash?: unknown; requireCanonical?: unknown }
    if (o.blockHash !== undefined && o.blockNumber !== undefined)
      invalid(`invalid argument ${i}: cannot specify both BlockHash and BlockNumber`)
    if (typeof o.blockHash === 'string' && /^0x[0-9a-fA-F]{64}$/.test(o.blockHash))
      return { hash: hexToBytes(o.blockHash), requireCanonical: o.requireCanonical === true }
    if (o.blockNumber !== undefined) return blockNumberParam([o.blockNumber], 0)
  }
  invalid(`invalid argument ${i}: block number, tag or hash expected`)
}
