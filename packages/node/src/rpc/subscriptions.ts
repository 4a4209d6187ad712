/**
 * `eth_subscribe` / `eth_unsubscribe` (go-ethereum's `filters` subscriptions) over the chain's
 * `on()` events and the pool's `onPending`: `newHeads`, `logs` (address/topics filter, `removed:
 * true` for logs of blocks a reorg dropped) and `newPendingTransactions` (hashes, or full
 * transactions with `true`). One {@link SubscriptionHub} per node; each connection opens a
 * {@link SubscriptionSession} that ends with the connection.
 */
import type { ChainEvent } from '@ethwire/chain'
import {
  type Block,
  type BlockHeader,
  bytesToHex,
  equalBytes,
  type ReceiptData,
  type Transaction,
} from '@ethwire/rlp-wire'
import type { Backend } from './backend.js'
import { RpcError, RpcErrorCode, type RpcMethods } from './dispatch.js'
import { formatBlock, formatTransaction } from './format.js'
import { qty } from './params.js'

/** Where subscription events come from. */
export interface SubscriptionSource {
  /** Block lookups and receipts (the node's JSON-RPC backend). */
  backend: Pick<Backend, 'blockByHash' | 'receipts'>
  /** Chain events (`Chain.on`); returns the unsubscribe function. */
  onChain(listener: (e: ChainEvent) => void): () => void
  /** Transactions that became pending (`TxPool.onPending`); returns the unsubscribe function. */
  onPending(listener: (txs: { tx: Transaction; senderHex: string }[]) => void): () => void
}

/** A log filter of `eth_subscribe('logs', …)`: addresses and per-position topic alternatives. */
export interface LogFilter {
  addresses: Uint8Array[]
  /** `null` (or an empty list) at a position matches any topic there. */
  topics: (Uint8Array[] | null)[]
}

/** Sends one subscription notification to the client (`eth_subscription`). */
export type Notify = (subscriptionId: string, result: unknown) => void

type Sub =
  | { kind: 'newHeads' }
  | { kind: 'logs'; filter: LogFilter }
  | { kind: 'newPendingTransactions'; full: boolean }

/** Subscriptions of one connection. */
export interface SubscriptionSession {
  /** `eth_subscribe` and `eth_unsubscribe` bound to this connection. */
  readonly methods: RpcMethods
  readonly size: number
  /** Ends every subscription of the connection. */
  close(): void
}

export interface SubscriptionHub {
  open(notify: Notify): SubscriptionSession
  /** Detaches from the chain and the pool. */
  close(): void
  /** Resolves when the events seen so far have been delivered (tests). */
  idle(): Promise<void>
}

const hexBytes = (v: unknown, what: string, len?: number): Uint8Array => {
  if (typeof v !== 'string' || !/^0x([0-9a-fA-F]{2})*$/.test(v))
    throw new RpcError(RpcErrorCode.InvalidParams, `invalid argument 1: ${what}: hex data expected`)
  const b = Uint8Array.from(Buffer.from(v.slice(2), 'hex'))
  if (len !== undefined && b.length !== len)
    throw new RpcError(
      RpcErrorCode.InvalidParams,
      `invalid argument 1: ${what}: hex string of ${len} bytes expected`,
    )
  return b
}

