/**
 * The registry: every `ethwire_*` instrument, typed recording methods for them, and the no-op
 * twin that a node with `--metrics` off gets.
 *
 * prom-client keeps the exposition (names, types, text format) and the histograms. The counters
 * hit once per message or per announced transaction are not prom-client children: a child's
 * `inc()` hashes its label object, validates it and returns a fresh object on every call. They
 * are slots of a `Float64Array` instead, one slot per label set fixed at creation, copied into
 * their prom-client counter when a scrape reads it, so the hot path is an index and an add.
 */
import type { Clock } from '@ethwire/interface'
import { MsgCode } from '@ethwire/rlp-wire'
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client'
import {
  eventLoopResolutionMs,
  importBucketsSeconds,
  maxLabelValues,
  maxTrackedMsgCode,
  metricPrefix,
  requestBucketsSeconds,
  rpcBucketsSeconds,
} from './constants.js'
import type {
  BlockFetcherEvent,
  BlockFetcherStatsLike,
  FetcherObserver,
  MsgDirection,
  MsgObserver,
  PeerLike,
  PoolStatsLike,
  RequestKind,
  RequestObserver,
  SyncStatusLike,
  TxFetcherEvent,
  TxFetcherStatsLike,
} from './types.js'

export interface MetricsOptions {
  /** `--metrics`: false gives a registry whose every method is an empty function. Default true. */
  enabled?: boolean
  /**
   * prom-client's process metrics (event-loop delay, heap, GC, CPU, handles, file descriptors) as
   * `ethwire_nodejs_*` / `ethwire_process_*`. They are process-wide: created once per process on
   * first use and shared by every registry that asks for them (prom-client cannot release its
   * event-loop monitor and GC observer). Default true.
   */
  processMetrics?: boolean
  /** Milliseconds for round trips and handler times. Default `performance.now`. */
  clock?: Pick<Clock, 'now'>
}

/** Every recording method of the registry; all of them are empty functions when disabled. */
export interface MetricsRegistry {
  readonly enabled: boolean
  /** The prom-client registry with every instrument (undefined when disabled). */
  readonly registry: Registry | undefined
  /** Content type of {@link MetricsRegistry.scrape}'s text (Prometheus text format 0.0.4). */
  readonly contentType: string
  /** The Prometheus text exposition ('' when disabled). Runs the samplers first. */
  scrape(): Promise<string>
  /** The clock round trips are measured with (ms). */
  readonly clock: Pick<Clock, 'now'>
  /**
   * Adds a function run at every scrape, before any value is read (the attach functions read
   * `stats()`-style sources this way). A sampler that throws is counted in
   * `ethwire_scrape_errors_total`; the scrape goes on. Returns the remove function.
   */
  onScrape(sampler: () => void): () => void

  /** One eth message read or written: `ethwire_messages_total`, `ethwire_message_bytes_total`. */
  readonly observeMessage: MsgObserver
  /** One request answered (with its round trip) or lost: `ethwire_request*`. */
  readonly observeRequest: RequestObserver
  /** The fetchers' event hook: `ethwire_{block,tx}_fetcher_events_total`. */
  readonly fetcherObserver: FetcherObserver

  /** `ethwire_peers{transport,eth}` from the full list of connected peers. */
  setPeers(peers: readonly PeerLike[]): void
  /** `ethwire_peer_connects_total{transport,direction}`. */
  peerConnected(peer: PeerLike): void
  /** `ethwire_peers_dropped_total{reason}` (an error code, or `closed`). */
  peerDropped(reason: string): void
  /** `ethwire_chain_head_block`. */
  setHead(number: bigint | number): void
  /** `ethwire_chain_reorgs_total`, `ethwire_chain_reorg_depth_blocks` (old head − ancestor). */
  reorg(depth: bigint | number): void
  /** `ethwire_blocks_imported_total{source}` (fetcher, downloader, sealer, …). */
  blocksImported(count: number, source: string): void
  /** One `insertChain` batch: `ethwire_block_import_seconds`, `ethwire_block_execution_seconds`. */
  blockImport(seconds: number, executionSeconds?: number): void
  /** `ethwire_syncing`, `ethwire_sync_{starting,current,highest}_block`, `ethwire_sync_*_states`. */
  setSync(status: false | SyncStatusLike): void
  /** `ethwire_sync_rounds_total{result}`: a sync round ended (done or failed). */
  syncFinished(ok: boolean): void
  /** `ethwire_txpool_{pending,queued,local}`. */
  setTxPool(stats: PoolStatsLike): void
  /** `ethwire_block_fetcher_hashes{state}`. */
  setBlockFetcher(stats: BlockFetcherStatsLike): void
  /** `ethwire_tx_fetcher_hashes{state}`, `ethwire_tx_fetcher_requests`. */
  setTxFetcher(stats: TxFetcherStatsLike): void
  /** `ethwire_rpc_requests_total{method,result}`, `ethwire_rpc_request_duration_seconds{method}`. */
  rpcRequest(method: string, seconds: number, ok: boolean): void
  /**
   * Forgets every instrument and sampler (scrapes are empty afterwards); the process metrics
   * stay with the process.
   */
  close(): void
}

