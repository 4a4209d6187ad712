/**
 * `eth_getLogs` over the chain's bloom-bits index, and the filter criteria it shares with
 * `eth_newFilter` (go-ethereum's `FilterCriteria`: `fromBlock`/`toBlock` tags or numbers or one
 * `blockHash`, `address` one or a list, `topics` up to 4 positions of null / a value / a list).
 * The chain's log errors keep go-ethereum's messages: `ErrLogsFilter` and `ErrLogsRange` are
 * -32602, `ErrLogsLimit` -32005 (go-ethereum's "limit exceeded"), `ErrUnknownBlock` -32000.
 */
import { type FoundLog, isChainError, type LogFilter } from '@ethwire/chain'
import { bytesToHex, hexToBytes } from '@ethwire/rlp-wire'
import type { Backend } from '../backend.js'
import { RpcError, RpcErrorCode, type RpcMethods } from '../dispatch.js'
import { blockNumberParam, invalid, param, qty } from '../params.js'
import { heightOf } from './refs.js'

/** go-ethereum's caps on a filter's criteria. */
export const logFilterMaxTopics = 4
export const logFilterMaxAddresses = 1000
/** go-ethereum's "limit exceeded" code. */
export const rpcLimitExceededCode = -32005

/** Criteria as parsed: block tags stay tags until the query resolves them against the head. */
export interface LogCriteria {
  fromBlock?: ReturnType<typeof blockNumberParam>
  toBlock?: ReturnType<typeof blockNumberParam>
  blockHash?: Uint8Array
  addresses: Uint8Array[]
  topics: (Uint8Array[] | null)[]
}

const hex32 = /^0x[0-9a-fA-F]{64}$/
const hex20 = /^0x[0-9a-fA-F]{40}$/

/** A filter object → criteria; malformed input is -32602 with go-ethereum's words. */
export function parseLogCriteria(v: unknown): LogCriteria {
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    invalid('invalid argument 0: filter object expected')
  const o = v as Record<string, unknown>
  const out: LogCriteria = { addresses: [], topics: [] }
  const present = (k: string) => o[k] !== undefined && o[k] !== null
  if (present('blockHash')) {
    if (present('fromBlock') || present('toBlock'))
      invalid(
        'invalid argument 0: cannot specify both BlockHash and FromBlock/ToBlock, choose one or the other',
      )
    if (typeof o.blockHash !== 'string' || !hex32.test(o.blockHash))
      invalid('invalid argument 0: blockHash: hex string of 32 bytes expected')
    out.blockHash = hexToBytes(o.blockHash)
  }
  if (present('fromBlock')) out.fromBlock = blockNumberParam([o.fromBlock], 0)
  if (present('toBlock')) out.toBlock = blockNumberParam([o.toBlock], 0)
  if (present('address')) {
    const list = Array.isArray(o.address) ? o.address : [o.address]
    if (list.length > logFilterMaxAddresses) invalid('invalid argument 0: exceed max addresses')
    for (const a of list) {
      if (typeof a !== 'string' || !hex20.test(a))
        invalid('invalid argument 0: address: hex string of 20 bytes expected')
      out.addresses.push(hexToBytes(a))
    }
  }
  if (present('topics')) {
    if (!Array.isArray(o.topics)) invalid('invalid argument 0: topics: list expected')
    if (o.topics.length > logFilterMaxTopics) invalid('invalid argument 0: exceed max topics')
    for (const t of o.topics) {
      if (t === null || t === undefined) out.topics.push(null)
      else {
        const list = Array.isArray(t) ? t : [t]
        const values: Uint8Array[] = []
        let wildcard = false
        for (const x of list) {
          if (x === null) {
            wildcard = true
            continue
          }
          if (typeof x !== 'string' || !hex32.test(x))
            invalid('invalid argument 0: topic: hex string of 32 bytes expected')
          values.push(hexToBytes(x))
        }
        out.topics.push(wildcard || values.length === 0 ? null : values)
      }
    }
  }
  return out
}

/** Criteria → the chain's filter, tags resolved against the current head. */
export function resolveCriteria(b: Backend, c: LogCriteria): LogFilter {
  const f: LogFilter = { addresses: c.addresses, topics: c.topics }
  if (c.blockHash) f.blockHash = c.blockHash
  if (c.fromBlock) f.fromBlock = heightOf(b, c.fromBlock, 'header')
  if (c.toBlock) f.toBlock = heightOf(b, c.toBlock, 'header')
  return f
}

/** A log as eth_getLogs returns it (`removed: true` for logs a reorg took out). */
export function formatLog(l: FoundLog, removed = false): Record<string, unknown> {
  return {
    address: bytesToHex(l.log.address),
    topics: l.log.topics.map((t) => bytesToHex(t)),
    data: bytesToHex(l.log.data),
    blockNumber: qty(l.blockNumber),
    transactionHash: bytesToHex(l.txHash),
    transactionIndex: qty(l.txIndex),
    blockHash: bytesToHex(l.blockHash),
    blockTimestamp: qty(l.blockTimestamp),
    logIndex: qty(l.logIndex),
    removed,
  }
}

/** The chain's log errors → RPC errors (the `ErrLogsFilter: ` prefix stripped). */
export function logsError(err: unknown): never {
  if (isChainError(err)) {
    const code = err.code
    const message = err.message.replace(/^Err[A-Za-z]+: /, '')
    if (code === 'ErrLogsFilter' || code === 'ErrLogsRange')
      throw new RpcError(RpcErrorCode.InvalidParams, message)
    if (code === 'ErrLogsLimit') throw new RpcError(rpcLimitExceededCode, message)
    if (code === 'ErrUnknownBlock') throw new RpcError(RpcErrorCode.Server, message)
  }
  throw err
}

/** Runs a query, errors mapped. */
export async function queryLogs(b: Backend, f: LogFilter): Promise<FoundLog[]> {
  try {
    return await b.getLogs(f)
  } catch (err) {
    logsError(err)
  }
}

export function logMethods(b: Backend): RpcMethods {
  return {
    eth_getLogs: async (params) => {
      const criteria = parseLogCriteria(param(params, 0, 'filter'))
      return (await queryLogs(b, resolveCriteria(b, criteria))).map((l) => formatLog(l))
    },
  }
}
