/** The chain: LevelDB storage, genesis, insertion with header/body checks, canonical choice and reorg. */

import type { Logger } from '@ethwire/interface'
import { errorCode } from '@ethwire/interface/runtime'
import {
  Block,
  type BlockBody,
  BlockHeader,
  bodyToRlp,
  bytesToBigInt,
  bytesToHex,
  checkBody,
  decodeBodyRaw,
  encodeReceipt,
  equalBytes,
  hexToBytes,
  isWireError,
  orderedTrieRoot,
  type ReceiptData,
  receiptsRoot,
  rlpDecode,
  rlpEncode,
} from '@ethwire/rlp-wire'
import { Level } from 'level'
import { type ConfigIncompatibility, checkCompatible, sameConfig } from './compat.js'
import { type ChainConfig, terminalTotalDifficulty } from './config.js'
import {
  badBlockLimit,
  canonicalHeaderCacheEntries,
  databaseVersion,
  executedBatchBlocks,
  executedBatchBytes,
  executedDrainGroups,
  senderChunkBlocks,
} from './constants.js'
import { createBeacon, createFakePow, type Engine } from './engines.js'
import { ChainError } from './errors.js'
import {
  type GenesisJson,
  genesisHeader,
  genesisState,
  genesisStateRoot,
  isHeaderOnlyGenesis,
  parseGenesis,
} from './genesis.js'
import { CanonicalHeaderCache, headerNumberOfKey } from './header-cache.js'
import { decodeStoredReceipts, encodeStoredReceipts, txTypesOfBodyRlp } from './receipts.js'
import * as k from './schema.js'
import { prepareLocation, storageFailure, undoLocation, writeError } from './storage.js'
import type { BlockExecutionResult, Executor, HeaderReader, StateWriteOp } from './types.js'

/** The LevelDB instance the chain owns (binary keys and values). */
export type Db = Level<Uint8Array, Uint8Array>
type Op = { type: 'put'; key: Uint8Array; value: Uint8Array } | { type: 'del'; key: Uint8Array }

export interface ChainDeps {
  /** Directory of the LevelDB database. */
  location: string
  /**
   * Consensus engine; default from the stored config: beacon over `fakepow` when `fakePow` is set,
   * or when the genesis already reached the terminal total difficulty (no pre-merge block can follow).
   */
  engine?: Engine | ((config: ChainConfig) => Engine)
  /**
   * Executes every block that becomes canonical (state, receipts, results checked against the
   * header). Without one, blocks are stored after header and body checks only.
   */
  executor?:
    | Executor
    | ((ctx: {
        /** The chain's database as a key-value reader, for a state database that shares it. */
        db: {
          get(key: Uint8Array): Promise<Uint8Array | undefined>
          getMany(keys: Uint8Array[]): Promise<(Uint8Array | undefined)[]>
        }
        config: ChainConfig
        engine: Engine
      }) => Executor | Promise<Executor>)
  /**
   * Test hook: called with a batch's block range right before it is written (one `insertChain` call
   * without an executor; up to `executedBatchBlocks` consecutive blocks with one; one
   * `insertReceiptChain` call). A kill test SIGKILLs the process here.
   */
  beforeBatchWrite?: (info: { firstBlock: bigint; blockNumber: bigint; ops: number }) => void
  /**
   * Says why the database was migrated or the head rewound on open (config upgrades), and warns
   * when a write fails (disk full) and the chain stops writing.
   */
  logger?: Pick<Logger, 'info' | 'warn'>
  /**
   * Wraps the opened LevelDB instance before the chain uses it (fault injection in tests: see
   * `faultyWrites` of `@ethwire/chain/testing`, which fails batches as a full disk would).
   */
  wrapDb?: (db: Db) => Db
}

/** What opening the database changed, when it changed anything. */
export interface OpenReport {
  /** The layout version the database had before this open migrated it. */
  migratedFrom?: number
  /** A new genesis config that rewrote passed forks: the head was rewound below the change. */
  rewound?: ConfigIncompatibility & { from: bigint; to: bigint }
  /** The stored chain config was replaced by the given one. */
  configUpdated?: boolean
}

/** A block that failed execution (go-ethereum's bad-block list). */
export interface BadBlock {
  hash: Uint8Array
  number: bigint
  header: BlockHeader
  /** The header field that differed, or `transactions` when a transaction or system call failed. */
  field: string
  reason: string
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

/** Options of `insertReceiptChain`. */
export interface InsertReceiptOptions {
  /** Per block: false skips its seal check (absent or true: checked). */
  seals?: readonly boolean[]
  /**
   * The caller has matched every body to its header's transactions, uncles and withdrawals roots
   * and every receipt list to its receipts root (a downloader does, for each delivery, with the
   * same `checkBody` and `receiptsRoot`): they are not derived a second time. go-ethereum's
   * `InsertReceiptChain` likewise leaves that to the downloader's queue.
   */
  rootsChecked?: boolean
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
  bodies: Map<string, Block>
}

const newPending = (): Pending => ({
  ops: [],
  headers: new Map(),
  tds: new Map(),
  canon: new Map(),
  bodies: new Map(),
})

const hex = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex')

/**
 * Opens (and if needed initialises) a chain database. A data directory that cannot be written
 * rejects with `ErrDatadirReadOnly` before anything is created or changed; a first open that fails
 * (say `ErrDiskFull` writing the genesis) removes what it created in a new or empty directory.
 */
export async function openChain(deps: ChainDeps, options: ChainOptions = {}): Promise<Chain> {
  const where = await prepareLocation(deps.location)
  const raw: Db = new Level<Uint8Array, Uint8Array>(deps.location, {
    keyEncoding: 'view',
    valueEncoding: 'view',
  })
  try {
    await raw.open()
  } catch (e) {
    await undoLocation(deps.location, where)
    const kind = storageFailure(e)
    if (kind === undefined) throw e
    throw writeError(e, deps.location, 'the database files at open')
  }
  const db = deps.wrapDb ? deps.wrapDb(raw) : raw
  try {
    const chain = new Chain(db)
    await chain.init(deps, options)
    return chain
  } catch (e) {
    await db.close().catch(() => {})
    await undoLocation(deps.location, where)
    throw e
  }
}

export class Chain {
  config!: ChainConfig
  engine!: Engine
  genesis!: BlockHeader
  private head!: BlockHeader
  private headTd = 0n
  /**
   * Fast sync: the highest block stored with its receipts, whether or not its state is present
   * (go-ethereum's current fast block). The canonical index runs up to it; at or above `head`.
   */
  private fastHead!: BlockHeader
  private fastTd = 0n
  private ttd: bigint | undefined
  private listeners = new Set<(e: ChainEvent) => void>()
  private closed = false
  private queue: Promise<unknown> = Promise.resolve()
  private executor: Executor | undefined
  private beforeBatchWrite: ChainDeps['beforeBatchWrite']
  private location = ''
  private logger: Pick<Logger, 'info' | 'warn'> | undefined
  /** The first failed write: from then on every write is refused (until the chain is reopened). */
  private failedWrite: ChainError | undefined
  private bad: BadBlock[] = []
  /** Highest number of any stored header (canonical or not); blocks above it are unknown. */
  private maxStored = 0n
  /** What this open migrated or rewound. */
  readonly opened: OpenReport = {}
  /** Initialised from a header-only genesis (stored as a marker, so a reopen knows). */
  private headerOnly = false
  /** With an executor: the head block's state is not stored (a header-only genesis not yet synced). */
  private noHeadState = false
  /** Recently read canonical headers by number; kept right by `write` (see header-cache.ts). */
  private readonly headerCache = new CanonicalHeaderCache(canonicalHeaderCacheEntries)
  /** The highest canonical entry this chain put (set before the write; only grows). */
  private canonicalWrittenTop = 0n

