/**
 * Log search: a bloom-bits index over the canonical chain, in the spirit of go-ethereum's
 * `core/bloombits` and its chain indexer, and the `eth_getLogs` query that uses it.
 *
 * The chain is cut into sections of `sectionBlocks` blocks (4,096). For a finished section (its last
 * block at least `confirmBlocks` below the head) the index stores, for each of the 2,048 bloom bits,
 * one bit vector over the section's blocks: bit j says "the logs bloom of block j has this bit". A
 * query turns every address and topic into its three bloom bits, so "block j may match" is an AND
 * over the filter's positions of (an OR over that position's values of (an AND of three vectors)):
 * a few hundred bytes read per section instead of 4,096 headers. The blocks it names are then read
 * and their logs matched exactly (blooms give false positives, never false negatives). The tail past
 * the last indexed section is scanned header by header.
 *
 * Each stored section records the hash of its last block; when a reorg replaces that block the
 * sections from there on are dropped and built again.
 */
import {
  type BlockHeader,
  equalBytes,
  keccak256,
  type Log,
  type ReceiptData,
} from '@ethwire/rlp-wire'
import {
  bloomConfirmBlocks,
  bloomSectionBlocks,
  logsMaxBlockRange,
  logsMaxResults,
} from './constants.js'
import { ChainError } from './errors.js'

/** What the index and the query read from a chain (a `Chain` has all of it). */
export interface LogSource {
  currentHeader(): BlockHeader
  getCanonicalHash(n: bigint): Promise<Uint8Array | undefined>
  getHeaderByNumber(n: bigint): Promise<BlockHeader | undefined>
  getHeaderByHash(hash: Uint8Array): Promise<BlockHeader | undefined>
  getReceipts(blockHash: Uint8Array): Promise<ReceiptData[] | undefined>
  /** Transaction hashes of a stored block, in order. */
  getTransactionHashes(blockHash: Uint8Array): Promise<Uint8Array[] | undefined>
  on(listener: (e: { type: string }) => void): () => void
}

/** Where the index keeps its vectors: a binary key-value store (the chain's LevelDB). */
export interface BloomStore {
  get(key: Uint8Array): Promise<Uint8Array | undefined>
  /** Writes every put and delete at once. */
  write(puts: [Uint8Array, Uint8Array][], dels: Uint8Array[]): Promise<void>
}

/** `eth_getLogs`' filter: a block range (inclusive) or one block by hash, addresses and topics. */
export interface LogFilter {
  fromBlock?: bigint
  toBlock?: bigint
  blockHash?: Uint8Array
  /** Any of these addresses; empty or absent: any address. */
  addresses?: Uint8Array[]
  /** Per position: any of these values; null or empty: anything at that position. */
  topics?: (Uint8Array[] | null)[]
}

/** A log with where it is, as `eth_getLogs` returns it. */
export interface FoundLog {
  log: Log
  blockNumber: bigint
  blockHash: Uint8Array
  blockTimestamp: bigint
  txHash: Uint8Array
  txIndex: number
  /** Index of the log within its block. */
  logIndex: number
}

export interface LogQueryOptions {
  /** Most logs returned before `ErrLogsLimit` (default `logsMaxResults`). */
  maxResults?: number
  /** Most blocks a range may span (default `logsMaxBlockRange`). */
  maxBlockRange?: bigint
  signal?: AbortSignal
}

export interface BloomIndexOptions {
  sectionBlocks?: number
  confirmBlocks?: number
  /**
   * false: build no section and ignore stored ones, so every query scans headers one by one (to
   * measure the index against the scan). Default true.
   */
  enabled?: boolean
}

export interface BloomIndexDeps {
  source: LogSource
  store: BloomStore
  logger?: { info(msg: string, ctx?: object): void; warn(msg: string, ctx?: object): void }
}

