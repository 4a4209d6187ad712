/**
 * The block executor (go-ethereum's `core/state_processor.go` + the engine's `Finalize`): system
 * calls, transactions, rewards, withdrawals and EIP-7685 requests over one EthereumJS EVM bound to
 * a {@link StateAdapter} that is pointed at each block's world state in turn.
 */
import { createHash } from 'node:crypto'
import { createEVM, type EVM } from '@ethereumjs/evm'
import { Address } from '@ethereumjs/util'
import { recoverAddress } from '@ethwire/crypto'
import {
  Block,
  type BlockHeader,
  bytesToHex,
  EMPTY_TRIE_ROOT,
  encodeReceipt,
  equalBytes,
  BlockHeader as Header,
  hexToBytes,
  keccak256,
  orderedTrieRoot,
  type ReceiptData,
  type Transaction,
  transactionsRoot,
  withdrawalsRoot,
} from '@ethwire/rlp-wire'
import { hexKey, StateAdapter } from './adapter.js'
import { type CallEngine, type CallInput, type CallResult, createCallEngine } from './call.js'
import { createCommon, type ExecutionConfig, rulesAt } from './config.js'
import {
  beaconRootsAddress,
  blockHashCacheEntries,
  bloomBitsCacheEntries,
  byzantiumBlockRewardWei,
  consolidationRequestAddress,
  constantinopleBlockRewardWei,
  depositEventTopic,
  flatCacheEntries,
  frontierBlockRewardWei,
  gasPerBlob,
  historyStorageAddress,
  maxWorldReuseBlocks,
  systemAddress,
  systemCallGas,
  withdrawalRequestAddress,
} from './constants.js'
import { ExecutorError, isExecutorError } from './errors.js'
import { blobBaseFee } from './fees.js'
import { applyTransaction, checkTxStatic, effectiveGasPrice, type TxEnv } from './transition.js'
import type {
  BatchOp,
  BlockExecution,
  BuildBlockInput,
  BuiltBlock,
  ExecuteBlockInput,
  ExecutionTimings,
  GenesisAllocAccount,
  HeaderSource,
  Kzg,
  MismatchField,
  PendingTx,
  SenderRecoverer,
  StateOpener,
  TxSource,
  WorldState,
} from './types.js'

export interface ExecutorDeps {
  /** Opens a world state at a stored root (`@ethwire/state`'s `StateDatabase`). */
  state: StateOpener
  /** Ancestor headers for BLOCKHASH (`@ethwire/chain`'s chain fits). */
  headers?: HeaderSource
  /** Batch sender recovery (`@ethwire/crypto`'s `createRecoveryPool()`); default: the addon on this thread. */
  recoverer?: SenderRecoverer
  /** The block's beneficiary (clique: the signer); default `header.coinbase`. */
  author?: (header: BlockHeader) => Uint8Array
  /** KZG library for the EIP-4844 point-evaluation precompile (`kzg-wasm`, `c-kzg` wrapped). */
  kzg?: Kzg
}

export interface ExecutorOptions {
  /** The `config` object of a go-ethereum genesis.json. */
  config: ExecutionConfig
}

export interface Executor {
  readonly config: ExecutionConfig
  /** Runs `block` on its parent's state. Throws `ErrInvalidTx` / `ErrInvalidBlock` / `ErrInvalidSignature`. */
  executeBlock(input: ExecuteBlockInput): Promise<BlockExecution>
  /** Senders of many blocks at once (one pool call). */
  recoverSenders(blocks: readonly Block[], signal?: AbortSignal): Promise<Uint8Array[][]>
  /** Fills a block from `transactions` up to the gas limit and executes it (the miner). */
  buildBlock(input: BuildBlockInput): Promise<BuiltBlock>
  /** The genesis state of `alloc`: its root and the ops that store it (write them with block 0). */
  genesisState(
    alloc: Record<string, GenesisAllocAccount>,
  ): Promise<{ root: Uint8Array; ops: BatchOp[] }>
  /** Whether the state at `root` is stored (false when the state database cannot tell). */
  hasState(root: Uint8Array): Promise<boolean>
  /** Tells the state database a batch with these ops was written. */
  written(ops: readonly BatchOp[]): void
  /** Time spent so far, by phase. */
  timings(): ExecutionTimings
  resetTimings(): void
  /**
   * `eth_call`: a message on the state of a stored block, nothing committed (its own EVM: block
   * import is not disturbed). A revert is a result (`success: false`, `error: 'execution reverted'`,
   * the revert data in `returnData`); an invalid message throws `ErrInvalidTx`.
   */
  call(input: CallInput): Promise<CallResult>
  /** `eth_estimateGas` (go-ethereum's binary search); a revert throws `ErrExecutionReverted`. */
  estimateGas(input: CallInput): Promise<bigint>
}