/** Parses the filter object of a `logs` subscription (geth's `FilterCriteria`, no block range). */
export function parseLogFilter(v: unknown): LogFilter {
  if (v === undefined || v === null) return { addresses: [], topics: [] }
  if (typeof v !== 'object' || Array.isArray(v))
    throw new RpcError(RpcErrorCode.InvalidParams, 'invalid argument 1: filter object expected')
  const o = v as { address?: unknown; topics?: unknown; fromBlock?: unknown; toBlock?: unknown }
  if (o.fromBlock !== undefined || o.toBlock !== undefined)
    // go-ethereum: a logs subscription takes no block range
    throw new RpcError(RpcErrorCode.InvalidParams, 'logs subscription takes no block range')
  const addresses =
    o.address === undefined || o.address === null
      ? []
      : (Array.isArray(o.address) ? o.address : [o.address]).map((a) => hexBytes(a, 'address', 20))
  if (o.topics !== undefined && o.topics !== null && !Array.isArray(o.topics))
    throw new RpcError(RpcErrorCode.InvalidParams, 'invalid argument 1: topics: list expected')
  const rawTopics = (o.topics as unknown[] | undefined) ?? []
  if (rawTopics.length > 4) throw new RpcError(RpcErrorCode.InvalidParams, 'exceed max topics')
  const topics = rawTopics.map((t) => {
    if (t === null) return null
    const alts = (Array.isArray(t) ? t : [t]).map((x) => hexBytes(x, 'topic', 32))
    return alts.length ? alts : null
  })
  return { addresses, topics }
}

/** Whether a log passes the filter. */
export function logMatches(
  filter: LogFilter,
  log: { address: Uint8Array; topics: Uint8Array[] },
): boolean {
  if (filter.addresses.length && !filter.addresses.some((a) => equalBytes(a, log.address)))
    return false
  if (filter.topics.length > log.topics.length) return false
  for (const [i, alts] of filter.topics.entries()) {
    if (alts === null) continue
    const t = log.topics[i] as Uint8Array
    if (!alts.some((a) => equalBytes(a, t))) return false
  }
  return true
}

/** The log objects of a block (go-ethereum's `types.Log` JSON). */
export function blockLogs(
  block: Block,
  receipts: readonly ReceiptData[],
  removed: boolean,
): { address: Uint8Array; topics: Uint8Array[]; json: Record<string, unknown> }[] {
  const out: { address: Uint8Array; topics: Uint8Array[]; json: Record<string, unknown> }[] = []
  const blockHash = bytesToHex(block.hash)
  const blockNumber = qty(block.header.number)
  let logIndex = 0
  for (const [txIndex, r] of receipts.entries()) {
    const tx = block.transactions[txIndex]
    for (const l of r.logs) {
      out.push({
        address: l.address,
        topics: l.topics,
        json: {
          address: bytesToHex(l.address),
          topics: l.topics.map((t) => bytesToHex(t)),
          data: bytesToHex(l.data),
          blockNumber,
          blockHash,
          blockTimestamp: qty(block.header.time),
          transactionHash: tx ? bytesToHex(tx.hash) : null,
          transactionIndex: qty(txIndex),
          logIndex: qty(logIndex++),
          removed,
        },
      })
    }
  }
  return out
}

/** The `newHeads` object: the block's header fields (no transactions, no uncles list). */
export function formatHead(block: Block): Record<string, unknown> {
  const out = formatBlock(block, false)
  delete out.transactions
  delete out.uncles
  delete out.withdrawals
  delete out.size
  return out
}

let nextId = 0n
const newSubscriptionId = (): string => {
  nextId++
  // go-ethereum's ids are 16 random bytes; unique per process is what clients need
  const rand = BigInt(Math.floor(Math.random() * 2 ** 48))
  return `0x${((rand << 64n) | nextId).toString(16)}`
}

