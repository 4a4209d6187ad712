/**
 * Chain events for RPC consumers, and go-ethereum's polling filters over them.
 *
 * `createChainEvents(backend)` is a small event source that the filters here and WebSocket
 * subscriptions (`eth_subscribe`) can share:
 *
 * - `onNewHead(l)`: every new canonical head header, in order;
 * - `onLogs(l)`: the logs of every block that became canonical (`removed: false`), and on a reorg
 *   the logs of every block that left the canonical chain (`removed: true`, newest block first,
 *   as go-ethereum's `RemovedLogsEvent`);
 * - `onPendingTransactions(l)`: hashes of transactions that became pending in the pool.
 *
 * Each returns its unsubscribe function; the source subscribes to the backend only while it has
 * listeners, so creating one costs nothing. `close()` drops every listener.
 *
 * ```ts
 * const events = createChainEvents(backend)
 * const off = events.onLogs((logs) => {
 *   for (const { log, removed } of logs) send(formatLog(log, removed))
 * })
 * ```
 *
 * `createFilters({ backend, events, clock }, options)` gives `eth_newFilter`,
 * `eth_newBlockFilter`, `eth_newPendingTransactionFilter`, `eth_getFilterChanges`,
 * `eth_getFilterLogs` and `eth_uninstallFilter`. A filter not polled for `timeoutMs` (5 minutes,
 * go-ethereum's) is uninstalled; at most `maxFilters` (10,000) are installed at once, then
 * `eth_new*Filter` fails with -32005 until some are uninstalled or expire; each filter buffers at
 * most `maxBuffered` (10,000) items between polls, dropping the oldest past it.
 */
import { randomBytes } from 'node:crypto'
import type { FoundLog } from '@ethwire/chain'
import type { Clock } from '@ethwire/interface'
import { systemClock } from '@ethwire/interface/runtime'
import { type Block, type BlockHeader, bytesToHex, equalBytes } from '@ethwire/rlp-wire'
import type { Backend } from './backend.js'
import { RpcError, RpcErrorCode, type RpcMethods } from './dispatch.js'
import {
  formatLog,
  type LogCriteria,
  parseLogCriteria,
  queryLogs,
  resolveCriteria,
  rpcLimitExceededCode,
} from './methods/logs.js'
import { invalid, param } from './params.js'

/** go-ethereum's filter timeout: a filter not polled for 5 minutes is uninstalled. */
export const filterTimeoutMs = 5 * 60_000
/** Most filters installed at once. */
export const filterMaxInstalled = 10_000
/** Most items (logs, hashes) one filter holds between polls; the oldest go past it. */
export const filterMaxBufferedItems = 10_000
/** Deepest reorg whose removed logs are reported (blocks walked back from the old head). */
export const filterMaxReorgBlocks = 1024

export interface ChainLog {
  log: FoundLog
  removed: boolean
}

export interface ChainEvents {
  onNewHead(listener: (header: BlockHeader) => void): () => void
  onLogs(listener: (logs: ChainLog[]) => void): () => void
  onPendingTransactions(listener: (hashes: Uint8Array[]) => void): () => void
  close(): void
}

/** The logs of a canonical block, with where they are (undefined: receipts not stored). */
export async function logsOfBlock(b: Backend, block: Block): Promise<FoundLog[] | undefined> {
  if (block.transactions.length === 0) return []
  const receipts = await b.receipts(block.hash)
  if (!receipts) return undefined
  const out: FoundLog[] = []
  let logIndex = 0
  for (const [txIndex, r] of receipts.entries()) {
    const tx = block.transactions[txIndex]
    if (!tx) break
    for (const log of r.logs)
      out.push({
        log,
        blockNumber: block.header.number,
        blockHash: block.hash,
        blockTimestamp: block.header.time,
        txHash: tx.hash,
        txIndex,
        logIndex: logIndex++,
      })
  }
  return out
}