const ZERO32 = new Uint8Array(32)
const sha256 = (b: Uint8Array) => new Uint8Array(createHash('sha256').update(b).digest())
const addr = (h: string) => hexToBytes(h)

/** Bloom bit positions of recently seen addresses and topics (a token's address, its event topic). */
const bloomBits = new Map<string, [number, number, number]>()
function bitsOf(v: Uint8Array): [number, number, number] {
  const key = hexKey(v)
  let b = bloomBits.get(key)
  if (!b) {
    const h = keccak256(v)
    b = [
      (((h[0] as number) << 8) | (h[1] as number)) & 2047,
      (((h[2] as number) << 8) | (h[3] as number)) & 2047,
      (((h[4] as number) << 8) | (h[5] as number)) & 2047,
    ]
    if (bloomBits.size >= bloomBitsCacheEntries) bloomBits.clear()
    bloomBits.set(key, b)
  }
  return b
}
/** The logs bloom (same result as rlp-wire's `logsBloom`, hashing each distinct value once). */
function bloomOf(logs: readonly { address: Uint8Array; topics: Uint8Array[] }[]): Uint8Array {
  const bloom = new Uint8Array(256)
  const add = (v: Uint8Array) => {
    for (const bit of bitsOf(v))
      bloom[255 - (bit >> 3)] = (bloom[255 - (bit >> 3)] as number) | (1 << (bit & 7))
  }
  for (const l of logs) {
    add(l.address)
    for (const t of l.topics) add(t)
  }
  return bloom
}

/** Compares an execution result with the header; returns the first field that differs. */
export function compareWithHeader(
  header: BlockHeader,
  e: BlockExecution,
): MismatchField | undefined {
  if (header.gasUsed !== e.gasUsed) return 'gasUsed'
  if (!equalBytes(header.bloom, e.logsBloom)) return 'bloom'
  if (!equalBytes(header.receiptRoot, e.receiptsRoot)) return 'receiptRoot'
  if (
    (header.blobGasUsed ?? undefined) !== (e.blobGasUsed ?? undefined) &&
    header.blobGasUsed !== undefined
  )
    return 'blobGasUsed'
  if (header.requestsHash && (!e.requestsHash || !equalBytes(header.requestsHash, e.requestsHash)))
    return 'requestsHash'
  if (!equalBytes(header.stateRoot, e.stateRoot)) return 'stateRoot'
  return undefined
}

