/** The chain: LevelDB storage, genesis, insertion with header/body checks, canonical choice and reorg. */
import {
  Block,
  type BlockBody,
  BlockHeader,
  bodyToRlp,
  bytesToBigInt,
  bytesToHex,
  checkBody,
  decodeBodyRaw,
  decodeReceipt,
  encodeReceipt,
  equalBytes,
  hexToBytes,
  isWireError,
  type ReceiptData,
  rlpDecode,
  rlpEncode,
  rlpListElements,
} from '@ethwire/rlp-wire'
import { Level } from 'level'
import { type ChainConfig, terminalTotalDifficulty } from './config.js'
import { createBeacon, createFakePow, type Engine } from './engines.js'
import { ChainError } from './errors.js'
import { type GenesisJson, genesisHeader, genesisState, parseGenesis } from './genesis.js'
import * as k from './schema.js'
import type { HeaderReader } from './types.js'

type Db = Level<Uint8Array, Uint8Array>
type Op = { type: 'put'; key: Uint8Array; value: Uint8Array } | { type: 'del'; key: Uint8Array }

export interface ChainDeps {
  /** Directory of the LevelDB database. */
  location: string
  /**
   * Consensus engine; default from the stored config: beacon over `fakepow` when `fakePow` is set,
   * or when the genesis already reached the terminal total difficulty (no pre-merge block can follow).
   */
  engine?: Engine | ((config: ChainConfig) => Engine)
}

export interface ChainOptions {
  /** Genesis to initialise an empty database with; checked against a stored one. */
  genesis?: GenesisJson | string
  /** Accept proof-of-work seals unchecked (go-ethereum `--fakepow`). */
  fakePow?: boolean
}

export interface InsertResult {
  /** Blocks newly written. */
  inserted: number
  /** Blocks already known and skipped. */
  known: number
  /** Whether the canonical head changed. */
  headChanged: boolean
}

export type ChainEvent =
  | { type: 'head'; header: BlockHeader }
  | { type: 'reorg'; oldHead: BlockHeader; newHead: BlockHeader; ancestor: bigint }
  | { type: 'block'; block: Block; canonical: boolean }

interface Pending {
  ops: Op[]
  headers: Map<string, BlockHeader>
  tds: Map<string, bigint>
  canon: Map<bigint, Uint8Array | null>
}

const hex = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex')

/** Opens (and if needed initialises) a chain database. */
export async function openChain(deps: ChainDeps, options: ChainOptions = {}): Promise<Chain> {
  const db: Db = new Level<Uint8Array, Uint8Array>(deps.location, {
    keyEncoding: 'view',
    valueEncoding: 'view',
  })
  await db.open()
  try {
    const chain = new Chain(db)
    await chain.init(deps, options)
    return chain
  } catch (e) {
    await db.close()
    throw e
  }
}

export class Chain {
  config!: ChainConfig
  engine!: Engine
  genesis!: BlockHeader
  private head!: BlockHeader
  private headTd = 0n
  private ttd: bigint | undefined
  private listeners = new Set<(e: ChainEvent) => void>()
  private closed = false
  private queue: Promise<unknown> = Promise.resolve()

  /** @internal use `openChain` */
  constructor(readonly db: Db) {}

  /** @internal */
  async init(deps: ChainDeps, options: ChainOptions): Promise<void> {
    const stored = await this.get(k.canonicalKey(0n))
    let genesisHash: Uint8Array
    if (options.genesis !== undefined) {
      const g = parseGenesis(options.genesis)
      const st = genesisState(g.alloc)
      const header = genesisHeader(g, st.stateRoot)
      if (stored && !equalBytes(stored, header.hash))
        throw new ChainError(
          'ErrGenesisMismatch',
          `database has genesis ${bytesToHex(stored)}, the given genesis is ${bytesToHex(header.hash)}`,
        )
      if (!stored) {
        const h = header.hash
        const ops: Op[] = [
          { type: 'put', key: k.headerKey(0n, h), value: header.encode() },
          { type: 'put', key: k.tdKey(0n, h), value: rlpEncode(header.difficulty) },
          { type: 'put', key: k.bodyKey(0n, h), value: rlpEncode(bodyToRlp(emptyBody(header))) },
          { type: 'put', key: k.receiptsKey(0n, h), value: rlpEncode([]) },
          { type: 'put', key: k.numberKey(h), value: k.num8(0n) },
          { type: 'put', key: k.canonicalKey(0n), value: h },
          {
            type: 'put',
            key: k.configKey(h),
            value: new TextEncoder().encode(JSON.stringify(g.config)),
          },
          { type: 'put', key: k.keyLastHeader, value: h },
          { type: 'put', key: k.keyLastBlock, value: h },
          { type: 'put', key: k.keyLastFast, value: h },
        ]
        for (const [codeHash, code] of st.code)
          ops.push({ type: 'put', key: k.codeKey(hexToBytes(codeHash)), value: code })
        await this.db.batch(ops)
      }
      genesisHash = header.hash
    } else {
      if (!stored)
        throw new ChainError('ErrNoGenesis', 'empty database and no genesis given (run init first)')
      genesisHash = stored
    }
    const cfg = await this.get(k.configKey(genesisHash))
    if (!cfg) throw new ChainError('ErrInvalidGenesis', 'stored chain config missing')
    this.config = JSON.parse(new TextDecoder().decode(cfg)) as ChainConfig
    this.ttd = terminalTotalDifficulty(this.config)
    const g = await this.getHeaderByHash(genesisHash)
    if (!g) throw new ChainError('ErrInvalidGenesis', 'stored genesis header missing')
    this.genesis = g
    this.engine = resolveEngine(deps.engine, this.config, options.fakePow, g, this.ttd)
    await this.repairHeads()
  }