/** The index and the query over it. */
export interface BloomIndex {
  readonly sectionBlocks: number
  /** Sections stored (the blocks below `sections × sectionBlocks` are indexed). */
  sections(): number
  /** Builds any section that became ready; resolves when it is up to date (also run on heads). */
  update(): Promise<void>
  /** The logs matching `filter`, in chain order. */
  getLogs(filter: LogFilter, opts?: LogQueryOptions): Promise<FoundLog[]>
  start(): Promise<void>
  stop(): Promise<void>
}

const bloomBits = 2048
const enc = new TextEncoder()
const vectorPrefix = enc.encode('ethwire-bloombits-')
const metaKey = enc.encode('ethwire-bloombits-sections')
const sectionHeadPrefix = enc.encode('ethwire-bloombits-head-')

const u64 = (n: bigint | number) => {
  const out = new Uint8Array(8)
  new DataView(out.buffer).setBigUint64(0, BigInt(n))
  return out
}
const cat = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0))
  let o = 0
  for (const p of parts) {
    out.set(p, o)
    o += p.length
  }
  return out
}
const vectorKey = (bit: number, section: number) =>
  cat(vectorPrefix, Uint8Array.of(bit >> 8, bit & 0xff), u64(section))
const sectionHeadKey = (section: number) => cat(sectionHeadPrefix, u64(section))

/** The three bloom bits (0..2047) of a value, as the logs bloom sets them. */
export function bloomBitsOf(value: Uint8Array): [number, number, number] {
  const h = keccak256(value)
  return [
    ((h[0]! << 8) | h[1]!) & 2047,
    ((h[2]! << 8) | h[3]!) & 2047,
    ((h[4]! << 8) | h[5]!) & 2047,
  ]
}

/** Whether a 256-byte logs bloom has bit `bit` (numbered as `bloomBitsOf` numbers them). */
function bloomHas(bloom: Uint8Array, bit: number): boolean {
  return (bloom[255 - (bit >> 3)]! & (1 << (bit & 7))) !== 0
}

// A stored vector: absent when all zero; else a tag byte and either the raw bytes (tag 0) or
// (index u16, byte) pairs for sparse vectors (tag 1), whichever is shorter.
function packVector(v: Uint8Array): Uint8Array | undefined {
  let nonZero = 0
  for (const b of v) if (b !== 0) nonZero++
  if (nonZero === 0) return undefined
  if (nonZero * 3 >= v.length) return cat(Uint8Array.of(0), v)
  const out = new Uint8Array(1 + nonZero * 3)
  out[0] = 1
  let o = 1
  for (let i = 0; i < v.length; i++) {
    if (v[i] === 0) continue
    out[o++] = i >> 8
    out[o++] = i & 0xff
    out[o++] = v[i]!
  }
  return out
}

function unpackVector(stored: Uint8Array | undefined, bytes: number): Uint8Array {
  const v = new Uint8Array(bytes)
  if (stored === undefined || stored.length === 0) return v
  if (stored[0] === 0) {
    v.set(stored.subarray(1, 1 + bytes))
    return v
  }
  for (let o = 1; o + 2 < stored.length; o += 3) {
    const i = (stored[o]! << 8) | stored[o + 1]!
    if (i < bytes) v[i] = stored[o + 2]!
  }
  return v
}

/** The filter as groups of alternatives, each alternative a value's three bits. */
function filterGroups(f: LogFilter): [number, number, number][][] {
  const groups: [number, number, number][][] = []
  if (f.addresses && f.addresses.length > 0) groups.push(f.addresses.map(bloomBitsOf))
  for (const pos of f.topics ?? []) if (pos && pos.length > 0) groups.push(pos.map(bloomBitsOf))
  return groups
}

function bloomMatches(bloom: Uint8Array, groups: [number, number, number][][]): boolean {
  return groups.every((alts) => alts.some((bits) => bits.every((b) => bloomHas(bloom, b))))
}

