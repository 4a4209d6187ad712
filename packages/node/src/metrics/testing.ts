/**
 * Test doubles of the metrics' event sources (types.ts) and a parser of the Prometheus text
 * format, for the metrics tests and for a node test that checks its wiring.
 */
import type {
  BlockFetcherStatsLike,
  ChainEventLike,
  ChainSource,
  HeaderLike,
  PeerLike,
  PmEventMap,
  PmSource,
  PmStatsLike,
  PoolSource,
  PoolStatsLike,
  SyncStatusLike,
  TxFetcherStatsLike,
} from './types.js'

/** One sample line of the text format. */
export interface Sample {
  readonly name: string
  readonly labels: Readonly<Record<string, string>>
  readonly value: number
}

/** The types declared by `# TYPE` lines, and every sample. */
export interface ParsedMetrics {
  readonly types: ReadonlyMap<string, string>
  readonly samples: readonly Sample[]
}

const unescapeLabel = (s: string) =>
  s.replace(/\\(["\\n])/g, (_m, c: string) => (c === 'n' ? '\n' : c))

/**
 * Parses the Prometheus text format 0.0.4 (what prom-client writes): `# TYPE` lines and samples
 * `name{label="value",…} value`. Throws on a line that is neither, so a broken exposition fails
 * the test that reads it.
 */
export function parsePrometheusText(text: string): ParsedMetrics {
  const types = new Map<string, string>()
  const samples: Sample[] = []
  for (const line of text.split('\n')) {
    if (line === '') continue
    if (line.startsWith('#')) {
      const m =
        /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/.exec(line)
      if (m) types.set(m[1] as string, m[2] as string)
      else if (!line.startsWith('# HELP ')) throw new Error(`bad comment line: ${line}`)
      continue
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$/.exec(line)
    if (!m) throw new Error(`bad sample line: ${line}`)
    const labels: Record<string, string> = {}
    const body = m[3]
    if (body !== undefined && body !== '') {
      const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)/gy
      let at = 0
      while (at < body.length) {
        re.lastIndex = at
        const lm = re.exec(body)
        if (!lm) throw new Error(`bad labels: ${line}`)
        labels[lm[1] as string] = unescapeLabel(lm[2] as string)
        at = re.lastIndex
      }
    }
    const raw = m[4] as string
    const value =
      raw === '+Inf' ? Number.POSITIVE_INFINITY : raw === '-Inf' ? -Infinity : Number(raw)
    if (Number.isNaN(value) && raw !== 'NaN' && raw !== 'Nan') throw new Error(`bad value: ${line}`)
    samples.push({ name: m[1] as string, labels, value })
  }
  return { types, samples }
}

/**
 * The value of the one sample named `name` whose labels include `labels`; the sum when several
 * match; undefined when none does.
 */
export function sampleValue(
  parsed: ParsedMetrics,
  name: string,
  labels: Readonly<Record<string, string>> = {},
): number | undefined {
  let sum: number | undefined
  for (const s of parsed.samples) {
    if (s.name !== name) continue
    if (!Object.entries(labels).every(([k, v]) => s.labels[k] === v)) continue
    sum = (sum ?? 0) + s.value
  }
  return sum
}

type Listener = (value: never) => void

/** A protocol manager double: emit its events, set what its readers return. */
export class FakeProtocolManager implements PmSource {
  readonly #listeners = new Map<keyof PmEventMap, Set<Listener>>()
  peers: PeerLike[] = []
  sync: false | SyncStatusLike = false
  pmStats: PmStatsLike = {}
  blockFetcherStats: BlockFetcherStatsLike = {
    announced: 0,
    fetching: 0,
    fetched: 0,
    completing: 0,
    queued: 0,
    importing: 0,
  }
  txFetcherStats: TxFetcherStatsLike = { waiting: 0, queued: 0, fetching: 0, requests: 0 }
  downloaderProgress: SyncStatusLike = { startingBlock: 0n, currentBlock: 0n, highestBlock: 0n }
  readonly parts = {
    downloader: { progress: () => this.downloaderProgress },
    blockFetcher: { stats: () => this.blockFetcherStats },
    txFetcher: { stats: () => this.txFetcherStats },
  }

  on<K extends keyof PmEventMap>(event: K, listener: (value: PmEventMap[K]) => void): () => void {
    let set = this.#listeners.get(event)
    if (set === undefined) {
      set = new Set()
      this.#listeners.set(event, set)
    }
    const l = listener as Listener
    set.add(l)
    return () => {
      set.delete(l)
    }
  }
  emit<K extends keyof PmEventMap>(event: K, value: PmEventMap[K]): void {
    for (const l of this.#listeners.get(event) ?? []) (l as (v: PmEventMap[K]) => void)(value)
  }
  /** Listeners subscribed, over every event. */
  get listenerCount(): number {
    let n = 0
    for (const set of this.#listeners.values()) n += set.size
    return n
  }
  peerInfos(): readonly PeerLike[] {
    return this.peers
  }
  syncing(): false | SyncStatusLike {
    return this.sync
  }
  stats(): PmStatsLike {
    return this.pmStats
  }
}

/** A chain double: `emit` its events. */
export class FakeChain implements ChainSource {
  readonly #listeners = new Set<(e: ChainEventLike) => void>()
  head: HeaderLike = { number: 0n }
  on(listener: (e: ChainEventLike) => void): () => void {
    this.#listeners.add(listener)
    return () => {
      this.#listeners.delete(listener)
    }
  }
  emit(e: ChainEventLike): void {
    if (e.type === 'head') this.head = e.header
    for (const l of this.#listeners) l(e)
  }
  currentHeader(): HeaderLike {
    return this.head
  }
  get listenerCount(): number {
    return this.#listeners.size
  }
}

/** A pool double: `stats()` with locals (the hook to add), or only `status()` as today's pool. */
export class FakePool implements PoolSource {
  sizes: PoolStatsLike = { pending: 0, queued: 0, local: 0 }
  reads = 0
  stats(): PoolStatsLike {
    this.reads++
    return this.sizes
  }
}
