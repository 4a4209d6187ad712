/**
 * The chain part: the data directory's chain database (the `--dev` genesis and signer key made on
 * first use), the mined-transaction index, the sender-recovery workers and the transaction pool.
 * Started first, stopped last.
 */
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import {
  type BloomIndex,
  type Chain,
  type ChainConfig,
  chainBloomStore,
  chainLogSource,
  createBloomIndex,
  type GenesisJson,
} from '@ethwire/chain'
import { createRecoveryPool, loadRecoverer, type RecoveryPool } from '@ethwire/crypto'
import type { Executor } from '@ethwire/executor'
import type { Logger } from '@ethwire/interface'
import { type Block, bytesToHex, hexToBytes, type Transaction } from '@ethwire/rlp-wire'
import type { StateDatabase } from '@ethwire/state'
import {
  createFileJournal,
  createTxPool,
  type PoolChain,
  type StateReader,
  type TxPool,
} from '@ethwire/txpool'
import {
  defaultRecoveryWorkers,
  minedTxIndexEntries,
  minedTxStartupBlocks,
  txJournalFileName,
} from '../constants.js'
import { openExecutingChain, prepareDev } from '../datadir.js'
import { NodeError } from '../errors.js'
import type { Part } from '../lifecycle.js'

export interface ChainPartOptions {
  datadir: string
  /** Dev mode: the clique dev genesis and signer key of the datadir. */
  dev: boolean
  /** A genesis to open the database with (a network preset's); the datadir's otherwise. */
  genesis?: GenesisJson
  fakePow?: boolean
  /** Network id; default the genesis chain id. */
  networkId?: bigint
  /** Pool limits (default: @ethwire/txpool's, go-ethereum's: 5120, 16, 1024, 64). */
  txPool?: {
    globalSlots?: number
    accountSlots?: number
    globalQueue?: number
    accountQueue?: number
  }
  recoveryWorkers?: number
  /** The bloom-bits log index (default true); false: eth_getLogs scans headers. */
  logsIndex?: boolean
}

export interface MinedTx {
  tx: Transaction
  block: Block
  index: number
}

export interface ChainPart extends Part {
  readonly chain: Chain
  /** The state database in the chain's LevelDB (reads at any stored root). */
  readonly state: StateDatabase
  /** The executor the chain runs blocks with (also: buildBlock, call, estimateGas). */
  readonly executor: Executor
  readonly txPool: TxPool
  /** The bloom-bits log index over the canonical chain (eth_getLogs, log filters). */
  readonly bloomIndex: BloomIndex
  readonly chainId: bigint
  readonly networkId: bigint
  /** The dev signer key (`--dev` only). */
  readonly signerKey: Uint8Array | undefined
  /** A transaction of a canonical block seen since start (or in the most recent ones at start). */
  findMinedTx(hashHex: string): Promise<MinedTx | undefined>
}

/** The pool's view of the state at one root: nonce, balance, code of an address. */
export function stateReader(state: StateDatabase, root: Uint8Array): StateReader {
  return {
    getNonce: async (a) => (await state.getAccount(root, a))?.nonce ?? 0n,
    getBalance: async (a) => (await state.getAccount(root, a))?.balance ?? 0n,
    getCode: async (a) => {
      const acc = await state.getAccount(root, a)
      return acc ? ((await state.getCode(acc.codeHash)) ?? new Uint8Array(0)) : new Uint8Array(0)
    },
  }
}

/** The pool's fork times (Prague's EIP-7623 floor, Osaka's limits) from the genesis config. */
function timeForksOf(config: ChainConfig): { pragueTime?: bigint; osakaTime?: bigint } {
  const out: { pragueTime?: bigint; osakaTime?: bigint } = {}
  if (typeof config.pragueTime === 'number') out.pragueTime = BigInt(config.pragueTime)
  if (typeof config.osakaTime === 'number') out.osakaTime = BigInt(config.osakaTime)
  return out
}

const notStarted = (what: string): never => {
  throw new NodeError('ErrNotRunning', `${what}: node not started`)
}