  /** @internal use `openChain` */
  constructor(readonly db: Db) {}

  /** @internal */
  async init(deps: ChainDeps, options: ChainOptions): Promise<void> {
    this.beforeBatchWrite = deps.beforeBatchWrite
    this.location = deps.location
    this.logger = deps.logger
    const stored = await this.get(k.canonicalKey(0n))
    await this.checkVersion(stored !== undefined, deps.logger)
    const given = options.genesis !== undefined ? parseGenesis(options.genesis) : undefined
    const st = given ? genesisState(given.alloc) : undefined
    this.headerOnly =
      (given !== undefined && isHeaderOnlyGenesis(given)) ||
      (stored !== undefined && (await this.get(k.keyHeaderOnlyGenesis)) !== undefined)
    const givenHeader = given && st ? genesisHeader(given, genesisStateRoot(given, st)) : undefined
    if (stored && givenHeader && !equalBytes(stored, givenHeader.hash))
      throw new ChainError(
        'ErrGenesisMismatch',
        `database has genesis ${bytesToHex(stored)}, the given genesis is ${bytesToHex(givenHeader.hash)}`,
      )
    if (!stored && !given)
      throw new ChainError('ErrNoGenesis', 'empty database and no genesis given (run init first)')
    let config: ChainConfig
    let storedConfig: ChainConfig | undefined
    let genesis: BlockHeader
    if (stored) {
      const cfg = await this.get(k.configKey(stored))
      if (!cfg) throw new ChainError('ErrInvalidGenesis', 'stored chain config missing')
      config = JSON.parse(new TextDecoder().decode(cfg)) as ChainConfig
      if (given && !sameConfig(config, given.config)) {
        storedConfig = config
        config = given.config
      }
      const g = await this.getHeaderByHash(stored)
      if (!g) throw new ChainError('ErrInvalidGenesis', 'stored genesis header missing')
      genesis = g
    } else {
      config = (given as GenesisJson).config
      genesis = givenHeader as BlockHeader
    }
    this.config = config
    this.ttd = terminalTotalDifficulty(config)
    this.genesis = genesis
    this.engine = resolveEngine(deps.engine, config, options.fakePow, genesis, this.ttd)
    const ex =
      typeof deps.executor === 'function'
        ? await deps.executor({ db: this.kvReader(), config, engine: this.engine })
        : deps.executor
    this.executor = ex
    let genesisOps: StateWriteOp[] | undefined
    if (ex && given && st && !this.headerOnly) {
      const gs = await ex.genesisState(given.alloc ?? {})
      if (!equalBytes(gs.root, st.stateRoot))
        throw new ChainError(
          'ErrInvalidGenesis',
          `executor genesis state root ${bytesToHex(gs.root)} differs from ${bytesToHex(st.stateRoot)}`,
        )
      if (!stored || !(await ex.hasState(st.stateRoot))) genesisOps = gs.ops
    }
    if (!stored && given && st) {
      const header = genesis
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
          value: new TextEncoder().encode(JSON.stringify(given.config)),
        },
        { type: 'put', key: k.keyLastHeader, value: h },
        { type: 'put', key: k.keyLastBlock, value: h },
        { type: 'put', key: k.keyLastFast, value: h },
        { type: 'put', key: k.keyDatabaseVersion, value: rlpEncode(BigInt(databaseVersion)) },
      ]
      if (this.headerOnly) ops.push({ type: 'put', key: k.keyHeaderOnlyGenesis, value: h })
      for (const [codeHash, code] of st.code)
        ops.push({ type: 'put', key: k.codeKey(hexToBytes(codeHash)), value: code })
      if (genesisOps) ops.push(...genesisOps)
      await this.write(ops, 'the genesis block')
    } else if (genesisOps) await this.write(genesisOps, 'the genesis state')
    if (genesisOps) ex?.written(genesisOps)
    await this.repairHeads()
    if (storedConfig) await this.upgradeConfig(storedConfig, config, deps.logger)
    if (ex) await this.repairState()
    this.maxStored = await this.highestHeaderNumber()
  }

  /**
   * The database layout version: a newer one is refused (this build cannot read it); one written
   * before versioning (0) is migrated — its receipt lists are empty in both encodings, and a head
   * without state is re-executed from the last block with state (`repairState`).
   */
  private async checkVersion(
    nonEmpty: boolean,
    logger: Pick<Logger, 'info' | 'warn'> | undefined,
  ): Promise<void> {
    const v = await this.get(k.keyDatabaseVersion)
    const have = v === undefined ? undefined : Number(bytesToBigInt(rlpDecode(v) as Uint8Array))
    if (have !== undefined && have > databaseVersion)
      throw new ChainError(
        'ErrDatabaseVersion',
        `database version ${have} is newer than this build reads (${databaseVersion}): use a newer ethwire`,
      )
    if (have !== undefined && have < databaseVersion)
      throw new ChainError(
        'ErrDatabaseVersion',
        `database version ${have} is older than ${databaseVersion} and has no migration: resync into a new directory`,
      )
    if (have === undefined && nonEmpty) {
      await this.write(
        [{ type: 'put', key: k.keyDatabaseVersion, value: rlpEncode(BigInt(databaseVersion)) }],
        'the database version',
      )
      this.opened.migratedFrom = 0
      logger?.info('Upgraded database version', { from: 0, to: databaseVersion })
    }
  }

  /**
   * A given genesis config that differs from the stored one: if it changes a fork the chain has
   * already passed, the head is rewound below the first block it affects (go-ethereum's
   * `SetHead` on `ConfigCompatError`); then the new config is stored.
   */
  private async upgradeConfig(
    old: ChainConfig,
    neu: ChainConfig,
    logger: Pick<Logger, 'info' | 'warn'> | undefined,
  ): Promise<void> {
    if (old.clique ? !neu.clique : !!neu.clique)
      throw new ChainError(
        'ErrIncompatibleConfig',
        'the given genesis config changes the consensus engine (clique) of a stored chain',
      )
    const top = this.fastHead.number > this.head.number ? this.fastHead : this.head
    const inc = checkCompatible(old, neu, top.number, top.time)
    if (inc) {
      let to =
        inc.rewindToBlock !== undefined
          ? inc.rewindToBlock > 0n
            ? inc.rewindToBlock - 1n
            : 0n
          : await this.lastBlockBefore(inc.rewindToTime as bigint)
      // With execution the new head needs its state (blocks a fast sync stored have none).
      if (this.executor)
        for (
          let h = await this.getHeaderByNumber(to);
          h && to > 0n;
          h = await this.getHeaderByNumber(to)
        ) {
          if (to <= this.head.number && (await this.executor.hasState(h.stateRoot))) break
          to--
        }
      logger?.warn('Rewinding chain to upgrade configuration', {
        field: inc.field,
        stored: inc.stored,
        given: inc.given,
        from: top.number,
        to,
      })
      await this.setHead(to)
      this.opened.rewound = { ...inc, from: top.number, to }
    }
    await this.write(
      [
        {
          type: 'put',
          key: k.configKey(this.genesis.hash),
          value: new TextEncoder().encode(JSON.stringify(neu)),
        },
      ],
      'the chain config',
    )
    this.opened.configUpdated = true
    if (!inc) logger?.info('Stored chain configuration updated (future forks only)', {})
  }

  /** The highest canonical block whose timestamp is below `time` (0 when none is). */
  private async lastBlockBefore(time: bigint): Promise<bigint> {
    let lo = 0n
    let hi = this.topNumber()
    while (lo < hi) {
      const mid = (lo + hi + 1n) / 2n
      const h = await this.getHeaderByNumber(mid)
      if (h && h.time < time) lo = mid
      else hi = mid - 1n
    }
    return lo
  }

  /** The number of the highest stored header ('h' + num8 + hash, one reverse seek). */
  private async highestHeaderNumber(): Promise<bigint> {
    for await (const key of this.db.keys({
      gte: k.headerKey(0n, new Uint8Array(32)),
      lte: k.canonicalKey(2n ** 64n - 1n),
      reverse: true,
    })) {
      if (key.length >= 9) return new DataView(key.buffer, key.byteOffset + 1, 8).getBigUint64(0)
    }
    return 0n
  }

  /** The database as a key-value reader (for a state database sharing it). */
  kvReader(): {
    get(key: Uint8Array): Promise<Uint8Array | undefined>
    getMany(keys: Uint8Array[]): Promise<(Uint8Array | undefined)[]>
  } {
    return {
      get: (key) => this.get(key),
      getMany: async (keys) =>
        (await this.db.getMany(keys)).map((v) =>
          v === undefined ? undefined : new Uint8Array(v.buffer, v.byteOffset, v.byteLength),
        ),
    }
  }

  /**
   * With an executor the head must have its state: when it does not (a database filled without
   * execution), the head is rewound to the highest canonical block whose state is stored.
   */
  private async repairState(): Promise<void> {
    const ex = this.executor as Executor
    if (!this.headerOnly && !(await ex.hasState(this.genesis.stateRoot)))
      throw new ChainError(
        'ErrMissingState',
        'the genesis state is not stored: open once with the genesis to write it',
      )
    let h: BlockHeader | undefined = this.head
    while (h && h.number > 0n && !(await ex.hasState(h.stateRoot)))
      h = await this.getHeader(h.parentHash, h.number - 1n)
    if (h && h.number < this.head.number) await this.setHead(h.number)
    // A header-only genesis: the head may be the genesis, whose state no one has written.
    this.noHeadState = !(await ex.hasState(this.head.stateRoot))
  }

  /**
   * Whether the chain was initialised from a header-only genesis (a network preset: the genesis
   * header and hash without the account allocation). It opens, serves headers and `Status`, and
   * reports the genesis hash and fork id, but has no genesis state.
   */
  get headerOnlyGenesis(): boolean {
    return this.headerOnly
  }

  /**
   * With an executor: whether the head block's state is missing (a header-only genesis before a
   * fast sync committed a pivot whose state it downloaded). While it is, `insertChain` refuses
   * with `ErrStateNotSynced` and state reads at the head find nothing.
   */
  get headStateMissing(): boolean {
    return this.noHeadState
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
  /**
   * Fast sync: the highest block stored with its receipts, with or without its state (go-ethereum's
   * `CurrentFastBlock`). Equal to the head except while a fast sync has stored blocks above it.
   */
  currentFastHeader(): BlockHeader {
    return this.fastHead
  }
  currentFastTd(): bigint {
    return this.fastTd
  }
  async getCanonicalHash(n: bigint): Promise<Uint8Array | undefined> {
    const cached = this.headerCache.get(n)
    if (cached !== undefined) return cached.hash
    return this.get(k.canonicalKey(n))
  }
  async getBlockNumber(hash: Uint8Array): Promise<bigint | undefined> {
    const v = await this.get(k.numberKey(hash))
    return v ? new DataView(v.buffer, v.byteOffset, 8).getBigUint64(0) : undefined
  }
  async getHeader(hash: Uint8Array, n: bigint): Promise<BlockHeader | undefined> {
    const cached = this.headerCache.get(n)
    if (cached !== undefined && equalBytes(cached.hash, hash)) return cached
    const v = await this.get(k.headerKey(n, hash))
    return v ? BlockHeader.decode(v) : undefined
  }
  async getHeaderByHash(hash: Uint8Array): Promise<BlockHeader | undefined> {
    const n = await this.getBlockNumber(hash)
    return n === undefined ? undefined : this.getHeader(hash, n)
  }
  async getHeaderByNumber(n: bigint): Promise<BlockHeader | undefined> {
    const cached = this.headerCache.get(n)
    if (cached !== undefined) return cached
    // no canonical entry exists above the top (the heads move right after the batch that adds
    // them) nor above any this chain wrote: peers asking past our head cost no read
    if (
      this.fastHead !== undefined &&
      this.head !== undefined &&
      n > this.topNumber() &&
      n > this.canonicalWrittenTop
    )
      return undefined
    const token = this.headerCache.token()
    const hash = await this.get(k.canonicalKey(n))
    const header = hash ? await this.getHeader(hash, n) : undefined
    if (header !== undefined) this.headerCache.fill(token, header)
    return header
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
  /**
   * Receipts of a block: computed by the executor, or as given to `insertChain`. Stored in
   * go-ethereum's storage encoding; the type comes from the body and the bloom from the logs.
   */
  async getReceipts(hash: Uint8Array): Promise<ReceiptData[] | undefined> {
    const n = await this.getBlockNumber(hash)
    if (n === undefined) return undefined
    // the transactions' types are all the receipts need from the body: read from its RLP
    const [raw, body] = await Promise.all([
      this.get(k.receiptsKey(n, hash)),
      this.get(k.bodyKey(n, hash)),
    ])
    return raw && body ? decodeStoredReceipts(raw, txTypesOfBodyRlp(body)) : undefined
  }
  /** Number of the canonical block holding the transaction `txHash` (its lookup entry). */
  async getTransactionBlock(txHash: Uint8Array): Promise<bigint | undefined> {
    const v = await this.get(k.txLookupKey(txHash))
    return v ? bytesToBigInt(v) : undefined
  }
  /** A transaction of a canonical block by hash, with where it is. */
  async getTransaction(txHash: Uint8Array): Promise<
    | {
        tx: import('@ethwire/rlp-wire').Transaction
        blockHash: Uint8Array
        blockNumber: bigint
        index: number
      }
    | undefined
  > {
    const n = await this.getTransactionBlock(txHash)
    if (n === undefined) return undefined
    const block = await this.getBlockByNumber(n)
    const index = block?.transactions.findIndex((t) => equalBytes(t.hash, txHash)) ?? -1
    if (!block || index < 0) return undefined
    return {
      tx: block.transactions[index] as never,
      blockHash: block.header.hash,
      blockNumber: n,
      index,
    }
  }
  /** Blocks that failed execution, newest first (at most `badBlockLimit`). */
  badBlocks(): BadBlock[] {
    return [...this.bad]
  }
  /** Whether the state of the block's root is stored (false without an executor). */
  async hasState(stateRoot: Uint8Array): Promise<boolean> {
    return this.executor ? this.executor.hasState(stateRoot) : false
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
  /**
   * A state trie node or contract code by its hash (eth/63–66 `GetNodeData`): trie nodes of the
   * state that shares this database are stored under their bare 32-byte hash, code under
   * `'c' ++ hash` (no other key of the chain is 32 bytes long).
   */
  async getNodeData(hash: Uint8Array): Promise<Uint8Array | undefined> {
    if (hash.length !== 32) return undefined
    return (await this.get(hash)) ?? (await this.get(k.codeKey(hash)))
  }

  /**
   * {@link getNodeData} for many hashes in one database read (and one more for those that are
   * not trie nodes, looked up as code): a GetNodeData answer of a few hundred hashes does not
   * wait for one read after another.
   */
  async getNodeDataMany(hashes: readonly Uint8Array[]): Promise<(Uint8Array | undefined)[]> {
    const kv = this.kvReader()
    const ok = hashes.map((h) => h.length === 32)
    const nodes = await kv.getMany(hashes.filter((_, i) => ok[i]))
    const out: (Uint8Array | undefined)[] = []
    const missed: number[] = []
    let j = 0
    for (let i = 0; i < hashes.length; i++) {
      const v = ok[i] ? nodes[j++] : undefined
      out.push(v)
      if (ok[i] && v === undefined) missed.push(i)
    }
    if (missed.length > 0) {
      const codes = await kv.getMany(missed.map((i) => k.codeKey(hashes[i] as Uint8Array)))
      missed.forEach((i, m) => {
        out[i] = codes[m]
      })
    }
    return out
  }

  // ------------------------------------------------------------ writers

  /** Serialises writers; after a failed write every writer is refused at once. */
  private exclusive<T>(f: () => Promise<T>): Promise<T> {
    const g = () => {
      this.refuseAfterFailure()
      return f()
    }
    const run = this.queue.then(g, g)
    this.queue = run.catch(() => {})
    return run
  }

  /**
   * The write that failed (`ErrDiskFull`, `ErrDatadirReadOnly`, `ErrWrite`), if one did: the chain
   * then refuses every further write with the same code, and serves reads from what is stored,
   * until it is closed and reopened.
   */
  get writeError(): ChainError | undefined {
    return this.failedWrite
  }

  private refuseAfterFailure(): void {
    const f = this.failedWrite
    if (f)
      throw new ChainError(
        f.code,
        `the chain refuses writes since an earlier write failed (${f.message}); close and reopen it`,
        undefined,
        undefined,
        { cause: f },
      )
  }

  /**
   * Every write of the chain: one atomic LevelDB batch (applied whole or not at all). A failure
   * becomes a typed error, and the chain stops writing: what it holds in memory (head, pending
   * execution state) may be ahead of the disk, so only a reopen, which reads the disk, goes on.
   */
  private async write(ops: Op[], what: string): Promise<void> {
    this.refuseAfterFailure()
    // canonical entries and headers this batch changes leave the header cache before and after it
    const touched: bigint[] = []
    for (const op of ops) {
      const n = headerNumberOfKey(op.key)
      if (n === undefined) continue
      touched.push(n)
      if (op.type === 'put' && op.key.length === 10 && n > this.canonicalWrittenTop)
        this.canonicalWrittenTop = n
    }
    if (touched.length) this.headerCache.invalidate(touched)
    try {
      await this.db.batch(ops)
    } catch (e) {
      const err = writeError(e, this.location, what)
      this.failedWrite = err
      this.logger?.warn('Chain write failed: refusing further writes until reopened', {
        code: err.code,
        what,
        error: err.message,
      })
      throw err
    } finally {
      if (touched.length) this.headerCache.invalidate(touched)
    }
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

  /**
   * Fast sync (go-ethereum's `InsertReceiptChain`): stores consecutive blocks with their receipts
   * WITHOUT executing them, on top of the fast head, in one batch: header, body, total difficulty,
   * receipts, the canonical index, tx lookups and the fast head pointer. The head (the highest block
   * with state) does not move; `commitFastSyncHead` moves it once the pivot's state is complete.
   * Each block passes the same header and body checks as `insertChain`, and its receipts must hash to
   * its receipts root (`ErrInvalidReceipts`). A block whose parent is a canonical block below the fast
   * head (and not below the head) replaces the fast chain from there. Blocks already on the fast
   * chain are skipped. Valid blocks before a bad one are kept.
   *
   * `options.seals[i]` false: block i's seal is not checked (every other header rule and the
   * linkage still are). A fast sync checks the seals of a sample of the headers far below its
   * pivot only, as go-ethereum's header import does with `fsHeaderCheckFrequency`.
   * `options.rootsChecked`: bodies and receipts were matched to their headers' roots by the caller.
   */
  insertReceiptChain(
    blocks: Block[],
    receipts: ReceiptData[][],
    signal?: AbortSignal,
    options: InsertReceiptOptions = {},
  ): Promise<InsertResult> {
    return this.exclusive(() => this.insertReceipts(blocks, receipts, signal, options))
  }

  private async insertReceipts(
    blocks: Block[],
    receipts: ReceiptData[][],
    signal: AbortSignal | undefined,
    options: InsertReceiptOptions,
  ): Promise<InsertResult> {
    if (this.closed) throw new ChainError('ErrClosed', 'chain is closed')
    if (receipts.length !== blocks.length)
      throw new RangeError(`${blocks.length} blocks but ${receipts.length} receipt lists`)
    const p = newPending()
    const reader: HeaderReader = {
      config: this.config,
      getHeader: async (hash, n) => p.headers.get(hex(hash)) ?? this.getHeader(hash, n),
    }
    const prevTop = this.topNumber()
    let fast = this.fastHead
    let fastTd = this.fastTd
    let inserted = 0
    let known = 0
    let failure: unknown
    for (let i = 0; i < blocks.length; i++) {
      signal?.throwIfAborted()
      const block = blocks[i] as Block
      const header = block.header
      const hash = header.hash
      const n = header.number
      try {
        // Above the fast head no block is stored yet: no canonical-hash read for the usual case.
        const canon = n <= fast.number ? await this.canonAt(p, n) : undefined
        if (canon && equalBytes(canon, hash)) {
          known++
          continue
        }
        if (!equalBytes(header.parentHash, fast.hash)) {
          // Another branch of the fast chain: allowed from a canonical block at or above the head.
          const parentCanon = n > 0n ? await this.canonAt(p, n - 1n) : undefined
          if (
            !parentCanon ||
            !equalBytes(parentCanon, header.parentHash) ||
            n - 1n < this.head.number
          )
            throw new ChainError(
              'ErrNotLinked',
              `block ${n}: parent ${bytesToHex(header.parentHash)} is not on the fast chain`,
              n,
            )
          this.dropCanonicalAbove(p, n - 1n, prevTop)
        }
        const roots = options.rootsChecked !== true
        const { td } = await this.verifyBlock(block, reader, p, options.seals?.[i] !== false, roots)
        const rs = receipts[i] as ReceiptData[]
        if (roots && !equalBytes(receiptsRoot(rs), header.receiptRoot))
          throw new ChainError(
            'ErrInvalidReceipts',
            `block ${n}: receipts do not hash to the header's receipts root`,
            n,
          )
        p.ops.push(
          { type: 'put', key: k.headerKey(n, hash), value: header.encode() },
          { type: 'put', key: k.tdKey(n, hash), value: rlpEncode(td) },
          { type: 'put', key: k.bodyKey(n, hash), value: rlpEncode(bodyToRlp(block.body())) },
          { type: 'put', key: k.numberKey(hash), value: k.num8(n) },
          { type: 'put', key: k.receiptsKey(n, hash), value: encodeStoredReceipts(rs) },
        )
        p.headers.set(hex(hash), header)
        p.bodies.set(hex(hash), block)
        p.tds.set(hex(hash), td)
        p.canon.set(n, hash)
        fast = header
        fastTd = td
        inserted++
      } catch (e) {
        failure = e
        break
      }
    }
    if (inserted > 0) {
      await this.canonOps(p, prevTop)
      p.ops.push(...this.pointerOps(this.head, fast))
      const first = (blocks[0] as Block).header.number
      await this.writeBatch(first, fast.number, p.ops, [])
      this.fastHead = fast
      this.fastTd = fastTd
    }
    if (failure) throw failure
    return { inserted, known, headChanged: false }
  }

  /**
   * Fast sync (go-ethereum's `FastSyncCommitHead`): the state of this stored canonical block (the
   * pivot) is complete, so it becomes the head; blocks after it are then imported with
   * `insertChain` and executed on its state. Rejects with `ErrMissingState` when its state root is
   * not fully stored (or there is no executor), `ErrUnknownBlock` when it is not a canonical block.
   */
  commitFastSyncHead(hash: Uint8Array): Promise<void> {
    return this.exclusive(async () => {
      if (this.closed) throw new ChainError('ErrClosed', 'chain is closed')
      const n = await this.getBlockNumber(hash)
      const canon = n === undefined ? undefined : await this.getCanonicalHash(n)
      const header = n === undefined ? undefined : await this.getHeader(hash, n)
      if (n === undefined || !canon || !equalBytes(canon, hash) || !header)
        throw new ChainError('ErrUnknownBlock', `${bytesToHex(hash)} is not a canonical block`)
      if (!this.executor || !(await this.executor.hasState(header.stateRoot)))
        throw new ChainError(
          'ErrMissingState',
          `block ${n}: state ${bytesToHex(header.stateRoot)} is not complete`,
          n,
        )
      if (equalBytes(hash, this.head.hash)) return
      const fast = this.fastHead.number > n ? this.fastHead : header
      await this.write(this.pointerOps(header, fast), `the head pointers (block ${n})`)
      this.head = header
      this.headTd = (await this.getTd(hash)) ?? 0n
      this.noHeadState = false
      if (fast === header) {
        this.fastHead = header
        this.fastTd = this.headTd
      }
      this.emit({ type: 'head', header })
    })
  }

  private async insert(
    blocks: Block[],
    receipts: ReceiptData[][] | undefined,
    signal?: AbortSignal,
  ) {
    if (this.closed) throw new ChainError('ErrClosed', 'chain is closed')
    if (this.executor) {
      if (this.noHeadState)
        throw new ChainError(
          'ErrStateNotSynced',
          `cannot execute blocks: the state of head block ${this.head.number} (${bytesToHex(this.head.stateRoot)}) is not stored${this.headerOnly ? ' (header-only genesis: no genesis state is shipped)' : ''}; a fast sync (--syncmode fast) downloads a state first`,
          (blocks[0] as Block | undefined)?.header.number,
        )
      return this.insertExecuted(blocks, signal)
    }
    const p: Pending = newPending()
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
    let abandoned = false
    let firstNew = 0n
    let lastNew = 0n
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
        const { parent, td, postMerge } = await this.verifyBlock(block, reader, p)
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
            value: encodeStoredReceipts(rs),
          })
        p.headers.set(hex(hash), header)
        p.bodies.set(hex(hash), block)
        p.tds.set(hex(hash), td)
        if (inserted === 0) firstNew = n
        lastNew = n
        inserted++
        // Canonical choice: total difficulty before the merge; after it, the longer chain (a block
        // extending the head always wins; ties keep the current head).
        const wins = postMerge
          ? n > head.number || equalBytes(header.parentHash, head.hash)
          : td > headTd || (td === headTd && equalBytes(header.parentHash, head.hash))
        if (wins) {
          if (!equalBytes(header.parentHash, head.hash)) {
            const ancestor = await this.rewriteCanonical(p, reader, parent, this.topNumber())
            events.push({ type: 'reorg', oldHead: head, newHead: header, ancestor })
            abandoned = true
          } else if (n <= this.fastHead.number) {
            // A new block where the fast chain has another one: the fast chain above is dropped.
            this.dropCanonicalAbove(p, n)
            abandoned = true
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
      await this.canonOps(p)
      // A head that left the fast chain (or passed it) takes the fast head with it.
      const keepFast = !abandoned && this.fastHead.number > head.number
      const fast = keepFast ? this.fastHead : head
      if (head !== oldHead) p.ops.push(...this.pointerOps(head, fast))
      await this.writeBatch(firstNew, lastNew, p.ops, [])
      this.head = head
      this.headTd = headTd
      if (!keepFast) {
        this.fastHead = head
        this.fastTd = headTd
      }
      for (const e of events) this.emit(e)
      if (head !== oldHead) this.emit({ type: 'head', header: head })
    }
    if (failure) throw failure
    return { inserted, known, headChanged: head !== oldHead }
  }

  /**
   * The checks every stored block passes, executed or not: not a second genesis, a known parent and
   * its total difficulty (from the pending set first), difficulty on the right side of the merge, the
   * consensus engine's header check, and the body against the header's roots.
   */
  private async verifyBlock(
    block: Block,
    reader: HeaderReader,
    p: Pending,
    seal = true,
    roots = true,
  ): Promise<{ parent: BlockHeader; td: bigint; postMerge: boolean }> {
    const header = block.header
    const n = header.number
    if (n === 0n)
      throw new ChainError(
        'ErrGenesisMismatch',
        `block 0 ${bytesToHex(header.hash)} is not our genesis`,
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
    await this.engine.verifyHeader(reader, header, parent, seal)
    try {
      if (roots) checkBody(header, block.body())
    } catch (e) {
      if (isWireError(e)) throw new ChainError('ErrInvalidBody', `block ${n}: ${e.message}`, n)
      throw e
    }
    return { parent, td: parentTd + header.difficulty, postMerge }
  }

  /**
   * The head pointer ops for a head at `head`: `LastBlock` names it; `LastHeader` and `LastFast` name
   * the fast head `fast` while that is above it, else the head too.
   */
  private pointerOps(head: BlockHeader, fast: BlockHeader): Op[] {
    const top = fast.number > head.number ? fast : head
    return [
      { type: 'put', key: k.keyLastBlock, value: head.hash },
      { type: 'put', key: k.keyLastHeader, value: top.hash },
      { type: 'put', key: k.keyLastFast, value: top.hash },
    ]
  }

  /** Block by hash from the pending set or the database. */
  private async blockOf(p: Pending, hash: Uint8Array): Promise<Block | undefined> {
    return p.bodies.get(hex(hash)) ?? (await this.getBlockByHash(hash))
  }

  /**
   * Turns the canonical changes of `p.canon` into ops: canonical index entries, and the tx lookup
   * entries of the blocks that leave (deleted) and join (written) the canonical chain.
   */
  private async canonOps(p: Pending, top = this.topNumber()): Promise<void> {
    const dels: Op[] = []
    const puts: Op[] = []
    // No canonical entry exists above the stored head (repairHeads keeps it so): no read there.
    for (const [n, h] of p.canon) {
      const old = n > top ? undefined : await this.getCanonicalHash(n)
      if (old && (!h || !equalBytes(old, h))) {
        const b = await this.getBlockByHash(old)
        for (const tx of b?.transactions ?? [])
          dels.push({ type: 'del', key: k.txLookupKey(tx.hash) })
      }
      if (h) {
        puts.push({ type: 'put', key: k.canonicalKey(n), value: h })
        if (!old || !equalBytes(old, h)) {
          const b = await this.blockOf(p, h)
          const num = lookupValue(n)
          for (const tx of b?.transactions ?? [])
            puts.push({ type: 'put', key: k.txLookupKey(tx.hash), value: num })
        }
      } else dels.push({ type: 'del', key: k.canonicalKey(n) })
    }
    // Deletes first: a transaction in both the old and the new branch keeps its new entry.
    p.ops.push(...dels, ...puts)
  }

  /** Marks the canonical entries above `n`, up to the top, for deletion (kept where already set). */
  private dropCanonicalAbove(p: Pending, n: bigint, top = this.topNumber()): void {
    for (let i = n + 1n; i <= top; i++) if (!p.canon.has(i)) p.canon.set(i, null)
  }

  /** The highest canonical number: the fast head's (at or above the head's). */
  private topNumber(): bigint {
    // biome-ignore lint/complexity/useMathMinMax: bigints (Math.max takes numbers)
    return this.fastHead.number > this.head.number ? this.fastHead.number : this.head.number
  }

  private markBad(header: BlockHeader, field: string, reason: string): void {
    this.bad.unshift({ hash: header.hash, number: header.number, header, field, reason })
    if (this.bad.length > badBlockLimit) this.bad.length = badBlockLimit
  }

  /** Runs `block` on `parent`'s state and checks the results against the header. */
  private async executeChecked(
    block: Block,
    parent: BlockHeader,
    senders: Uint8Array[] | undefined,
    reader: HeaderReader,
    signal?: AbortSignal,
  ): Promise<BlockExecutionResult> {
    const ex = this.executor as Executor
    const header = block.header
    const n = header.number
    const bad = (field: string, reason: string): never => {
      this.markBad(header, field, reason)
      throw new ChainError('ErrBadBlock', `block ${n}: ${reason}`, n, field)
    }
    let r: BlockExecutionResult
    try {
      r = await ex.executeBlock({ block, parent, senders, headers: reader, signal })
    } catch (e) {
      if (errorCode(e)?.startsWith('ErrInvalid')) return bad('transactions', (e as Error).message)
      throw e
    }
    const show = (b: Uint8Array | bigint | undefined) =>
      typeof b === 'bigint' || b === undefined ? String(b) : bytesToHex(b)
    const diff = (
      field: string,
      have: Uint8Array | bigint | undefined,
      want: Uint8Array | bigint | undefined,
    ) => bad(field, `${field} mismatch: executed ${show(have)}, header ${show(want)}`)
    if (r.gasUsed !== header.gasUsed) diff('gasUsed', r.gasUsed, header.gasUsed)
    if (!equalBytes(r.logsBloom, header.bloom)) diff('bloom', r.logsBloom, header.bloom)
    const receiptRoot = r.receiptsRoot ?? orderedTrieRoot(r.receipts.map(encodeReceipt))
    if (!equalBytes(receiptRoot, header.receiptRoot))
      diff('receiptRoot', receiptRoot, header.receiptRoot)
    if (header.blobGasUsed !== undefined && r.blobGasUsed !== header.blobGasUsed)
      diff('blobGasUsed', r.blobGasUsed, header.blobGasUsed)
    if (
      header.requestsHash &&
      (!r.requestsHash || !equalBytes(r.requestsHash, header.requestsHash))
    )
      diff('requestsHash', r.requestsHash, header.requestsHash)
    if (!equalBytes(r.stateRoot, header.stateRoot)) diff('stateRoot', r.stateRoot, header.stateRoot)
    return r
  }

  /** Writes one batch (the test hook sees it first) and tells the executor about its state ops. */
  private async writeBatch(
    first: bigint,
    last: bigint,
    ops: Op[],
    stateOps: readonly StateWriteOp[],
  ): Promise<void> {
    this.beforeBatchWrite?.({ firstBlock: first, blockNumber: last, ops: ops.length })
    await this.write(ops, first === last ? `block ${first}` : `blocks ${first}..${last}`)
    if (last > this.maxStored) this.maxStored = last
    if (stateOps.length) this.executor?.written(stateOps)
  }

  /**
   * Insertion with execution: every block is one batch. A block that does not become canonical is
   * stored unexecuted (a side chain); one that does is executed on its parent's state (a side branch
   * that takes over is executed from the fork point first), and its batch holds the block, its state
   * ops, receipts, tx lookups, canonical index changes and head pointers.
   */
  private async insertExecuted(blocks: Block[], signal?: AbortSignal): Promise<InsertResult> {
    const ex = this.executor as Executor
    const p = newPending()
    const reader: HeaderReader = {
      config: this.config,
      getHeader: async (hash, n) => p.headers.get(hex(hash)) ?? this.getHeader(hash, n),
    }
    const oldHead = this.head
    let inserted = 0
    let known = 0
    let failure: unknown
    // Consecutive canonical blocks are grouped into one batch (up to `executedBatchBlocks`, or
    // fewer once their ops reach `executedBatchBytes`): the
    // executor runs each on the world state the previous one left (nothing is read back from the
    // database), and the batch holds every block, state op, receipt and lookup with the head pointers
    // at its last block, so a kill leaves the head at a block that has its state.
    let head = this.head
    let headTd = this.headTd
    // The fast head while blocks stored by a fast sync remain above the head (undefined once the
    // chain left or passed them).
    let fast: BlockHeader | undefined =
      this.fastHead.number > head.number ? this.fastHead : undefined
    const fastTd = this.fastTd
    const top = () => (fast && fast.number > head.number ? fast.number : head.number)
    const group = {
      ops: [] as Op[],
      stateOps: [] as StateWriteOp[],
      events: [] as ChainEvent[],
      blocks: 0,
      bytes: 0,
      first: 0n,
    }
    // A full group's batch is written while the next group executes (one batch in flight at most,
    // written in order); the head moves and events fire once it is on disk. `wait` drains it.
    let inflight: Promise<void> | undefined
    let groups = 0
    const drain = async () => {
      const w = inflight
      inflight = undefined
      if (w) await w
    }
    const flush = async (wait = true) => {
      if (group.blocks > 0) {
        const newFast = fast && fast.number > head.number ? fast : head
        const newFastTd = newFast === head ? headTd : fastTd
        group.ops.push(...this.pointerOps(head, newFast))
        const [first, ops, stateOps, events] = [
          group.first,
          group.ops,
          group.stateOps,
          group.events,
        ]
        const newHead = head
        const newTd = headTd
        group.ops = []
        group.stateOps = []
        group.events = []
        group.blocks = 0
        group.bytes = 0
        await drain()
        const w = this.writeBatch(first, newHead.number, ops, stateOps).then(() => {
          this.head = newHead
          this.headTd = newTd
          this.fastHead = newFast
          this.fastTd = newFastTd
          for (const e of events) this.emit(e)
        })
        w.catch(() => {}) // awaited by drain(); this only keeps it from being reported unhandled
        inflight = w
      }
      if (wait) await drain()
    }
    // Senders are recovered a chunk ahead (on the executor's worker pool) while the current chunk
    // executes; a chunk whose recovery fails (a bad signature) leaves each block to recover its own.
    const chunks: (Promise<Uint8Array[][] | undefined> | undefined)[] = []
    const startChunk = (c: number) => {
      if (!ex.recoverSenders || chunks[c] || c * senderChunkBlocks >= blocks.length) return
      chunks[c] = ex
        .recoverSenders(blocks.slice(c * senderChunkBlocks, (c + 1) * senderChunkBlocks), signal)
        .catch(() => undefined)
    }
    const sendersOf = async (i: number) => {
      const c = Math.floor(i / senderChunkBlocks)
      startChunk(c)
      startChunk(c + 1)
      return (await chunks[c])?.[i - c * senderChunkBlocks]
    }
    for (let i = 0; i < blocks.length; i++) {
      signal?.throwIfAborted()
      const block = blocks[i] as Block
      const header = block.header
      const hash = header.hash
      const n = header.number
      try {
        // A block a fast sync stored without its state (canonical, above the head) is executed now.
        const storedFast =
          fast !== undefined &&
          n > head.number &&
          n <= fast.number &&
          equalBytes((await this.getCanonicalHash(n)) ?? new Uint8Array(0), hash)
        // Above every stored header a block cannot be known: no database read for it.
        if (
          !storedFast &&
          (p.headers.has(hex(hash)) || (n <= this.maxStored && (await this.hasBlock(hash))))
        ) {
          known++
          continue
        }
        if (this.bad.some((b) => equalBytes(b.hash, hash)))
          throw new ChainError(
            'ErrBadBlock',
            `block ${n}: known bad block`,
            n,
            this.bad.find((b) => equalBytes(b.hash, hash))?.field,
          )
        const { parent, td, postMerge } = await this.verifyBlock(block, reader, p)
        const wins = postMerge
          ? n > head.number || equalBytes(header.parentHash, head.hash)
          : td > headTd || (td === headTd && equalBytes(header.parentHash, head.hash))
        const blockOps: Op[] = [
          { type: 'put', key: k.headerKey(n, hash), value: header.encode() },
          { type: 'put', key: k.tdKey(n, hash), value: rlpEncode(td) },
          { type: 'put', key: k.bodyKey(n, hash), value: rlpEncode(bodyToRlp(block.body())) },
          { type: 'put', key: k.numberKey(hash), value: k.num8(n) },
        ]
        if (!wins) {
          // A side chain that does not take over is stored unexecuted (as go-ethereum does).
          await flush()
          await this.writeBatch(n, n, blockOps, [])
          p.headers.set(hex(hash), header)
          p.tds.set(hex(hash), td)
          inserted++
          this.emit({ type: 'block', block, canonical: false })
          continue
        }
        const reorg = !equalBytes(header.parentHash, head.hash)
        if (reorg) {
          await flush()
          await this.executeBranch(parent, reader, signal)
        }
        const res = await this.executeChecked(block, parent, await sendersOf(i), reader, signal)
        const bp = newPending()
        bp.ops = blockOps
        bp.ops.push(...(res.ops as Op[]), {
          type: 'put',
          key: k.receiptsKey(n, hash),
          value: encodeStoredReceipts(res.receipts),
        })
        bp.bodies.set(hex(hash), block)
        let ancestor: bigint | undefined
        // The highest canonical entry before this block: the old canonical hashes up to it are read.
        const prevTop = top()
        if (reorg) {
          ancestor = await this.rewriteCanonical(bp, reader, parent, prevTop)
          fast = undefined
        } else if (fast && n <= fast.number && !storedFast) {
          // A block where the fast chain has another one: the fast chain above it is dropped.
          this.dropCanonicalAbove(bp, n, prevTop)
          fast = undefined
        }
        bp.canon.set(n, hash)
        await this.canonOps(bp, prevTop)
        if (!group.ops.length) group.first = n
        for (const op of bp.ops)
          group.bytes += op.key.length + (op.type === 'put' ? op.value.length : 0)
        group.ops.push(...bp.ops)
        group.stateOps.push(...res.ops)
        if (ancestor !== undefined)
          group.events.push({ type: 'reorg', oldHead: head, newHead: header, ancestor })
        group.events.push({ type: 'block', block, canonical: true })
        p.headers.set(hex(hash), header)
        p.tds.set(hex(hash), td)
        head = header
        headTd = td
        inserted++
        group.blocks++
        if (reorg) await flush()
        else if (group.blocks >= executedBatchBlocks || group.bytes >= executedBatchBytes) {
          // Drain now and then, so the executor can hand over to a fresh world state (memory bound).
          groups = (groups + 1) % executedDrainGroups
          await flush(groups === 0)
        }
      } catch (e) {
        failure = e
        break
      }
    }
    try {
      await flush()
    } catch (e) {
      // A failed write in the loop already said why; a refused last batch adds nothing to that.
      failure ??= e
    }
    if (this.head !== oldHead) this.emit({ type: 'head', header: this.head })
    if (failure) throw failure
    return { inserted, known, headChanged: this.head !== oldHead }
  }

  /**
   * Before a side branch ending at `tip` takes over: executes (oldest first) its blocks above the
   * fork point that have no receipts yet, each written with its state in its own batch.
   */
  private async executeBranch(tip: BlockHeader, reader: HeaderReader, signal?: AbortSignal) {
    const todo: BlockHeader[] = []
    let h: BlockHeader | undefined = tip
    while (h && h.number > 0n) {
      const c = await this.getCanonicalHash(h.number)
      if (c && equalBytes(c, h.hash)) break
      if (await this.get(k.receiptsKey(h.number, h.hash))) break
      todo.push(h)
      h = await reader.getHeader(h.parentHash, h.number - 1n)
    }
    for (const header of todo.reverse()) {
      const block = await this.getBlockByHash(header.hash)
      const parent = await reader.getHeader(header.parentHash, header.number - 1n)
      if (!block || !parent)
        throw new ChainError(
          'ErrUnknownBlock',
          `side block ${header.number} missing`,
          header.number,
        )
      const res = await this.executeChecked(block, parent, undefined, reader, signal)
      const ops: Op[] = [
        ...(res.ops as Op[]),
        {
          type: 'put',
          key: k.receiptsKey(header.number, header.hash),
          value: encodeStoredReceipts(res.receipts),
        },
      ]
      await this.writeBatch(header.number, header.number, ops, res.ops)
    }
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
      if (n >= this.topNumber()) return
      const target = await this.getHeaderByNumber(n)
      if (!target) throw new ChainError('ErrUnknownBlock', `no canonical block ${n}`)
      // A head without state at `n` (a fast-synced block) is not a head: go to the state below.
      // (a header-only genesis has no state, and is the head all the same)
      if (
        this.executor &&
        n < this.head.number &&
        !(n === 0n && this.headerOnly) &&
        !(await this.executor.hasState(target.stateRoot))
      )
        throw new ChainError('ErrMissingState', `block ${n} has no state to make it the head`, n)
      const ops: Op[] = []
      for (let i = this.topNumber(); i > n; i--) {
        const h = await this.getCanonicalHash(i)
        ops.push({ type: 'del', key: k.canonicalKey(i) })
        if (!h) continue
        const b = await this.getBlockByHash(h)
        for (const tx of b?.transactions ?? [])
          ops.push({ type: 'del', key: k.txLookupKey(tx.hash) })
        for (const key of [
          k.headerKey(i, h),
          k.tdKey(i, h),
          k.bodyKey(i, h),
          k.receiptsKey(i, h),
          k.numberKey(h),
        ])
          ops.push({ type: 'del', key })
      }
      // Below the head the target has state; between the head and the fast head it keeps the head.
      const newHead = n < this.head.number ? target : this.head
      ops.push(...this.pointerOps(newHead, target))
      await this.write(ops, `the rewind to block ${n}`)
      const td = (await this.getTd(target.hash)) ?? 0n
      this.fastHead = target
      this.fastTd = td
      if (newHead === target) {
        this.head = target
        this.headTd = td
        if (this.executor) this.noHeadState = !(await this.executor.hasState(target.stateRoot))
        this.emit({ type: 'head', header: target })
      }
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
    // The fast head: a complete canonical block at or above the head (a fast sync in progress).
    const fastPtr = await this.get(k.keyLastFast)
    let fast = repaired || !fastPtr ? undefined : await this.checkCanonicalBlock(fastPtr)
    if (!fast || fast.number < head.number) fast = head
    const fastBroken = !repaired && fastPtr !== undefined && !equalBytes(fastPtr, fast.hash)
    // Remove canonical entries above the fast head.
    const ops: Op[] = []
    for await (const key of this.db.keys({
      gt: k.canonicalKey(fast.number),
      lte: k.canonicalKey(2n ** 64n - 1n),
    })) {
      if (key.length === 10 && key[9] === 0x6e) ops.push({ type: 'del', key })
    }
    if (repaired || fastBroken || ops.length) {
      ops.push(...this.pointerOps(head, fast))
      await this.write(ops, 'the repaired head pointers')
    }
    this.head = head
    this.headTd = (await this.getTd(head.hash)) ?? 0n
    this.fastHead = fast
    this.fastTd = fast === head ? this.headTd : ((await this.getTd(fast.hash)) ?? 0n)
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
    let h: BlockHeader | undefined = this.fastHead
    const [lastHeader, lastBlock, lastFast] = await Promise.all(
      [k.keyLastHeader, k.keyLastBlock, k.keyLastFast].map((x) => this.get(x)),
    )
    if (!lastBlock || !equalBytes(lastBlock, this.head.hash))
      throw new ChainError('ErrNotLinked', 'head pointer differs from head')
    for (const p of [lastHeader, lastFast])
      if (!p || !equalBytes(p, this.fastHead.hash))
        throw new ChainError('ErrNotLinked', 'fast head pointer differs from the fast head')
    if (this.fastHead.number < this.head.number)
      throw new ChainError('ErrNotLinked', 'fast head below the head')
    if (await this.getCanonicalHash(this.fastHead.number + 1n))
      throw new ChainError('ErrNotLinked', 'canonical entry above the fast head')
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

/** go-ethereum's lookup value: the block number, big-endian without leading zeros. */
function lookupValue(n: bigint): Uint8Array {
  const b = k.num8(n)
  let i = 0
  while (i < 7 && b[i] === 0) i++
  return b.subarray(i)
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