function logMatches(log: Log, f: LogFilter): boolean {
  if (f.addresses && f.addresses.length > 0 && !f.addresses.some((a) => equalBytes(a, log.address)))
    return false
  const topics = f.topics ?? []
  if (topics.length > log.topics.length) return false
  for (let i = 0; i < topics.length; i++) {
    const alts = topics[i]
    if (!alts || alts.length === 0) continue
    if (!alts.some((t) => equalBytes(t, log.topics[i]!))) return false
  }
  return true
}

const limitError = (max: number) =>
  new ChainError('ErrLogsLimit', `query returned more than ${max} results`)

/** A bloom-bits index over `deps.source`, stored in `deps.store`. */
export function createBloomIndex(deps: BloomIndexDeps, opts: BloomIndexOptions = {}): BloomIndex {
  const size = opts.sectionBlocks ?? bloomSectionBlocks
  const confirms = BigInt(opts.confirmBlocks ?? bloomConfirmBlocks)
  if (size <= 0 || size % 8 !== 0)
    throw new RangeError('sectionBlocks must be a positive multiple of 8')
  const vectorBytes = size / 8
  const enabled = opts.enabled ?? true
  const { source, store } = deps
  let stored = -1 // sections stored, read at start
  let running: Promise<void> | undefined
  let again = false
  let stopped = false
  let unsubscribe: (() => void) | undefined

  async function readMeta(): Promise<number> {
    if (!enabled) return 0
    const v = await store.get(metaKey)
    return v === undefined ? 0 : Number(new DataView(v.buffer, v.byteOffset, 8).getBigUint64(0))
  }

  // Drops stored sections whose last block is no longer canonical (a reorg below them).
  async function rollBackReorged(): Promise<void> {
    let n = stored
    while (n > 0) {
      const last = BigInt(n * size - 1)
      const want = await store.get(sectionHeadKey(n - 1))
      const have = await source.getCanonicalHash(last)
      if (want && have && equalBytes(want, have)) break
      n--
    }
    if (n === stored) return
    deps.logger?.warn('Bloom index: sections dropped after a reorg', { from: n, to: stored })
    const dels: Uint8Array[] = []
    for (let s = n; s < stored; s++) {
      dels.push(sectionHeadKey(s))
      for (let bit = 0; bit < bloomBits; bit++) dels.push(vectorKey(bit, s))
    }
    await store.write([[metaKey, u64(n)]], dels)
    stored = n
  }

  async function buildSection(s: number): Promise<boolean> {
    const vectors: Uint8Array[] = Array.from(
      { length: bloomBits },
      () => new Uint8Array(vectorBytes),
    )
    let lastHash: Uint8Array | undefined
    for (let j = 0; j < size; j++) {
      if (stopped) return false
      const header = await source.getHeaderByNumber(BigInt(s * size + j))
      if (!header) return false
      lastHash = header.hash
      const bloom = header.bloom
      for (let byte = 0; byte < 256; byte++) {
        const b = bloom[byte]!
        if (b === 0) continue
        for (let k = 0; k < 8; k++) {
          if ((b & (1 << k)) === 0) continue
          const bit = (255 - byte) * 8 + k
          const vec = vectors[bit]!
          vec[j >> 3]! |= 0x80 >> (j & 7)
        }
      }
    }
    // the section's last block must still be canonical when it is written
    const canon = await source.getCanonicalHash(BigInt(s * size + size - 1))
    if (!lastHash || !canon || !equalBytes(canon, lastHash)) return false
    const puts: [Uint8Array, Uint8Array][] = [
      [sectionHeadKey(s), lastHash],
      [metaKey, u64(s + 1)],
    ]
    for (let bit = 0; bit < bloomBits; bit++) {
      const packed = packVector(vectors[bit]!)
      if (packed) puts.push([vectorKey(bit, s), packed])
    }
    await store.write(puts, [])
    stored = s + 1
    return true
  }

  async function catchUp(): Promise<void> {
    if (!enabled) return
    if (stored < 0) stored = await readMeta()
    await rollBackReorged()
    const head = source.currentHeader().number
    const ready = head + 1n > confirms ? Number((head + 1n - confirms) / BigInt(size)) : 0
    const started = stored
    while (!stopped && stored < ready) {
      if (!(await buildSection(stored))) break
      // let other work run between sections
      await new Promise<void>((r) => setImmediate(r))
    }
    if (stored > started)
      deps.logger?.info('Bloom index updated', { sections: stored, blocks: stored * size })
  }

  function update(): Promise<void> {
    if (running) {
      again = true
      return running
    }
    running = (async () => {
      try {
        do {
          again = false
          await catchUp()
        } while (again && !stopped)
      } finally {
        running = undefined
      }
    })()
    return running
  }

  async function candidates(
    groups: [number, number, number][][],
    from: bigint,
    to: bigint,
    indexedEnd: bigint,
    signal: AbortSignal | undefined,
  ): Promise<bigint[]> {
    const out: bigint[] = []
    // indexed part: sections' vectors
    const s0 = Number(from / BigInt(size))
    const lastIndexed = to < indexedEnd ? to : indexedEnd - 1n
    for (let s = s0; from <= lastIndexed && BigInt(s * size) <= lastIndexed; s++) {
      signal?.throwIfAborted()
      let acc: Uint8Array | undefined
      if (groups.length === 0) acc = new Uint8Array(vectorBytes).fill(0xff)
      for (const alts of groups) {
        const any = new Uint8Array(vectorBytes)
        for (const bits of alts) {
          const vs = await Promise.all(
            bits.map(async (b) => unpackVector(await store.get(vectorKey(b, s)), vectorBytes)),
          )
          for (let i = 0; i < vectorBytes; i++) any[i]! |= vs[0]![i]! & vs[1]![i]! & vs[2]![i]!
        }
        if (acc === undefined) acc = any
        else for (let i = 0; i < vectorBytes; i++) acc[i]! &= any[i]!
      }
      const base = BigInt(s * size)
      for (let i = 0; i < vectorBytes; i++) {
        const byte = acc![i]!
        if (byte === 0) continue
        for (let k = 0; k < 8; k++) {
          if ((byte & (0x80 >> k)) === 0) continue
          const n = base + BigInt(i * 8 + k)
          if (n >= from && n <= lastIndexed) out.push(n)
        }
      }
    }
    // the tail: header blooms one by one
    for (let n = from > indexedEnd ? from : indexedEnd; n <= to; n++) {
      signal?.throwIfAborted()
      const h = await source.getHeaderByNumber(n)
      if (!h) break
      if (groups.length === 0 || bloomMatches(h.bloom, groups)) out.push(n)
    }
    return out
  }

  async function blockLogs(header: BlockHeader, f: LogFilter, out: FoundLog[], max: number) {
    const receipts = await source.getReceipts(header.hash)
    if (!receipts) return
    const txHashes = (await source.getTransactionHashes(header.hash)) ?? []
    let logIndex = 0
    for (const [txIndex, r] of receipts.entries()) {
      for (const log of r.logs) {
        if (logMatches(log, f)) {
          if (out.length >= max) throw limitError(max)
          out.push({
            log,
            blockNumber: header.number,
            blockHash: header.hash,
            blockTimestamp: header.time,
            txHash: txHashes[txIndex] ?? new Uint8Array(32),
            txIndex,
            logIndex,
          })
        }
        logIndex++
      }
    }
  }

  async function getLogs(f: LogFilter, o: LogQueryOptions = {}): Promise<FoundLog[]> {
    const max = o.maxResults ?? logsMaxResults
    const groups = filterGroups(f)
    const out: FoundLog[] = []
    if (f.blockHash) {
      if (f.fromBlock !== undefined || f.toBlock !== undefined)
        throw new ChainError(
          'ErrLogsFilter',
          'cannot specify both BlockHash and FromBlock/ToBlock, choose one or the other',
        )
      const h = await source.getHeaderByHash(f.blockHash)
      if (!h) throw new ChainError('ErrUnknownBlock', 'unknown block')
      if (groups.length === 0 || bloomMatches(h.bloom, groups)) await blockLogs(h, f, out, max)
      return out
    }
    const head = source.currentHeader().number
    const from = f.fromBlock ?? head
    const to = f.toBlock ?? head
    if (from > to) throw new ChainError('ErrLogsFilter', 'invalid block range params')
    if (to > head)
      throw new ChainError('ErrLogsFilter', 'block range extends beyond current head block')
    const maxRange = o.maxBlockRange ?? logsMaxBlockRange
    if (to - from + 1n > maxRange)
      throw new ChainError('ErrLogsRange', `block range is larger than ${maxRange} blocks`)
    if (stored < 0) stored = await readMeta()
    const indexedEnd = BigInt(stored * size)
    for (const n of await candidates(groups, from, to, indexedEnd, o.signal)) {
      o.signal?.throwIfAborted()
      const h = await source.getHeaderByNumber(n)
      if (h && (groups.length === 0 || bloomMatches(h.bloom, groups)))
        await blockLogs(h, f, out, max)
    }
    return out
  }

  return {
    sectionBlocks: size,
    sections: () => Math.max(stored, 0),
    update,
    getLogs,
    async start() {
      stopped = false
      stored = await readMeta()
      unsubscribe = source.on((e) => {
        if (e.type === 'head') void update().catch(() => {})
      })
      void update().catch((err) =>
        deps.logger?.warn('Bloom index update failed', { err: String(err) }),
      )
    },
    async stop() {
      stopped = true
      unsubscribe?.()
      unsubscribe = undefined
      await running?.catch(() => {})
    },
  }
}