  // ------------------------------------------------------------ events

  /** Subscribes to chain events; returns the unsubscribe function. */
  on(listener: (e: ChainEvent) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }
  private emit(e: ChainEvent) {
    for (const l of this.listeners) {
      try {
        l(e)
      } catch {
        // a listener's error does not affect the chain
      }
    }
  }

  // ------------------------------------------------------------ readers

  private async get(key: Uint8Array): Promise<Uint8Array | undefined> {
    const v = await this.db.get(key)
    // level's 'view' encoding hands out Buffers under Node; readers return plain Uint8Arrays.
    return v === undefined ? undefined : new Uint8Array(v.buffer, v.byteOffset, v.byteLength)
  }
  currentHeader(): BlockHeader {
    return this.head
  }
  /** The head block (headers and bodies are always written together, so it equals the head header's block). */
  async currentBlock(): Promise<Block> {
    const b = await this.getBlockByHash(this.head.hash)
    if (!b) throw new ChainError('ErrUnknownBlock', 'head block missing')
    return b
  }
  currentTd(): bigint {
    return this.headTd
  }
  async getCanonicalHash(n: bigint): Promise<Uint8Array | undefined> {
    return this.get(k.canonicalKey(n))
  }
  async getBlockNumber(hash: Uint8Array): Promise<bigint | undefined> {
    const v = await this.get(k.numberKey(hash))
    return v ? new DataView(v.buffer, v.byteOffset, 8).getBigUint64(0) : undefined
  }
  async getHeader(hash: Uint8Array, n: bigint): Promise<BlockHeader | undefined> {
    const v = await this.get(k.headerKey(n, hash))
    return v ? BlockHeader.decode(v) : undefined
  }
  async getHeaderByHash(hash: Uint8Array): Promise<BlockHeader | undefined> {
    const n = await this.getBlockNumber(hash)
    return n === undefined ? undefined : this.getHeader(hash, n)
  }
  async getHeaderByNumber(n: bigint): Promise<BlockHeader | undefined> {
    const hash = await this.getCanonicalHash(n)
    return hash ? this.getHeader(hash, n) : undefined
  }
  /** Raw RLP of a header (for serving without re-encoding). */
  async getHeaderRlp(hash: Uint8Array): Promise<Uint8Array | undefined> {
    const n = await this.getBlockNumber(hash)
    return n === undefined ? undefined : this.get(k.headerKey(n, hash))
  }
  /** Raw RLP of a body `[txs, uncles, withdrawals?]`. */
  async getBodyRlp(hash: Uint8Array): Promise<Uint8Array | undefined> {
    const n = await this.getBlockNumber(hash)
    return n === undefined ? undefined : this.get(k.bodyKey(n, hash))
  }
  async getBody(hash: Uint8Array): Promise<BlockBody | undefined> {
    const raw = await this.getBodyRlp(hash)
    return raw ? decodeBodyRaw(raw) : undefined
  }
  async getBlockByHash(hash: Uint8Array): Promise<Block | undefined> {
    const n = await this.getBlockNumber(hash)
    if (n === undefined) return undefined
    const [h, b] = await Promise.all([this.get(k.headerKey(n, hash)), this.get(k.bodyKey(n, hash))])
    return h && b ? new Block(BlockHeader.decode(h), decodeBodyRaw(b)) : undefined
  }
  async getBlockByNumber(n: bigint): Promise<Block | undefined> {
    const hash = await this.getCanonicalHash(n)
    return hash ? this.getBlockByHash(hash) : undefined
  }
  /** Receipts stored for a block (only when they were given to `insertChain`). */
  async getReceipts(hash: Uint8Array): Promise<ReceiptData[] | undefined> {
    const n = await this.getBlockNumber(hash)
    if (n === undefined) return undefined
    const raw = await this.get(k.receiptsKey(n, hash))
    return raw
      ? rlpListElements(raw).map((e) => decodeReceipt(rlpDecode(e) as Uint8Array))
      : undefined
  }
  async getTd(hash: Uint8Array): Promise<bigint | undefined> {
    const n = await this.getBlockNumber(hash)
    if (n === undefined) return undefined
    const v = await this.get(k.tdKey(n, hash))
    return v ? bytesToBigInt(rlpDecode(v) as Uint8Array) : undefined
  }
  async hasBlock(hash: Uint8Array): Promise<boolean> {
    const n = await this.getBlockNumber(hash)
    return n !== undefined && (await this.get(k.bodyKey(n, hash))) !== undefined
  }
  /** Contract code by code hash (genesis alloc code); trie nodes are not kept. */
  async getNodeData(hash: Uint8Array): Promise<Uint8Array | undefined> {
    return this.get(k.codeKey(hash))
  }