export function createChainEvents(b: Backend): ChainEvents {
  const heads = new Set<(h: BlockHeader) => void>()
  const logs = new Set<(l: ChainLog[]) => void>()
  const pending = new Set<(h: Uint8Array[]) => void>()
  let offChain: (() => void) | undefined
  let offPool: (() => void) | undefined
  // events are handled one after another so logs come out in chain order
  let queue: Promise<void> = Promise.resolve()

  const emit = <T>(set: Set<(x: T) => void>, x: T) => {
    for (const l of [...set]) {
      try {
        l(x)
      } catch {
        // a listener's failure is its own
      }
    }
  }

  const removedLogs = async (oldHead: BlockHeader, ancestor: bigint) => {
    const out: ChainLog[] = []
    let h: BlockHeader | undefined = oldHead
    for (let i = 0; h && h.number > ancestor && i < filterMaxReorgBlocks; i++) {
      const block = await b.blockByHash(h.hash)
      if (!block) break
      const found = (await logsOfBlock(b, block)) ?? []
      for (const log of found.reverse()) out.push({ log, removed: true })
      h = await b.headerByHash(h.parentHash)
    }
    return out
  }

  const onChain = (e: Parameters<Parameters<Backend['onChainEvent']>[0]>[0]) => {
    queue = queue
      .then(async () => {
        if (e.type === 'head') emit(heads, e.header)
        else if (e.type === 'reorg') {
          if (logs.size === 0) return
          const removed = await removedLogs(e.oldHead, e.ancestor)
          if (removed.length) emit(logs, removed)
        } else if (e.type === 'block' && e.canonical) {
          if (logs.size === 0) return
          const found = await logsOfBlock(b, e.block)
          if (found?.length)
            emit(
              logs,
              found.map((log) => ({ log, removed: false })),
            )
        }
      })
      .catch(() => {})
  }

  const sync = () => {
    const wantChain = heads.size + logs.size > 0
    if (wantChain && !offChain) offChain = b.onChainEvent(onChain)
    if (!wantChain && offChain) {
      offChain()
      offChain = undefined
    }
    const wantPool = pending.size > 0
    if (wantPool && !offPool) offPool = b.onPendingTransactions((h) => emit(pending, h))
    if (!wantPool && offPool) {
      offPool()
      offPool = undefined
    }
  }
  const add = <T>(set: Set<T>, l: T) => {
    set.add(l)
    sync()
    return () => {
      set.delete(l)
      sync()
    }
  }

  return {
    onNewHead: (l) => add(heads, l),
    onLogs: (l) => add(logs, l),
    onPendingTransactions: (l) => add(pending, l),
    close: () => {
      heads.clear()
      logs.clear()
      pending.clear()
      sync()
    },
  }
}

/** Whether a log matches a filter's addresses and topics (go-ethereum's `filterLogs`). */
export function logMatches(log: FoundLog, c: LogCriteria): boolean {
  if (c.addresses.length > 0 && !c.addresses.some((a) => equalBytes(a, log.log.address)))
    return false
  if (c.topics.length > log.log.topics.length) return false
  for (const [i, want] of c.topics.entries()) {
    if (want === null || want.length === 0) continue
    const have = log.log.topics[i]
    if (!have || !want.some((t) => equalBytes(t, have))) return false
  }
  return true
}

type FilterKind = 'logs' | 'blocks' | 'pending'

interface Filter {
  kind: FilterKind
  criteria?: LogCriteria
  items: unknown[]
  /** Items dropped since the last poll because the buffer was full. */
  dropped: number
  timer: unknown
  off: () => void
}

export interface FiltersOptions {
  timeoutMs?: number
  maxFilters?: number
  maxBuffered?: number
}

export interface Filters {
  readonly methods: RpcMethods
  /** Installed filters. */
  size(): number
  /** Uninstalls every filter (timers cleared). */
  close(): void
}