/** Creates the executor. One block runs at a time (calls are queued). */
export async function createExecutor(
  deps: ExecutorDeps,
  options: ExecutorOptions,
): Promise<Executor> {
  const config = options.config
  const common = createCommon(config, deps.kzg ? { kzg: deps.kzg as never } : {})
  const adapter = new StateAdapter(nullWorld)
  const hashes = new AncestorHashes()
  /** Root the adapter's read caches reflect (the last committed block), if any. */
  let lastRoot: Uint8Array | undefined
  /** The world state that committed `lastRoot` (it stays usable on top of it). */
  let lastWorld: WorldState | undefined
  /** Whether the caller reported writing the ops that store `lastRoot` (its root node). */
  let storeHasLast = false
  let reusedBlocks = 0
  let headerSource: HeaderSource | undefined = deps.headers
  const blockchain = {
    getBlock: async (n: number) => {
      const h = await hashes.at(BigInt(n), headerSource)
      return { hash: () => h }
    },
    putBlock: async () => {},
    shallowCopy() {
      return blockchain
    },
  }
  // Clique: EthereumJS's interpreter refuses to run code without a `cliqueSigner`; COINBASE is the
  // block's beneficiary, which `openBlock` puts into the header it hands the EVM (the signer)
  const evm: EVM = await createEVM({
    common,
    stateManager: adapter,
    blockchain,
    cliqueSigner: (h) => h.coinbase,
  })
  const t: ExecutionTimings = {
    senderRecoveryMs: 0,
    evmMs: 0,
    stateRootMs: 0,
    receiptsMs: 0,
    blocks: 0,
    transactions: 0,
    gas: 0n,
  }
  let callEngine: CallEngine | undefined
  const calls = () => {
    callEngine ??= createCallEngine(
      { state: deps.state, headers: deps.headers, kzg: deps.kzg },
      config,
    )
    return callEngine
  }
  let queue: Promise<unknown> = Promise.resolve()
  const exclusive = <T>(f: () => Promise<T>): Promise<T> => {
    const run = queue.then(f, f)
    queue = run.catch(() => {})
    return run
  }

  const recoverOne = (tx: Transaction): Uint8Array | null => {
    try {
      return recoverAddress(tx.sigHash(), tx.r, tx.s, tx.recovery)
    } catch {
      return null
    }
  }

  const recoverSenders = async (
    blocks: readonly Block[],
    signal?: AbortSignal,
  ): Promise<Uint8Array[][]> => {
    // Only this thread's part is timed (signing hashes; recovery itself when there is no pool):
    // the pool's workers run alongside execution.
    const t0 = performance.now()
    const txs = blocks.flatMap((b) => b.transactions)
    let out: (Uint8Array | null)[]
    if (deps.recoverer && txs.length > 8) {
      const batch = txs.map((tx) => ({
        hash: tx.sigHash(),
        r: tx.r,
        s: tx.s,
        recovery: tx.recovery,
      }))
      const pending = deps.recoverer.recoverAddresses(batch, { signal })
      t.senderRecoveryMs += performance.now() - t0
      out = await pending
    } else {
      out = txs.map(recoverOne)
      t.senderRecoveryMs += performance.now() - t0
    }
    const res: Uint8Array[][] = []
    let i = 0
    for (const b of blocks) {
      const s: Uint8Array[] = []
      for (let j = 0; j < b.transactions.length; j++, i++) {
        const a = out[i]
        if (!a)
          throw new ExecutorError(
            'ErrInvalidSignature',
            `block ${b.header.number} tx ${j}: invalid signature`,
            {
              txIndex: j,
              blockNumber: b.header.number,
            },
          )
        s.push(a)
      }
      res.push(s)
    }
    return res
  }

  /** Everything needed to run transactions of a block with this header. */
  const openBlock = async (
    header: BlockHeader,
    parent: BlockHeader,
    world: WorldState,
    beneficiary?: Uint8Array,
  ) => {
    const rules = rulesAt(config, header.number, header.time, header.difficulty === 0n)
    common.setHardfork(rules.hardfork)
    const keep = lastRoot !== undefined && equalBytes(lastRoot, parent.stateRoot)
    lastRoot = undefined // set again only when this block commits
    adapter.reset(world, keep, flatCacheEntries)
    hashes.setParent(parent)
    const coinbase = beneficiary ?? (deps.author ? deps.author(header) : header.coinbase)
    const bbf = rules.cancun ? blobBaseFee(rules, header.excessBlobGas ?? 0n) : 0n
    const evmBlock = {
      header: {
        number: header.number,
        coinbase: new Address(coinbase),
        timestamp: header.time,
        difficulty: header.difficulty,
        prevRandao: header.mixDigest,
        gasLimit: header.gasLimit,
        baseFeePerGas: header.baseFee,
        getBlobGasPrice: () => (rules.cancun ? bbf : undefined),
      },
    }
    const env: TxEnv = {
      rules,
      evm,
      state: adapter,
      evmBlock,
      coinbase,
      baseFee: header.baseFee,
      blobBaseFee: bbf,
      gasPool: header.gasLimit,
      precompiles: [...evm.precompiles.keys()],
    }
    return env
  }

  /** A call from the system address (EIP-4788, 2935, 7002, 7251); no gas is charged to the block. */
  const systemCall = async (env: TxEnv, to: string, data: Uint8Array, required: boolean) => {
    const toBytes = addr(to)
    const acc = await adapter.readAccount(hexKey(toBytes), toBytes)
    const code = acc ? await adapter.codeByHash(acc.codeHash) : new Uint8Array(0)
    if (code.length === 0) {
      if (required) throw new ExecutorError('ErrInvalidBlock', `system contract ${to} has no code`)
      return new Uint8Array(0)
    }
    await evm.journal.cleanup()
    const res = await evm.runCall({
      block: env.evmBlock,
      caller: new Address(addr(systemAddress)),
      origin: new Address(addr(systemAddress)),
      to: new Address(toBytes),
      data,
      gasLimit: systemCallGas,
      gasPrice: 0n,
      value: 0n,
      skipNonceIncrement: true,
    })
    await evm.journal.cleanup()
    adapter.originalStorageCache.clear()
    if (res.execResult.exceptionError) {
      if (required)
        throw new ExecutorError(
          'ErrInvalidBlock',
          `system call to ${to} failed: ${res.execResult.exceptionError.error}`,
        )
    }
    return res.execResult.returnValue
  }

  const addBalance = async (a: Uint8Array, amount: bigint) => {
    if (amount === 0n) return
    const k = hexKey(a)
    const acc = await adapter.readAccount(k, a)
    adapter.writeAccount(k, a, {
      nonce: acc?.nonce ?? 0n,
      balance: (acc?.balance ?? 0n) + amount,
      storageRoot: acc?.storageRoot ?? EMPTY_TRIE_ROOT,
      codeHash: acc?.codeHash ?? EMPTY_CODE,
    })
  }

  /** Everything after the transactions: rewards, withdrawals, requests; returns the requests. */
  const finalize = async (env: TxEnv, block: Block, receipts: ReceiptData[]) => {
    const { rules } = env
    const header = block.header
    if (rules.ethashRewards) {
      const reward = rules.constantinople
        ? constantinopleBlockRewardWei
        : rules.byzantium
          ? byzantiumBlockRewardWei
          : frontierBlockRewardWei
      let total = reward
      for (const u of block.uncles) {
        const r = ((u.number + 8n - header.number) * reward) / 8n
        await addBalance(u.coinbase, r)
        total += reward / 32n
      }
      await addBalance(header.coinbase, total)
    }
    for (const w of block.withdrawals ?? []) await addBalance(w.address, w.amount * 1_000_000_000n)
    if (!rules.prague) return undefined
    const requests: Uint8Array[] = []
    const deposits = parseDeposits(config, receipts)
    if (deposits.length) requests.push(Uint8Array.of(0, ...deposits))
    const wr = await systemCall(env, withdrawalRequestAddress, new Uint8Array(0), true)
    if (wr.length) requests.push(Uint8Array.of(1, ...wr))
    const cr = await systemCall(env, consolidationRequestAddress, new Uint8Array(0), true)
    if (cr.length) requests.push(Uint8Array.of(2, ...cr))
    return requests
  }

  /** Runs the transactions of a block; `onTx` decides per tx (builder) or the block fails (import). */
  const run = async (
    env: TxEnv,
    header: BlockHeader,
    parent: BlockHeader,
    txs: readonly Transaction[],
    senders: readonly Uint8Array[],
  ) => {
    const { rules } = env
    const accounts: Uint8Array[] = [env.coinbase, ...senders]
    const slots: [Uint8Array, Uint8Array][] = []
    for (const tx of txs) {
      if (tx.to) accounts.push(tx.to)
      for (const e of tx.accessList ?? []) for (const k of e.storageKeys) slots.push([e.address, k])
    }
    await adapter.prefetch(accounts, slots)
    if (rules.cancun && header.parentBeaconRoot)
      await systemCall(env, beaconRootsAddress, header.parentBeaconRoot, false)
    if (rules.prague) await systemCall(env, historyStorageAddress, parent.hash, false)
    const receipts: ReceiptData[] = []
    let gasUsed = 0n
    let blobGasUsed = 0n
    for (let i = 0; i < txs.length; i++) {
      const tx = txs[i] as Transaction
      let res: Awaited<ReturnType<typeof applyTransaction>>
      try {
        res = await applyTransaction(env, tx, senders[i] as Uint8Array)
      } catch (e) {
        if (isExecutorError(e))
          throw new ExecutorError(e.code, `block ${header.number} tx ${i}: ${e.message}`, {
            txIndex: i,
            blockNumber: header.number,
          })
        throw e
      }
      env.gasPool -= res.gasUsed
      gasUsed += res.gasUsed
      blobGasUsed += res.blobGasUsed
      const postStateOrStatus = rules.byzantium
        ? res.status
          ? Uint8Array.of(1)
          : new Uint8Array(0)
        : await rootNow()
      receipts.push({
        type: tx.type,
        postStateOrStatus,
        cumulativeGasUsed: gasUsed,
        bloom: bloomOf(res.logs),
        logs: res.logs,
      })
    }
    return { receipts, gasUsed, blobGasUsed }
  }

  const rootNow = async () => {
    const t0 = performance.now()
    const r = await adapter.getStateRoot()
    t.stateRootMs += performance.now() - t0
    return r
  }

  const finish = async (
    env: TxEnv,
    block: Block,
    r: { receipts: ReceiptData[]; gasUsed: bigint; blobGasUsed: bigint },
    senders: Uint8Array[],
  ): Promise<BlockExecution> => {
    const rules = env.rules
    if (rules.blob && r.blobGasUsed > BigInt(rules.blob.max) * gasPerBlob)
      throw new ExecutorError(
        'ErrInvalidBlock',
        `block ${block.header.number}: blob gas used ${r.blobGasUsed} above the maximum`,
      )
    const requests = await finalize(env, block, r.receipts)
    const t1 = performance.now()
    await adapter.flush()
    const { root, ops } = await adapter.world.commit()
    lastRoot = root
    lastWorld = adapter.world
    storeHasLast = false
    const t2 = performance.now()
    t.stateRootMs += t2 - t1
    const receiptsRoot = orderedTrieRoot(r.receipts.map(encodeReceipt))
    const bloom = new Uint8Array(256)
    for (const rc of r.receipts) {
      const b = rc.bloom as Uint8Array
      for (let i = 0; i < 256; i++) bloom[i] = (bloom[i] as number) | (b[i] as number)
    }
    const out: BlockExecution = {
      stateRoot: root,
      receipts: r.receipts,
      receiptsRoot,
      gasUsed: r.gasUsed,
      logsBloom: bloom,
      ops,
      senders,
    }
    if (rules.cancun) out.blobGasUsed = r.blobGasUsed
    if (requests) {
      out.requests = requests
      out.requestsHash = sha256(concat(requests.map(sha256)))
    }
    t.receiptsMs += performance.now() - t2
    t.blocks++
    t.transactions += r.receipts.length
    t.gas += r.gasUsed
    return out
  }

  /**
   * The world state for a block on `root`: the one the last block left when it builds on that block
   * (needed while the caller has not written those ops: their nodes are only in that world), a
   * fresh one from the state database otherwise, or once the store has the last root and the world
   * has served `maxWorldReuseBlocks` blocks (bounding the memory a long-lived world gathers).
   */
  const openWorld = async (root: Uint8Array) => {
    if (
      lastWorld &&
      lastRoot &&
      equalBytes(lastRoot, root) &&
      (!storeHasLast || reusedBlocks < maxWorldReuseBlocks)
    ) {
      reusedBlocks++
      return lastWorld
    }
    reusedBlocks = 0
    try {
      return await deps.state.open(root)
    } catch (e) {
      throw new ExecutorError(
        'ErrMissingState',
        `state ${bytesToHex(root)} unavailable: ${(e as Error).message}`,
      )
    }
  }

  const executeBlock = async (input: ExecuteBlockInput): Promise<BlockExecution> => {
    const { block, parent } = input
    const senders = input.senders ?? (await recoverSenders([block], input.signal))[0] ?? []
    if (senders.length !== block.transactions.length)
      throw new ExecutorError('ErrInvalidBlock', 'senders do not match the transactions')
    return exclusive(async () => {
      input.signal?.throwIfAborted()
      headerSource = input.headers ?? deps.headers
      const world = await openWorld(parent.stateRoot)
      const t0 = performance.now()
      const env = await openBlock(block.header, parent, world)
      if (block.header.gasUsed > block.header.gasLimit)
        throw new ExecutorError('ErrInvalidBlock', 'gas used above the gas limit')
      const stateRootBefore = t.stateRootMs
      const r = await run(env, block.header, parent, block.transactions, senders)
      t.evmMs += performance.now() - t0 - (t.stateRootMs - stateRootBefore)
      const e0 = performance.now()
      const res = await finish(env, block, r, senders)
      hashes.push(block.header)
      void e0
      return res
    })
  }

  const buildBlock = async (input: BuildBlockInput): Promise<BuiltBlock> =>
    exclusive(async () => {
      const { parent, header: h } = input
      headerSource = deps.headers
      const world = await openWorld(parent.stateRoot)
      const number = parent.number + 1n
      const merged = (h.difficulty ?? 0n) === 0n
      const pre = rulesAt(config, number, h.time, merged)
      const draft = Header.fromData({
        parentHash: parent.hash,
        uncleHash: EMPTY_UNCLE,
        coinbase: h.coinbase,
        stateRoot: ZERO32,
        txRoot: EMPTY_TRIE_ROOT,
        receiptRoot: EMPTY_TRIE_ROOT,
        bloom: new Uint8Array(256),
        difficulty: h.difficulty ?? 0n,
        number,
        gasLimit: h.gasLimit,
        gasUsed: 0n,
        time: h.time,
        extra: h.extra ?? new Uint8Array(0),
        mixDigest: h.mixDigest ?? ZERO32,
        nonce: h.nonce ?? new Uint8Array(8),
        baseFee: h.baseFee,
        // Placeholders where the fork has these fields (the header's optional fields must be a
        // prefix of the list); the real roots and counts are set once the block has run.
        withdrawalsRoot: pre.shanghai ? EMPTY_TRIE_ROOT : undefined,
        blobGasUsed: pre.cancun ? 0n : undefined,
        excessBlobGas: pre.cancun ? (h.excessBlobGas ?? 0n) : undefined,
        parentBeaconRoot: pre.cancun ? (h.parentBeaconRoot ?? ZERO32) : undefined,
        requestsHash: pre.prague ? ZERO32 : undefined,
      })
      const env = await openBlock(draft, parent, world, h.beneficiary)
      const rules = env.rules
      if (rules.cancun && draft.parentBeaconRoot)
        await systemCall(env, beaconRootsAddress, draft.parentBeaconRoot, false)
      if (rules.prague) await systemCall(env, historyStorageAddress, parent.hash, false)
      const source: TxSource = Array.isArray(input.transactions)
        ? arraySource(input.transactions)
        : (input.transactions as TxSource)
      const txs: Transaction[] = []
      const senders: Uint8Array[] = []
      const receipts: ReceiptData[] = []
      const skipped: BuiltBlock['skipped'] = []
      let gasUsed = 0n
      let blobGasUsed = 0n
      const maxBlobGas = rules.blob ? BigInt(rules.blob.max) * gasPerBlob : 0n
      for (;;) {
        input.signal?.throwIfAborted()
        if (env.gasPool < 21000n) break
        const next = source.peek()
        if (!next) break
        const { tx, sender } = next
        if (tx.gasLimit > env.gasPool) {
          // Not enough gas left for this one; others may still fit (go-ethereum pops the sender).
          skipped.push({ tx, reason: 'gas limit reached' })
          source.pop()
          continue
        }
        const blobGas =
          tx.type === 3 ? gasPerBlob * BigInt(tx.blobVersionedHashes?.length ?? 0) : 0n
        if (blobGasUsed + blobGas > maxBlobGas && tx.type === 3) {
          skipped.push({ tx, reason: 'blob gas limit reached' })
          source.pop()
          continue
        }
        if (env.baseFee !== undefined && effectiveGasPrice(tx, env.baseFee).tip < 0n) {
          skipped.push({ tx, reason: 'fee cap below base fee' })
          source.pop()
          continue
        }
        let res: Awaited<ReturnType<typeof applyTransaction>>
        try {
          checkTxStatic(tx, rules, env)
          res = await applyTransaction(env, tx, sender)
        } catch (e) {
          if (!isExecutorError(e)) throw e
          skipped.push({ tx, reason: e.message })
          if (/nonce too low/.test(e.message)) source.shift()
          else source.pop()
          continue
        }
        env.gasPool -= res.gasUsed
        gasUsed += res.gasUsed
        blobGasUsed += res.blobGasUsed
        txs.push(tx)
        senders.push(sender)
        receipts.push({
          type: tx.type,
          postStateOrStatus: rules.byzantium
            ? res.status
              ? Uint8Array.of(1)
              : new Uint8Array(0)
            : await rootNow(),
          cumulativeGasUsed: gasUsed,
          bloom: bloomOf(res.logs),
          logs: res.logs,
        })
        source.shift()
      }
      const withdrawals = rules.shanghai ? (input.withdrawals ?? []) : undefined
      const body = { transactions: txs, uncles: [] as BlockHeader[], withdrawals }
      const provisional = new Block(draft, body)
      const execution = await finish(env, provisional, { receipts, gasUsed, blobGasUsed }, senders)
      const header = Header.fromData({
        ...draft.toData(),
        stateRoot: execution.stateRoot,
        txRoot: transactionsRoot(txs),
        receiptRoot: execution.receiptsRoot,
        bloom: execution.logsBloom,
        gasUsed,
        withdrawalsRoot: withdrawals ? withdrawalsRoot(withdrawals) : undefined,
        blobGasUsed: rules.cancun ? blobGasUsed : undefined,
        excessBlobGas: rules.cancun ? (h.excessBlobGas ?? 0n) : undefined,
        parentBeaconRoot: rules.cancun ? (h.parentBeaconRoot ?? ZERO32) : undefined,
        requestsHash: execution.requestsHash,
      })
      hashes.push(header)
      return { block: new Block(header, body), execution, skipped }
    })

  const genesisState = async (alloc: Record<string, GenesisAllocAccount>) => {
    const world = await deps.state.open(EMPTY_TRIE_ROOT)
    for (const [addrHex, acc] of Object.entries(alloc)) {
      const a = fixedBytes(addrHex, 20)
      const code = acc.code ? hexToBytes(evenHex(acc.code)) : new Uint8Array(0)
      const codeHash = code.length ? keccak256(code) : EMPTY_CODE
      if (code.length) await world.setCode(codeHash, code)
      await world.setAccount(a, {
        nonce: acc.nonce ? BigInt(acc.nonce) : 0n,
        balance: acc.balance ? BigInt(acc.balance) : 0n,
        storageRoot: EMPTY_TRIE_ROOT,
        codeHash,
      })
      for (const [k, v] of Object.entries(acc.storage ?? {})) {
        const value = BigInt(v.startsWith('0x') || v.startsWith('0X') ? v : `0x${v}`)
        if (value === 0n) continue
        await world.setStorage(a, fixedBytes(k, 32), fixedBytes(`0x${value.toString(16)}`, 32))
      }
    }
    return world.commit()
  }

  return {
    config,
    executeBlock,
    recoverSenders,
    buildBlock,
    genesisState,
    hasState: async (root) => (deps.state.hasRoot ? deps.state.hasRoot(root) : false),
    written: (ops) => {
      const last = lastRoot
      if (last && !storeHasLast) {
        for (const op of ops) {
          if (op.key.length === 32 && op.key[0] === last[0] && equalBytes(op.key, last)) {
            storeHasLast = true
            break
          }
        }
      }
      deps.state.written?.(ops)
    },
    call: (input) => calls().call(input),
    estimateGas: (input) => calls().estimateGas(input),
    timings: () => ({ ...t }),
    resetTimings() {
      t.senderRecoveryMs = 0
      t.evmMs = 0
      t.stateRootMs = 0
      t.receiptsMs = 0
      t.blocks = 0
      t.transactions = 0
      t.gas = 0n
    },
  }
}