  // ------------------------------------------------------------ writers

  /** Serialises writers. */
  private exclusive<T>(f: () => Promise<T>): Promise<T> {
    const run = this.queue.then(f, f)
    this.queue = run.catch(() => {})
    return run
  }

  /**
   * Verifies and stores consecutive blocks (known ones are skipped) in one atomic batch, then
   * moves the head if the new chain wins. Valid blocks before a bad one are kept; the bad one throws a
   * `ChainError`. Receipts, when given, are stored next to the blocks (no execution happens here).
   */
  insertChain(
    blocks: Block[],
    receipts?: ReceiptData[][],
    signal?: AbortSignal,
  ): Promise<InsertResult> {
    return this.exclusive(() => this.insert(blocks, receipts, signal))
  }

  private async insert(
    blocks: Block[],
    receipts: ReceiptData[][] | undefined,
    signal?: AbortSignal,
  ) {
    if (this.closed) throw new ChainError('ErrClosed', 'chain is closed')
    const p: Pending = { ops: [], headers: new Map(), tds: new Map(), canon: new Map() }
    const reader: HeaderReader = {
      config: this.config,
      getHeader: async (hash, n) => p.headers.get(hex(hash)) ?? this.getHeader(hash, n),
    }
    let head = this.head
    let headTd = this.headTd
    const oldHead = this.head
    let inserted = 0
    let known = 0
    let failure: unknown
    const events: ChainEvent[] = []
    for (let i = 0; i < blocks.length; i++) {
      signal?.throwIfAborted()
      const block = blocks[i] as Block
      const header = block.header
      const hash = header.hash
      const n = header.number
      try {
        if (p.headers.has(hex(hash)) || (await this.hasBlock(hash))) {
          known++
          continue
        }
        if (n === 0n)
          throw new ChainError(
            'ErrGenesisMismatch',
            `block 0 ${bytesToHex(hash)} is not our genesis`,
            0n,
          )
        const parent = await reader.getHeader(header.parentHash, n - 1n)
        if (!parent)
          throw new ChainError(
            'ErrUnknownParent',
            `block ${n}: parent ${bytesToHex(header.parentHash)} unknown`,
            n,
          )
        const parentTd = p.tds.get(hex(parent.hash)) ?? (await this.getTd(parent.hash))
        if (parentTd === undefined)
          throw new ChainError('ErrUnknownParent', `block ${n}: parent total difficulty unknown`, n)
        const postMerge = this.ttd !== undefined && parentTd >= this.ttd
        if (postMerge && header.difficulty !== 0n)
          throw new ChainError(
            'ErrInvalidDifficulty',
            `block ${n}: non-zero difficulty after the merge`,
            n,
          )
        if (!postMerge && header.difficulty === 0n)
          throw new ChainError(
            'ErrInvalidDifficulty',
            `block ${n}: zero difficulty before the merge`,
            n,
          )
        await this.engine.verifyHeader(reader, header, parent)
        try {
          checkBody(header, block.body())
        } catch (e) {
          if (isWireError(e)) throw new ChainError('ErrInvalidBody', `block ${n}: ${e.message}`, n)
          throw e
        }
        const td = parentTd + header.difficulty
        const rs = receipts?.[i]
        p.ops.push(
          { type: 'put', key: k.headerKey(n, hash), value: header.encode() },
          { type: 'put', key: k.tdKey(n, hash), value: rlpEncode(td) },
          { type: 'put', key: k.bodyKey(n, hash), value: rlpEncode(bodyToRlp(block.body())) },
          { type: 'put', key: k.numberKey(hash), value: k.num8(n) },
        )
        if (rs)
          p.ops.push({
            type: 'put',
            key: k.receiptsKey(n, hash),
            value: rlpEncode(rs.map(encodeReceipt)),
          })
        p.headers.set(hex(hash), header)
        p.tds.set(hex(hash), td)
        inserted++
        // Canonical choice: total difficulty before the merge; after it, the longer chain (a block
        // extending the head always wins; ties keep the current head).
        const wins = postMerge
          ? n > head.number || equalBytes(header.parentHash, head.hash)
          : td > headTd || (td === headTd && equalBytes(header.parentHash, head.hash))
        if (wins) {
          if (!equalBytes(header.parentHash, head.hash)) {
            const ancestor = await this.rewriteCanonical(p, reader, parent, head.number)
            events.push({ type: 'reorg', oldHead: head, newHead: header, ancestor })
          }
          p.canon.set(n, hash)
          head = header
          headTd = td
        }
        events.push({ type: 'block', block, canonical: wins })
      } catch (e) {
        failure = e
        break
      }
    }
    if (inserted > 0) {
      for (const [n, h] of p.canon) {
        if (h) p.ops.push({ type: 'put', key: k.canonicalKey(n), value: h })
        else p.ops.push({ type: 'del', key: k.canonicalKey(n) })
      }
      if (head !== oldHead) {
        for (const key of [k.keyLastHeader, k.keyLastBlock, k.keyLastFast])
          p.ops.push({ type: 'put', key, value: head.hash })
      }
      await this.db.batch(p.ops)
      this.head = head
      this.headTd = headTd
      for (const e of events) this.emit(e)
      if (head !== oldHead) this.emit({ type: 'head', header: head })
    }
    if (failure) throw failure
    return { inserted, known, headChanged: head !== oldHead }
  }

