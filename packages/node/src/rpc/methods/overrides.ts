/**
 * The state and block overrides of `eth_call` / `eth_estimateGas` / `eth_createAccessList`, read
 * as go-ethereum's `internal/ethapi/override` takes them (`StateOverride`, `BlockOverrides`), with
 * its errors: a malformed field is invalid params (-32602, `invalid argument N: …`); an account
 * with both `state` and `stateDiff` is go-ethereum's `account 0x… has both 'state' and
 * 'stateDiff'` (-32000, as its `Apply` returns it).
 */
import type { AccountOverride, BlockOverrides } from '@ethwire/executor'
import { hexToBytes } from '@ethwire/rlp-wire'
import { toChecksumAddress } from '../../accounts/address.js'
import { RpcError, RpcErrorCode } from '../dispatch.js'
import { invalid } from '../params.js'

const uint64Max = 2n ** 64n - 1n
const uint256Max = 2n ** 256n - 1n

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)

/** Lower-case hex without 0x, the executor's override map key. */
const keyOf = (a: Uint8Array) => Buffer.from(a).toString('hex')

function reader(i: number) {
  const fail = (what: string, expected: string): never =>
    invalid(`invalid argument ${i}: ${what}: ${expected}`)
  const big = (v: unknown, what: string, max: bigint): bigint => {
    if (typeof v !== 'string' || !/^0x(0|[1-9a-fA-F][0-9a-fA-F]*)$/.test(v))
      fail(what, 'hex number without leading zeros expected')
    const n = BigInt(v as string)
    if (n > max) fail(what, `hex number > ${max === uint64Max ? 64 : 256} bits`)
    return n
  }
  const bytes = (v: unknown, what: string, length?: number): Uint8Array => {
    if (typeof v !== 'string' || !/^0x([0-9a-fA-F]{2})*$/.test(v)) fail(what, 'hex data expected')
    const b = hexToBytes(v as string)
    if (length !== undefined && b.length !== length)
      fail(what, `hex string of ${length} bytes expected`)
    return b
  }
  /** A storage slot or value: go-ethereum's common.Hash (32 bytes, hex). */
  const word = (v: unknown, what: string): Uint8Array => {
    if (typeof v !== 'string' || !/^0x[0-9a-fA-F]{1,64}$/.test(v))
      fail(what, 'hex string of at most 32 bytes expected')
    return hexToBytes(`0x${(v as string).slice(2).padStart(64, '0')}`)
  }
  return { big, bytes, word }
}

/** The storage map of an override (`state` / `stateDiff`): slot → value. */
function storageOf(v: unknown, i: number, what: string): Array<[Uint8Array, Uint8Array]> {
  if (!isObject(v)) invalid(`invalid argument ${i}: ${what}: map of slot to value expected`)
  const r = reader(i)
  return Object.entries(v).map(([k, x]) => [r.word(k, `${what} key`), r.word(x, `${what} value`)])
}

/**
 * `eth_call`'s third parameter: address → account override. Undefined when absent or null.
 * `movePrecompileToAddress` is refused: precompiles cannot be moved here.
 */
export function stateOverridesParam(
  params: unknown[],
  i: number,
): Map<string, AccountOverride> | undefined {
  const v = params[i]
  if (v === undefined || v === null) return undefined
  if (!isObject(v)) invalid(`invalid argument ${i}: map of address to account override expected`)
  const r = reader(i)
  const out = new Map<string, AccountOverride>()
  for (const [a, o] of Object.entries(v)) {
    const address = r.bytes(a, 'address', 20)
    if (o === null) continue
    if (!isObject(o)) invalid(`invalid argument ${i}: account override object expected`)
    if (o.movePrecompileToAddress !== undefined && o.movePrecompileToAddress !== null)
      invalid(`invalid argument ${i}: movePrecompileToAddress is not supported`)
    const set = (k: string) => o[k] !== undefined && o[k] !== null
    const acc: AccountOverride = {
      ...(set('nonce') ? { nonce: r.big(o.nonce, 'nonce', uint64Max) } : {}),
      ...(set('balance') ? { balance: r.big(o.balance, 'balance', uint256Max) } : {}),
      ...(set('code') ? { code: r.bytes(o.code, 'code') } : {}),
      ...(set('state') ? { state: storageOf(o.state, i, 'state') } : {}),
      ...(set('stateDiff') ? { stateDiff: storageOf(o.stateDiff, i, 'stateDiff') } : {}),
    }
    if (acc.state && acc.stateDiff)
      throw new RpcError(
        RpcErrorCode.Server,
        `account ${toChecksumAddress(address)} has both 'state' and 'stateDiff'`,
      )
    out.set(keyOf(address), acc)
  }
  return out
}

/**
 * `eth_call`'s fourth parameter (go-ethereum's `BlockOverrides`). `beaconRoot` and `withdrawals`
 * belong to eth_simulateV1: go-ethereum refuses them here, and so do we.
 */
export function blockOverridesParam(params: unknown[], i: number): BlockOverrides | undefined {
  const v = params[i]
  if (v === undefined || v === null) return undefined
  if (!isObject(v)) invalid(`invalid argument ${i}: block overrides object expected`)
  for (const k of ['beaconRoot', 'withdrawals'])
    if (v[k] !== undefined && v[k] !== null)
      throw new RpcError(
        RpcErrorCode.Server,
        `block override "${k}" is not supported for this RPC method`,
      )
  const r = reader(i)
  const set = (k: string) => v[k] !== undefined && v[k] !== null
  return {
    ...(set('number') ? { number: r.big(v.number, 'number', uint256Max) } : {}),
    ...(set('difficulty') ? { difficulty: r.big(v.difficulty, 'difficulty', uint256Max) } : {}),
    ...(set('time') ? { time: r.big(v.time, 'time', uint64Max) } : {}),
    ...(set('gasLimit') ? { gasLimit: r.big(v.gasLimit, 'gasLimit', uint64Max) } : {}),
    ...(set('feeRecipient') ? { coinbase: r.bytes(v.feeRecipient, 'feeRecipient', 20) } : {}),
    ...(set('prevRandao') ? { prevRandao: r.bytes(v.prevRandao, 'prevRandao', 32) } : {}),
    ...(set('baseFeePerGas')
      ? { baseFee: r.big(v.baseFeePerGas, 'baseFeePerGas', uint256Max) }
      : {}),
    ...(set('blobBaseFee') ? { blobBaseFee: r.big(v.blobBaseFee, 'blobBaseFee', uint256Max) } : {}),
  }
}