/** What `chainLogSource` needs of a chain (a `Chain` has it). */
export interface LogChain {
  currentHeader(): BlockHeader
  getCanonicalHash(n: bigint): Promise<Uint8Array | undefined>
  getHeaderByNumber(n: bigint): Promise<BlockHeader | undefined>
  getHeaderByHash(hash: Uint8Array): Promise<BlockHeader | undefined>
  getReceipts(blockHash: Uint8Array): Promise<ReceiptData[] | undefined>
  getBody(hash: Uint8Array): Promise<{ transactions: { hash: Uint8Array }[] } | undefined>
  on(listener: (e: { type: string }) => void): () => void
  readonly db: {
    get(key: Uint8Array): Promise<Uint8Array | undefined>
    batch(
      ops: (
        | { type: 'put'; key: Uint8Array; value: Uint8Array }
        | { type: 'del'; key: Uint8Array }
      )[],
    ): Promise<void>
  }
}

/** A chain as the index's source (transaction hashes from the block bodies). */
export function chainLogSource(chain: LogChain): LogSource {
  return {
    currentHeader: () => chain.currentHeader(),
    getCanonicalHash: (n) => chain.getCanonicalHash(n),
    getHeaderByNumber: (n) => chain.getHeaderByNumber(n),
    getHeaderByHash: (h) => chain.getHeaderByHash(h),
    getReceipts: (h) => chain.getReceipts(h),
    getTransactionHashes: async (h) => (await chain.getBody(h))?.transactions.map((t) => t.hash),
    on: (l) => chain.on(l),
  }
}

/** The chain's LevelDB as the index's store (its keys start with `ethwire-bloombits-`). */
export function chainBloomStore(chain: LogChain): BloomStore {
  return {
    get: async (key) => {
      const v = await chain.db.get(key)
      return v === undefined ? undefined : new Uint8Array(v.buffer, v.byteOffset, v.byteLength)
    },
    write: (puts, dels) =>
      chain.db.batch([
        ...dels.map((key) => ({ type: 'del' as const, key })),
        ...puts.map(([key, value]) => ({ type: 'put' as const, key, value })),
      ]),
  }
}