  private async canonAt(p: Pending, n: bigint): Promise<Uint8Array | undefined> {
    if (p.canon.has(n)) return p.canon.get(n) ?? undefined
    return this.getCanonicalHash(n)
  }

  /** Makes `from` and its ancestors canonical, drops canonical entries above `from` up to `oldHeadNumber`. */
  private async rewriteCanonical(
    p: Pending,
    reader: HeaderReader,
    from: BlockHeader,
    oldHeadNumber: bigint,
  ) {
    for (let n = from.number + 1n; n <= oldHeadNumber; n++) p.canon.set(n, null)
    let h: BlockHeader | undefined = from
    while (h) {
      const c = await this.canonAt(p, h.number)
      if (c && equalBytes(c, h.hash)) return h.number
      p.canon.set(h.number, h.hash)
      if (h.number === 0n) break
      h = await reader.getHeader(h.parentHash, h.number - 1n)
    }
    throw new ChainError('ErrNotLinked', 'side chain does not reach the canonical chain')
  }

  /**
   * Rewinds the canonical chain to block `n`: canonical blocks above it are deleted and the head
   * pointers moved, all in one batch.
   */
  setHead(n: bigint): Promise<void> {
    return this.exclusive(async () => {
      if (n >= this.head.number) return
      const target = await this.getHeaderByNumber(n)
      if (!target) throw new ChainError('ErrUnknownBlock', `no canonical block ${n}`)
      const ops: Op[] = []
      for (let i = this.head.number; i > n; i--) {
        const h = await this.getCanonicalHash(i)
        ops.push({ type: 'del', key: k.canonicalKey(i) })
        if (!h) continue
        for (const key of [
          k.headerKey(i, h),
          k.tdKey(i, h),
          k.bodyKey(i, h),
          k.receiptsKey(i, h),
          k.numberKey(h),
        ])
          ops.push({ type: 'del', key })
      }
      for (const key of [k.keyLastHeader, k.keyLastBlock, k.keyLastFast])
        ops.push({ type: 'put', key, value: target.hash })
      await this.db.batch(ops)
      this.head = target
      this.headTd = (await this.getTd(target.hash)) ?? 0n
      this.emit({ type: 'head', header: target })
    })
  }