const EMPTY_CODE = new Uint8Array(
  Buffer.from('c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470', 'hex'),
)
const EMPTY_UNCLE = new Uint8Array(
  Buffer.from('1dcc4de8dec75d7aab85b567b6ccd41ad312451b948a7413f0a142fd40d49347', 'hex'),
)

const evenHex = (s: string) => {
  const h = s.startsWith('0x') || s.startsWith('0X') ? s.slice(2) : s
  return h.length % 2 ? `0${h}` : h
}
const fixedBytes = (s: string, len: number): Uint8Array => {
  const v = BigInt(`0x${evenHex(s) || '0'}`)
  const out = new Uint8Array(len)
  let x = v
  for (let i = len - 1; i >= 0 && x > 0n; i--) {
    out[i] = Number(x & 0xffn)
    x >>= 8n
  }
  if (x > 0n)
    throw new ExecutorError('ErrInvalidBlock', `genesis value ${s} longer than ${len} bytes`)
  return out
}

const concat = (parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0))
  let o = 0
  for (const p of parts) {
    out.set(p, o)
    o += p.length
  }
  return out
}

/** A {@link TxSource} over a fixed ordered list (no per-sender skipping beyond the failing tx). */
function arraySource(list: PendingTx[]): TxSource {
  let i = 0
  const dropped = new Set<string>()
  const skipDropped = () => {
    while (i < list.length && dropped.has(hexKey((list[i] as PendingTx).sender))) i++
  }
  return {
    peek() {
      skipDropped()
      return list[i]
    },
    shift() {
      i++
    },
    pop() {
      const cur = list[i]
      if (cur) dropped.add(hexKey(cur.sender))
      i++
    },
  }
}