export function createFilters(
  deps: { backend: Backend; events?: ChainEvents; clock?: Clock },
  options: FiltersOptions = {},
): Filters {
  const b = deps.backend
  const events = deps.events ?? createChainEvents(b)
  const clock = deps.clock ?? systemClock
  const timeoutMs = options.timeoutMs ?? filterTimeoutMs
  const maxFilters = options.maxFilters ?? filterMaxInstalled
  const maxBuffered = options.maxBuffered ?? filterMaxBufferedItems
  const filters = new Map<string, Filter>()

  const uninstall = (id: string) => {
    const f = filters.get(id)
    if (!f) return false
    filters.delete(id)
    clock.clearTimeout(f.timer)
    f.off()
    return true
  }
  const arm = (id: string, f: Filter) => {
    clock.clearTimeout(f.timer)
    f.timer = clock.setTimeout(() => uninstall(id), timeoutMs)
    // a pending expiry alone does not keep the process alive
    ;(f.timer as { unref?: () => void } | undefined)?.unref?.()
  }
  const push = (f: Filter, items: unknown[]) => {
    for (const x of items) f.items.push(x)
    if (f.items.length > maxBuffered) {
      const extra = f.items.length - maxBuffered
      f.items.splice(0, extra)
      f.dropped += extra
    }
  }
  const install = (
    kind: FilterKind,
    subscribe: (f: Filter) => () => void,
    criteria?: LogCriteria,
  ) => {
    if (filters.size >= maxFilters)
      throw new RpcError(
        rpcLimitExceededCode,
        `too many filters installed (max ${maxFilters}): uninstall some with eth_uninstallFilter`,
      )
    const id = `0x${randomBytes(16).toString('hex')}`
    const f: Filter = { kind, items: [], dropped: 0, timer: undefined, off: () => {} }
    if (criteria) f.criteria = criteria
    f.off = subscribe(f)
    filters.set(id, f)
    arm(id, f)
    return id
  }
  const idParam = (params: unknown[]) => {
    const v = param(params, 0, 'id')
    if (typeof v !== 'string' || !/^0x[0-9a-fA-F]{1,64}$/.test(v))
      invalid('invalid argument 0: filter id expected')
    return v.toLowerCase()
  }
  const found = (id: string) => {
    const f = filters.get(id)
    if (!f) throw new RpcError(RpcErrorCode.Server, 'filter not found')
    return f
  }
  // only block numbers bound a polling filter (tags follow the head)
  const inRange = (c: LogCriteria, n: bigint) => {
    if (c.fromBlock && 'number' in c.fromBlock && n < c.fromBlock.number) return false
    if (c.toBlock && 'number' in c.toBlock && n > c.toBlock.number) return false
    return true
  }

  const methods: RpcMethods = {
    eth_newFilter: (params) => {
      const criteria = parseLogCriteria(param(params, 0, 'filter'))
      if (criteria.blockHash)
        invalid('invalid argument 0: a filter cannot name a blockHash: use eth_getLogs')
      return install(
        'logs',
        (f) =>
          events.onLogs((logs) =>
            push(
              f,
              logs
                .filter((l) => inRange(criteria, l.log.blockNumber) && logMatches(l.log, criteria))
                .map((l) => formatLog(l.log, l.removed)),
            ),
          ),
        criteria,
      )
    },
    eth_newBlockFilter: () =>
      install('blocks', (f) => events.onNewHead((h) => push(f, [bytesToHex(h.hash)]))),
    eth_newPendingTransactionFilter: () =>
      install('pending', (f) =>
        events.onPendingTransactions((hashes) =>
          push(
            f,
            hashes.map((h) => bytesToHex(h)),
          ),
        ),
      ),
    eth_getFilterChanges: (params) => {
      const id = idParam(params)
      const f = found(id)
      arm(id, f)
      const out = f.items
      f.items = []
      f.dropped = 0
      return out
    },
    eth_getFilterLogs: async (params) => {
      const id = idParam(params)
      const f = found(id)
      if (f.kind !== 'logs' || !f.criteria)
        throw new RpcError(RpcErrorCode.Server, 'filter not found')
      arm(id, f)
      const logs = await queryLogs(b, resolveCriteria(b, f.criteria))
      return logs.map((l) => formatLog(l))
    },
    eth_uninstallFilter: (params) => uninstall(idParam(params)),
  }

  return {
    methods,
    size: () => filters.size,
    close: () => {
      for (const id of [...filters.keys()]) uninstall(id)
    },
  }
}