  /**
   * Makes the head pointers agree with the canonical index: a head pointer that is missing, names an
   * unknown block or a non-canonical one is moved to the highest canonical block whose header, body
   * and total difficulty are present; canonical entries above the head are removed.
   */
  private async repairHeads(): Promise<void> {
    const ptr = await this.get(k.keyLastBlock)
    let head = ptr ? await this.checkCanonicalBlock(ptr) : undefined
    let repaired = false
    if (!head) {
      repaired = true
      // Highest canonical entry ('h' + num8 + 'n'), then walk down to a complete block.
      let top = 0n
      for await (const key of this.db.keys({
        gte: k.canonicalKey(0n),
        lte: k.canonicalKey(2n ** 64n - 1n),
        reverse: true,
      })) {
        if (key.length === 10 && key[9] === 0x6e) {
          top = new DataView(key.buffer, key.byteOffset + 1, 8).getBigUint64(0)
          break
        }
      }
      for (let n = top; n >= 0n && !head; n--) {
        const h = await this.getCanonicalHash(n)
        if (h) head = await this.checkCanonicalBlock(h)
      }
      if (!head)
        throw new ChainError('ErrInvalidGenesis', 'no consistent canonical block in the database')
    }
    // Remove canonical entries above the head.
    const ops: Op[] = []
    for await (const key of this.db.keys({
      gt: k.canonicalKey(head.number),
      lte: k.canonicalKey(2n ** 64n - 1n),
    })) {
      if (key.length === 10 && key[9] === 0x6e) ops.push({ type: 'del', key })
    }
    if (repaired || ops.length) {
      for (const key of [k.keyLastHeader, k.keyLastBlock, k.keyLastFast])
        ops.push({ type: 'put', key, value: head.hash })
      await this.db.batch(ops)
    }
    this.head = head
    this.headTd = (await this.getTd(head.hash)) ?? 0n
  }

  private async checkCanonicalBlock(hash: Uint8Array): Promise<BlockHeader | undefined> {
    const n = await this.getBlockNumber(hash)
    if (n === undefined) return undefined
    const c = await this.getCanonicalHash(n)
    if (!c || !equalBytes(c, hash)) return undefined
    const [h, b, t] = await Promise.all([
      this.get(k.headerKey(n, hash)),
      this.get(k.bodyKey(n, hash)),
      this.get(k.tdKey(n, hash)),
    ])
    return h && b && t ? BlockHeader.decode(h) : undefined
  }

  /** Checks the canonical index from the head down to genesis: every link, number and pointer. Throws on the first fault. */
  async verifyIntegrity(): Promise<void> {
    let h: BlockHeader | undefined = this.head
    const ptrs = await Promise.all(
      [k.keyLastHeader, k.keyLastBlock, k.keyLastFast].map((x) => this.get(x)),
    )
    for (const p of ptrs)
      if (!p || !equalBytes(p, this.head.hash))
        throw new ChainError('ErrNotLinked', 'head pointer differs from head')
    if (await this.getCanonicalHash(this.head.number + 1n))
      throw new ChainError('ErrNotLinked', 'canonical entry above head')
    while (h) {
      const c = await this.getCanonicalHash(h.number)
      if (!c || !equalBytes(c, h.hash))
        throw new ChainError('ErrNotLinked', `canonical ${h.number} mismatch`)
      if (!(await this.getBody(h.hash)))
        throw new ChainError('ErrUnknownBlock', `body ${h.number} missing`)
      if (h.number === 0n) {
        if (!equalBytes(h.hash, this.genesis.hash))
          throw new ChainError('ErrNotLinked', 'chain does not end at genesis')
        return
      }
      h = await this.getHeader(h.parentHash, h.number - 1n)
    }
    throw new ChainError('ErrNotLinked', 'broken parent link')
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    await this.queue
    await this.db.close()
  }
}

function emptyBody(h: BlockHeader): BlockBody {
  return { transactions: [], uncles: [], withdrawals: h.withdrawalsRoot ? [] : undefined }
}

function resolveEngine(
  e: ChainDeps['engine'],
  config: ChainConfig,
  fakePow: boolean | undefined,
  genesis: BlockHeader,
  ttd: bigint | undefined,
): Engine {
  if (typeof e === 'function') return e(config)
  if (e) return e
  if (config.clique)
    throw new ChainError(
      'ErrUnsupportedEngine',
      'clique genesis: pass a clique engine (createClique) as deps.engine',
    )
  const mergedAtGenesis = ttd !== undefined && genesis.difficulty >= ttd
  if (fakePow || mergedAtGenesis) return createBeacon(createFakePow())
  throw new ChainError(
    'ErrUnsupportedEngine',
    'proof-of-work (ethash) seals are not verified; use fakePow to accept them unchecked',
  )
}