/** The hub over one source; events are delivered in order, one at a time. */
export function createSubscriptionHub(source: SubscriptionSource): SubscriptionHub {
  const sessions = new Set<{ subs: Map<string, Sub>; notify: Notify }>()
  let queue: Promise<void> = Promise.resolve()
  const enqueue = (job: () => Promise<void>) => {
    queue = queue.then(job).catch(() => {
      // a lookup failing (database closed at shutdown) drops that event only
    })
  }
  const wants = (kind: Sub['kind']) => {
    for (const s of sessions) for (const sub of s.subs.values()) if (sub.kind === kind) return true
    return false
  }
  const each = (f: (id: string, sub: Sub, notify: Notify) => void) => {
    for (const s of sessions) for (const [id, sub] of s.subs) f(id, sub, s.notify)
  }

  const deliverLogs = async (block: Block, removed: boolean) => {
    if (!wants('logs')) return
    const receipts = await source.backend.receipts(block.hash)
    if (!receipts) return
    const logs = blockLogs(block, receipts, removed)
    if (!logs.length) return
    each((id, sub, notify) => {
      if (sub.kind !== 'logs') return
      for (const l of logs) if (logMatches(sub.filter, l)) notify(id, l.json)
    })
  }
  const deliverHead = (block: Block) => {
    if (!wants('newHeads')) return
    const head = formatHead(block)
    each((id, sub, notify) => {
      if (sub.kind === 'newHeads') notify(id, head)
    })
  }
  /** Blocks from `header` back to (not including) number `stop`, oldest first. */
  const branch = async (header: BlockHeader, stop: bigint): Promise<Block[]> => {
    const out: Block[] = []
    let hash = header.hash
    let n = header.number
    while (n > stop) {
      const b = await source.backend.blockByHash(hash)
      if (!b) break
      out.push(b)
      hash = b.header.parentHash
      n--
    }
    return out.reverse()
  }

  const onChain = (e: ChainEvent) => {
    if (e.type === 'head') return
    if (!wants('logs') && !wants('newHeads')) return
    if (e.type === 'block') {
      if (!e.canonical) return
      const block = e.block
      enqueue(async () => {
        await deliverLogs(block, false)
        deliverHead(block)
      })
      return
    }
    // reorg: logs of the dropped blocks come back removed (newest first, as geth), then the
    // new branch below its head (the head itself follows as a canonical `block` event)
    enqueue(async () => {
      const dropped = await branch(e.oldHead, e.ancestor)
      for (const b of dropped.reverse()) await deliverLogs(b, true)
      const parent = await source.backend.blockByHash(e.newHead.parentHash)
      if (!parent) return
      for (const b of await branch(parent.header, e.ancestor)) {
        await deliverLogs(b, false)
        deliverHead(b)
      }
    })
  }
  const onPending = (txs: { tx: Transaction; senderHex: string }[]) => {
    if (!wants('newPendingTransactions')) return
    each((id, sub, notify) => {
      if (sub.kind !== 'newPendingTransactions') return
      for (const p of txs)
        notify(id, sub.full ? formatTransaction(p.tx, p.senderHex) : bytesToHex(p.tx.hash))
    })
  }
  const offChain = source.onChain(onChain)
  const offPending = source.onPending(onPending)

  return {
    open(notify) {
      const session = { subs: new Map<string, Sub>(), notify }
      sessions.add(session)
      const methods: RpcMethods = {
        eth_subscribe: async (params) => {
          const kind = params[0]
          let sub: Sub
          if (kind === 'newHeads') sub = { kind }
          else if (kind === 'logs') sub = { kind, filter: parseLogFilter(params[1]) }
          else if (kind === 'newPendingTransactions') sub = { kind, full: params[1] === true }
          else
            throw new RpcError(
              RpcErrorCode.InvalidParams,
              `no "${String(kind)}" subscription in eth namespace`,
            )
          const id = newSubscriptionId()
          session.subs.set(id, sub)
          return id
        },
        eth_unsubscribe: async (params) => {
          const id = params[0]
          if (typeof id !== 'string')
            throw new RpcError(RpcErrorCode.InvalidParams, 'invalid argument 0: subscription id')
          if (!session.subs.delete(id))
            throw new RpcError(RpcErrorCode.Server, 'subscription not found')
          return true
        },
      }
      return {
        methods,
        get size() {
          return session.subs.size
        },
        close() {
          session.subs.clear()
          sessions.delete(session)
        },
      }
    },
    close() {
      offChain()
      offPending()
      sessions.clear()
    },
    idle: () => queue,
  }
}