/** EIP-6110 deposit requests from the receipts' logs of the deposit contract. */
function parseDeposits(config: ExecutionConfig, receipts: ReceiptData[]): Uint8Array {
  const contract = hexToBytes(config.depositContractAddress ?? `0x${'00'.repeat(20)}`)
  const topic = hexToBytes(depositEventTopic)
  const out: Uint8Array[] = []
  for (const r of receipts) {
    for (const l of r.logs) {
      if (!equalBytes(l.address, contract) || l.topics.length === 0) continue
      if (!equalBytes(l.topics[0] as Uint8Array, topic)) continue
      out.push(depositFromLog(l.data))
    }
  }
  return concat(out)
}

/** go-ethereum's `DepositLogToRequest`: the ABI layout checked, 192 bytes out. */
function depositFromLog(d: Uint8Array): Uint8Array {
  const fail = (m: string): never => {
    throw new ExecutorError('ErrInvalidBlock', `invalid deposit log: ${m}`)
  }
  if (d.length !== 576) fail(`length ${d.length}`)
  const word = (o: number) => {
    let v = 0
    for (let i = o + 24; i < o + 32; i++) v = v * 256 + (d[i] as number)
    for (let i = o; i < o + 24; i++) if (d[i] !== 0) fail('offset too large')
    return v
  }
  const offsets = [160, 256, 320, 384, 512]
  const sizes = [48, 32, 8, 96, 8]
  const parts: Uint8Array[] = []
  for (let i = 0; i < 5; i++) {
    if (word(i * 32) !== offsets[i]) fail(`field ${i} offset`)
    const o = offsets[i] as number
    if (word(o) !== sizes[i]) fail(`field ${i} size`)
    parts.push(d.subarray(o + 32, o + 32 + (sizes[i] as number)))
  }
  return concat(parts)
}