export const requestKinds: readonly RequestKind[] = [
  'headers',
  'bodies',
  'receipts',
  'node_data',
  'pooled_txs',
]
export const blockFetcherEvents: readonly BlockFetcherEvent[] = [
  'announce_in',
  'announce_drop',
  'announce_dos',
  'broadcast_in',
  'broadcast_drop',
  'broadcast_dos',
  'header_fetch',
  'body_fetch',
  'fetch_timeout',
  'import',
  'import_fail',
]
export const txFetcherEvents: readonly TxFetcherEvent[] = [
  'announce_in',
  'announce_known',
  'announce_dos',
  'broadcast_in',
  'broadcast_known',
  'request_out',
  'request_fail',
  'request_done',
  'request_timeout',
  'reply_in',
  'reply_known',
  'reply_reject',
]

const noop = () => {}

const disabledRegistry: MetricsRegistry = Object.freeze({
  enabled: false,
  registry: undefined,
  contentType: Registry.PROMETHEUS_CONTENT_TYPE,
  scrape: () => Promise.resolve(''),
  clock: { now: () => performance.now() },
  onScrape: () => noop,
  observeMessage: noop,
  observeRequest: noop,
  fetcherObserver: Object.freeze({ block: noop, tx: noop }),
  setPeers: noop,
  peerConnected: noop,
  peerDropped: noop,
  setHead: noop,
  reorg: noop,
  blocksImported: noop,
  blockImport: noop,
  setSync: noop,
  syncFinished: noop,
  setTxPool: noop,
  setBlockFetcher: noop,
  setTxFetcher: noop,
  rpcRequest: noop,
  close: noop,
})

let processRegistry: Registry | undefined
/** prom-client's default metrics, once per process (see `MetricsOptions.processMetrics`). */
function sharedProcessRegistry(): Registry {
  if (processRegistry === undefined) {
    processRegistry = new Registry()
    collectDefaultMetrics({
      register: processRegistry,
      prefix: metricPrefix,
      eventLoopMonitoringPrecision: eventLoopResolutionMs,
    })
  }
  return processRegistry
}

type Labels = Record<string, string>

/**
 * A counter whose label sets are fixed up front and whose values live in a Float64Array: `add`
 * is an index and an add; the scrape copies the non-zero slots into the prom-client counter.
 */
function slotCounter(
  registry: Registry,
  name: string,
  help: string,
  labelNames: readonly string[],
  labelSets: readonly Labels[],
): Float64Array {
  const values = new Float64Array(labelSets.length)
  new Counter({
    name,
    help,
    labelNames,
    registers: [registry],
    collect() {
      this.reset()
      for (let i = 0; i < values.length; i++) {
        const v = values[i] as number
        if (v > 0) this.inc(labelSets[i] as Labels, v)
      }
    },
  })
  return values
}

/** Label values from outside, at most `maxLabelValues` distinct ones, then `other`. */
function labelLimiter(): (value: string) => string {
  const seen = new Set<string>()
  return (value) => {
    if (seen.has(value)) return value
    if (seen.size >= maxLabelValues) return 'other'
    seen.add(value)
    return value
  }
}