export function createChainPart(
  deps: { log: Pick<Logger, 'info' | 'warn' | 'debug'> },
  options: ChainPartOptions,
): ChainPart {
  const { log } = deps
  let chain: Chain | undefined
  let txPool: TxPool | undefined
  let recoveryPool: RecoveryPool | undefined
  let state: StateDatabase | undefined
  let executor: Executor | undefined
  let bloomIndex: BloomIndex | undefined
  let signerKey: Uint8Array | undefined
  let chainId = 0n
  let networkId = 0n
  const cleanups: Array<() => void> = []
  // mined tx index: tx hash hex → block hash hex (canonical blocks seen since start), bounded
  const minedTx = new Map<string, string>()

  const index = (block: Block) => {
    const bh = bytesToHex(block.hash)
    for (const tx of block.transactions) {
      minedTx.set(bytesToHex(tx.hash), bh)
      if (minedTx.size > minedTxIndexEntries) {
        const oldest = minedTx.keys().next().value
        if (oldest !== undefined) minedTx.delete(oldest)
      }
    }
  }

  const start = async () => {
    await mkdir(options.datadir, { recursive: true })
    let genesis: GenesisJson | undefined = options.genesis
    if (options.dev) {
      const dev = await prepareDev(options.datadir)
      signerKey = dev.key
      genesis = dev.genesis
    }
    // sender recovery (block execution, transactions from peers) runs in a worker thread
    // (in-thread fallback)
    recoveryPool = createRecoveryPool({
      workers: options.recoveryWorkers ?? defaultRecoveryWorkers,
    })
    const opened = await openExecutingChain(options.datadir, {
      genesis,
      fakePow: options.fakePow,
      signerKey,
      recoverer: recoveryPool,
      logger: log,
    })
    chain = opened.chain
    state = opened.state
    executor = opened.executor
    const c = chain
    const st = state
    chainId = BigInt(c.config.chainId ?? 1)
    networkId = options.networkId ?? chainId
    log.info('Opened chain', {
      datadir: options.datadir,
      genesis: bytesToHex(c.genesis.hash),
      head: c.currentHeader().number,
      network: networkId,
    })
    if (c.headStateMissing)
      // a header-only genesis (a network preset): headers, Status and fork id are served, but no
      // block executes until a fast sync has downloaded a state (chain README)
      log.warn(
        'No state at the head (header-only genesis): full sync cannot execute blocks and fails with ErrStateNotSynced; use --syncmode fast to download a state',
        { head: c.currentHeader().number },
      )

    cleanups.push(
      c.on((e) => {
        if (e.type !== 'block' || !e.canonical) return
        index(e.block)
      }),
      // the pool follows every new head (reorgs included): mined and now-invalid transactions
      // leave, a reorg gives back what it removed, queued ones may become pending
      c.on((e) => {
        if (e.type !== 'head' || !txPool) return
        void txPool.reset(e.header).catch((err) => log.warn('Pool reset failed', { err }))
      }),
    )
    // the transactions of the most recent canonical blocks already in the database
    const head = c.currentHeader().number
    const from =
      head >= BigInt(minedTxStartupBlocks) ? head - BigInt(minedTxStartupBlocks) + 1n : 1n
    for (let n = from; n <= head; n++) {
      const block = await c.getBlockByNumber(n)
      if (block) index(block)
    }

    // the log index builds missing sections in the background and follows new heads
    // --history.logs.disable: no log index, eth_getLogs scans headers
    bloomIndex = createBloomIndex(
      { source: chainLogSource(c), store: chainBloomStore(c), logger: log },
      { enabled: options.logsIndex !== false },
    )
    await bloomIndex.start()

    const poolChain: PoolChain = {
      currentHeader: () => c.currentHeader(),
      getBlockByHash: (h) => c.getBlockByHash(h),
      stateAt: (root) => stateReader(st, root),
    }
    const limits = options.txPool ?? {}
    txPool = createTxPool(
      {
        chain: poolChain,
        journal: createFileJournal(join(options.datadir, txJournalFileName)),
        recoverer: loadRecoverer(),
        batchRecoverer: recoveryPool,
      },
      {
        chainId,
        forks: timeForksOf(c.config),
        ...(limits.globalSlots !== undefined ? { globalSlots: limits.globalSlots } : {}),
        ...(limits.accountSlots !== undefined ? { accountSlots: limits.accountSlots } : {}),
        ...(limits.globalQueue !== undefined ? { globalQueue: limits.globalQueue } : {}),
        ...(limits.accountQueue !== undefined ? { accountQueue: limits.accountQueue } : {}),
      },
    )
    await txPool.start()
  }

  const stop = async () => {
    for (const c of cleanups.splice(0)) c()
    const step = async (what: string, f: () => Promise<unknown> | undefined) => {
      try {
        await f()
      } catch (err) {
        log.warn(`Stopping ${what} failed`, { err })
      }
    }
    await step('txpool', () => txPool?.stop())
    await step('log index', () => bloomIndex?.stop())
    await step('recovery workers', () => recoveryPool?.close())
    await step('database', () => chain?.close())
  }

  const findMinedTx = async (hashHex: string): Promise<MinedTx | undefined> => {
    const c = chain
    const want = hashHex.toLowerCase()
    const bh = minedTx.get(want)
    if (!c || !bh) return undefined
    const block = await c.getBlockByHash(hexToBytes(bh))
    if (!block) return undefined
    const i = block.transactions.findIndex((t) => bytesToHex(t.hash) === want)
    if (i < 0) return undefined
    const canon = await c.getCanonicalHash(block.header.number)
    if (!canon || bytesToHex(canon) !== bh) return undefined
    return { tx: block.transactions[i] as Transaction, block, index: i }
  }

  return {
    name: 'chain',
    start,
    stop,
    get chain() {
      return chain ?? notStarted('chain')
    },
    get state() {
      return state ?? notStarted('state')
    },
    get executor() {
      return executor ?? notStarted('executor')
    },
    get txPool() {
      return txPool ?? notStarted('txPool')
    },
    get bloomIndex() {
      return bloomIndex ?? notStarted('bloomIndex')
    },
    get chainId() {
      return chainId
    },
    get networkId() {
      return networkId
    },
    get signerKey() {
      return signerKey
    },
    findMinedTx,
  }
}