/** Block hashes of the branch being executed, walked back from the parent on demand. */
class AncestorHashes {
  private byNumber = new Map<bigint, { hash: Uint8Array; parentHash: Uint8Array }>()
  private top = -1n

  setParent(parent: BlockHeader): void {
    const at = this.byNumber.get(parent.number)
    if (!at || !equalBytes(at.hash, parent.hash)) {
      const below = this.byNumber.get(parent.number - 1n)
      if (!(at === undefined && below && equalBytes(below.hash, parent.parentHash)))
        this.byNumber.clear()
      this.byNumber.set(parent.number, { hash: parent.hash, parentHash: parent.parentHash })
    }
    for (let n = parent.number + 1n; n <= this.top; n++) this.byNumber.delete(n)
    this.top = parent.number
    this.trim()
  }

  push(header: BlockHeader): void {
    // The block just executed; the next block's setParent checks it is its parent.
    void header
  }

  async at(n: bigint, src: HeaderSource | undefined): Promise<Uint8Array> {
    const hit = this.byNumber.get(n)
    if (hit) return hit.hash
    // Walk down from the lowest known entry.
    let low = this.top
    while (this.byNumber.has(low - 1n)) low--
    let cur = this.byNumber.get(low)
    while (cur && low > n) {
      const h = src ? await src.getHeader(cur.parentHash, low - 1n) : undefined
      if (!h) return ZERO32
      low--
      cur = { hash: h.hash, parentHash: h.parentHash }
      this.byNumber.set(low, cur)
    }
    return cur?.hash ?? ZERO32
  }

  private trim(): void {
    if (this.byNumber.size <= blockHashCacheEntries) return
    for (const k of [...this.byNumber.keys()].sort((a, b) => (a < b ? -1 : 1))) {
      if (this.byNumber.size <= blockHashCacheEntries / 2) break
      this.byNumber.delete(k)
    }
  }
}

/** A world state that refuses everything (before the first block). */
const nullWorld: WorldState = {
  getAccount: async () => undefined,
  getStorage: async () => ZERO32,
  getCode: async () => undefined,
  setAccount() {
    throw new Error('no world state')
  },
  setStorage() {
    throw new Error('no world state')
  },
  clearStorage() {
    throw new Error('no world state')
  },
  setCode() {
    throw new Error('no world state')
  },
  root: async () => EMPTY_TRIE_ROOT,
  commit: async () => ({ root: EMPTY_TRIE_ROOT, ops: [] }),
}