const msgNames: string[] = []
for (const [name, code] of Object.entries(MsgCode)) msgNames[code] = name
const codeSlots = maxTrackedMsgCode + 2 // 0..max, then "other"
const otherCodeSlot = maxTrackedMsgCode + 1
const hex = (n: number) => `0x${n.toString(16).padStart(2, '0')}`
const toNumber = (n: bigint | number) => (typeof n === 'bigint' ? Number(n) : n)

/**
 * Creates the registry with every `ethwire_*` instrument, or the no-op registry when
 * `enabled: false` (nothing is created, nothing subscribes, every method is an empty function).
 */
export function createMetrics(options: MetricsOptions = {}): MetricsRegistry {
  if (options.enabled === false) return disabledRegistry
  const clock = options.clock ?? { now: () => performance.now() }
  const own = new Registry()
  const p = metricPrefix

  // Samplers run from the collect of the first metric registered: prom-client starts every
  // metric's get() (whose collect runs synchronously first) in registration order, so the
  // values they set are in place before any other metric is read, for `registry.metrics()` too.
  const samplers = new Set<() => void>()
  let scrapeErrors = 0
  new Gauge({
    name: `${p}scrape_sources`,
    help: 'Event sources read at each scrape (attached stats() readers).',
    registers: [own],
    collect() {
      for (const s of samplers) {
        try {
          s()
        } catch {
          scrapeErrors++
        }
      }
      this.set(samplers.size)
    },
  })
  new Counter({
    name: `${p}scrape_errors_total`,
    help: 'Samplers that threw during a scrape.',
    registers: [own],
    collect() {
      this.reset()
      this.inc(scrapeErrors)
    },
  })

  // --- network ---------------------------------------------------------------------------------
  const peers = new Gauge({
    name: `${p}peers`,
    help: 'Connected peers by transport and eth version.',
    labelNames: ['transport', 'eth'],
    registers: [own],
  })
  const connects = new Counter({
    name: `${p}peer_connects_total`,
    help: 'Peers that completed the handshake, by transport and direction.',
    labelNames: ['transport', 'direction'],
    registers: [own],
  })
  const drops = new Counter({
    name: `${p}peers_dropped_total`,
    help: 'Peers removed, by drop reason (an error code; closed: the connection just ended).',
    labelNames: ['reason'],
    registers: [own],
  })
  const dropReason = labelLimiter()
  const transportLabel = labelLimiter()

  const msgLabelSets: Labels[] = []
  for (const direction of ['in', 'out'] as const)
    for (let slot = 0; slot < codeSlots; slot++)
      msgLabelSets.push(
        slot === otherCodeSlot
          ? { direction, code: 'other', name: 'other' }
          : { direction, code: hex(slot), name: msgNames[slot] ?? 'unknown' },
      )
  const msgLabelNames = ['direction', 'code', 'name']
  const msgCount = slotCounter(
    own,
    `${p}messages_total`,
    'eth messages by direction and message code.',
    msgLabelNames,
    msgLabelSets,
  )
  const msgBytes = slotCounter(
    own,
    `${p}message_bytes_total`,
    'eth message payload bytes by direction and message code.',
    msgLabelNames,
    msgLabelSets,
  )
  const observeMessage: MsgObserver = (direction: MsgDirection, code: number, bytes: number) => {
    const c = code >>> 0
    const slot = (direction === 'in' ? 0 : codeSlots) + (c <= maxTrackedMsgCode ? c : otherCodeSlot)
    msgCount[slot]! += 1
    msgBytes[slot]! += bytes
  }

  const kindIndex = new Map<RequestKind, number>(requestKinds.map((k, i) => [k, i]))
  const requestResults = slotCounter(
    own,
    `${p}requests_total`,
    'Requests to peers by kind and result (answered, lost: never answered).',
    ['kind', 'result'],
    requestKinds.flatMap((kind) => [
      { kind, result: 'answered' },
      { kind, result: 'lost' },
    ]),
  )
  const requestSeconds = new Histogram({
    name: `${p}request_duration_seconds`,
    help: 'Round trip of answered requests to peers, by kind.',
    labelNames: ['kind'],
    buckets: requestBucketsSeconds,
    registers: [own],
  })
  const kindLabels = requestKinds.map((kind) => ({ kind }))
  const observeRequest: RequestObserver = (kind, seconds, ok) => {
    const i = kindIndex.get(kind)
    if (i === undefined) return
    requestResults[i * 2 + (ok ? 0 : 1)]! += 1
    if (ok) requestSeconds.observe(kindLabels[i] as Labels, seconds)
  }

  // --- chain and sync --------------------------------------------------------------------------
  const head = new Gauge({
    name: `${p}chain_head_block`,
    help: 'Number of the canonical head block.',
    registers: [own],
  })
  const reorgs = new Counter({
    name: `${p}chain_reorgs_total`,
    help: 'Chain reorganisations.',
    registers: [own],
  })
  const reorgDepth = new Histogram({
    name: `${p}chain_reorg_depth_blocks`,
    help: 'Blocks of the old chain above the common ancestor, per reorganisation.',
    buckets: [1, 2, 3, 5, 8, 16, 32, 64, 128],
    registers: [own],
  })
  const imported = new Counter({
    name: `${p}blocks_imported_total`,
    help: 'Blocks imported, by source (fetcher, downloader, sealer, ...).',
    labelNames: ['source'],
    registers: [own],
  })
  const importSource = labelLimiter()
  const importSeconds = new Histogram({
    name: `${p}block_import_seconds`,
    help: 'Time of one insertChain batch (checks, execution, write).',
    buckets: importBucketsSeconds,
    registers: [own],
  })
  const execSeconds = new Histogram({
    name: `${p}block_execution_seconds`,
    help: 'Execution time of one insertChain batch.',
    buckets: importBucketsSeconds,
    registers: [own],
  })
  const gauge = (name: string, help: string) => new Gauge({ name, help, registers: [own] })
  const syncing = gauge(`${p}syncing`, '1 while a sync runs.')
  const syncStart = gauge(`${p}sync_starting_block`, 'Block the current (or last) sync started at.')
  const syncCurrent = gauge(`${p}sync_current_block`, 'Our head during a sync.')
  const syncHighest = gauge(`${p}sync_highest_block`, 'Head of the peer we sync with.')
  const syncPulled = gauge(`${p}sync_pulled_states`, 'Fast sync: state entries downloaded.')
  const syncKnown = gauge(`${p}sync_known_states`, 'Fast sync: state entries known so far.')
  const syncRounds = new Counter({
    name: `${p}sync_rounds_total`,
    help: 'Sync rounds that ended, by result (done, failed).',
    labelNames: ['result'],
    registers: [own],
  })
  const doneLabels = { result: 'done' }
  const failedLabels = { result: 'failed' }

  // --- pool, fetchers, RPC ---------------------------------------------------------------------
  const poolPending = gauge(`${p}txpool_pending`, 'Executable transactions in the pool.')
  const poolQueued = gauge(`${p}txpool_queued`, 'Non-executable (future) transactions in the pool.')
  const poolLocal = gauge(`${p}txpool_local`, 'Local transactions in the pool.')

  const blockEvents = slotCounter(
    own,
    `${p}block_fetcher_events_total`,
    'Block fetcher events (announcements, broadcasts, fetches, imports).',
    ['event'],
    blockFetcherEvents.map((event) => ({ event })),
  )
  const txEvents = slotCounter(
    own,
    `${p}tx_fetcher_events_total`,
    'Tx fetcher events, per hash or transaction (announcements, broadcasts, requests, replies).',
    ['event'],
    txFetcherEvents.map((event) => ({ event })),
  )
  const blockEventIndex = new Map(blockFetcherEvents.map((e, i) => [e, i]))
  const txEventIndex = new Map(txFetcherEvents.map((e, i) => [e, i]))
  const fetcherObserver: FetcherObserver = {
    block(event, n = 1) {
      const i = blockEventIndex.get(event)
      if (i !== undefined) blockEvents[i]! += n
    },
    tx(event, n = 1) {
      const i = txEventIndex.get(event)
      if (i !== undefined) txEvents[i]! += n
    },
  }
  const blockFetcherHashes = new Gauge({
    name: `${p}block_fetcher_hashes`,
    help: 'Blocks the block fetcher holds, by state.',
    labelNames: ['state'],
    registers: [own],
  })
  const txFetcherHashes = new Gauge({
    name: `${p}tx_fetcher_hashes`,
    help: 'Transaction hashes the tx fetcher holds, by state.',
    labelNames: ['state'],
    registers: [own],
  })
  const txFetcherRequests = gauge(`${p}tx_fetcher_requests`, 'Tx fetcher requests in flight.')

  const rpcRequests = new Counter({
    name: `${p}rpc_requests_total`,
    help: 'JSON-RPC calls by method and result (ok, error).',
    labelNames: ['method', 'result'],
    registers: [own],
  })
  const rpcSeconds = new Histogram({
    name: `${p}rpc_request_duration_seconds`,
    help: 'JSON-RPC handler time by method.',
    labelNames: ['method'],
    buckets: rpcBucketsSeconds,
    registers: [own],
  })
  const rpcMethod = labelLimiter()

  let lastHead: number | undefined
  let closed = false

  const registry =
    options.processMetrics === false ? own : Registry.merge([sharedProcessRegistry(), own])

  return {
    enabled: true,
    registry,
    contentType: registry.contentType,
    clock,
    scrape: () => (closed ? Promise.resolve('') : registry.metrics()),
    onScrape(sampler) {
      samplers.add(sampler)
      return () => {
        samplers.delete(sampler)
      }
    },
    observeMessage,
    observeRequest,
    fetcherObserver,
    setPeers(list) {
      peers.reset()
      for (const peer of list)
        peers.inc({ transport: transportLabel(peer.transport), eth: String(peer.version) })
    },
    peerConnected(peer) {
      connects.inc({
        transport: transportLabel(peer.transport),
        direction: peer.inbound === true ? 'inbound' : 'outbound',
      })
    },
    peerDropped(reason) {
      drops.inc({ reason: dropReason(reason) })
    },
    setHead(number) {
      lastHead = toNumber(number)
      head.set(lastHead)
    },
    reorg(depth) {
      reorgs.inc()
      reorgDepth.observe(toNumber(depth))
    },
    blocksImported(count, source) {
      if (count > 0) imported.inc({ source: importSource(source) }, count)
    },
    blockImport(seconds, executionSeconds) {
      importSeconds.observe(seconds)
      if (executionSeconds !== undefined) execSeconds.observe(executionSeconds)
    },
    setSync(status) {
      syncing.set(status === false ? 0 : 1)
      if (status === false) {
        // Idle: caught up as far as we know, so current and highest follow the head.
        if (lastHead !== undefined) {
          syncCurrent.set(lastHead)
          syncHighest.set(lastHead)
        }
        return
      }
      syncStart.set(toNumber(status.startingBlock))
      syncCurrent.set(toNumber(status.currentBlock))
      syncHighest.set(toNumber(status.highestBlock))
      if (status.pulledStates !== undefined) syncPulled.set(status.pulledStates)
      if (status.knownStates !== undefined) syncKnown.set(status.knownStates)
    },
    syncFinished(ok) {
      syncRounds.inc(ok ? doneLabels : failedLabels)
    },
    setTxPool(stats) {
      poolPending.set(stats.pending)
      poolQueued.set(stats.queued)
      if (stats.local !== undefined) poolLocal.set(stats.local)
    },
    setBlockFetcher(s) {
      for (const state of [
        'announced',
        'fetching',
        'fetched',
        'completing',
        'queued',
        'importing',
      ] as const)
        blockFetcherHashes.set({ state }, s[state])
    },
    setTxFetcher(s) {
      txFetcherHashes.set({ state: 'waiting' }, s.waiting)
      txFetcherHashes.set({ state: 'queued' }, s.queued)
      txFetcherHashes.set({ state: 'fetching' }, s.fetching)
      txFetcherRequests.set(s.requests)
    },
    rpcRequest(method, seconds, ok) {
      const m = rpcMethod(method)
      rpcRequests.inc({ method: m, result: ok ? 'ok' : 'error' })
      rpcSeconds.observe({ method: m }, seconds)
    },
    close() {
      closed = true
      samplers.clear()
      own.clear()
      registry.clear()
    },
  }
}
