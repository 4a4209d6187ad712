import {
  isValidSignatureValues,
  loadRecoverer,
  publicKeyToAddress,
  type Recoverer,
} from '@ethwire/crypto'
import { Transaction } from '@ethwire/rlp-wire'
import { maxBlobsPerTx, validateBlobSidecar, verifyBlobSidecar } from './blob.js'
import {
  defaultAccountQueue,
  defaultAccountSlots,
  defaultBlockGasLimit,
  defaultGlobalQueue,
  defaultGlobalSlots,
  defaultMinGasPriceWei,
  defaultPriceBumpPercent,
  journalRotateSlackEntries,
  limboMaxBytes,
  maxReorgDepthBlocks,
  txSlotSizeBytes,
} from './constants.js'
import { TxPoolError } from './errors.js'
import { createKzgVerifier } from './kzg.js'
import type {
  BatchRecoverer,
  BlobVerifier,
  JournalStore,
  PoolBlock,
  PoolChain,
  PoolHeader,
  StateReader,
} from './types.js'
import {
  costOf,
  effectiveTipOf,
  feeCapOf,
  nextBaseFee,
  type StatelessRules,
  tipOf,
  validateStateless,
} from './validate.js'

/** A sender `TxPool.recoverSenders` recovered for a transaction (opaque outside the pool). */
export interface RecoveredSender {
  readonly tx: Transaction
  readonly sender: Uint8Array
}

/** A transaction in the pool, with its recovered sender. */
export interface PoolTransaction {
  readonly tx: Transaction
  readonly hash: Uint8Array
  /** '0x'-prefixed lower-case hex of `hash`. */
  readonly hashHex: string
  readonly sender: Uint8Array
  /** '0x'-prefixed lower-case hex of `sender`. */
  readonly senderHex: string
  readonly local: boolean
  /**
   * True when executable now: no nonce gap from the account's nonce and (with a head that has a
   * base fee) a fee cap at or above the next block's base fee, for it and every earlier nonce.
   */
  readonly pending: boolean
  /** When it entered the pool (ms, from the injected clock). */
  readonly addedAtMs: number
}

export interface TxPoolDeps {
  /**
   * The chain the pool follows: on `start()` and each `reset()` the pool reads the head, the
   * state at its root (nonces, balances, code) and, on a reorg, the blocks of both branches.
   */
  chain?: PoolChain
  /**
   * A fixed state to validate against when there is no `chain` (nonces, balances); without either,
   * nonces are ordered per sender from the lowest seen.
   */
  state?: StateReader
  /** KZG proof checks of blob sidecars (default: `createKzgVerifier()`, pure JS, loaded on first use). */
  blobVerifier?: BlobVerifier
  /** Single-signature recovery (default: `loadRecoverer()` from @ethwire/crypto). */
  recoverer?: Recoverer
  /** Batch recovery for `addRemotes` (e.g. `createRecoveryPool({ workers: 2 })`). */
  batchRecoverer?: BatchRecoverer
  /** Journal of local transactions (`createFileJournal(path)`); none → locals are not persisted. */
  journal?: JournalStore
  /** Clock in ms (default Date.now). */
  now?: () => number
}

export interface TxPoolOptions {
  chainId: bigint
  /** Block gas limit without a chain (with one, the head's gas limit). Default 36M. */
  blockGasLimit?: bigint
  /** Minimum gas price (legacy) / priority fee (typed) in wei. Default 1. */
  minGasPrice?: bigint
  /** Replacement fee bump in percent. Default 10. */
  priceBumpPercent?: number
  /**
   * Pending (executable) transactions over all accounts before accounts above `accountSlots` are
   * cut (go-ethereum's `--txpool.globalslots`). Default 5120.
   */
  globalSlots?: number
  /** Queued transactions over all accounts (`--txpool.globalqueue`). Default 1024. */
  globalQueue?: number
  /**
   * Pending transactions an account is guaranteed (`--txpool.accountslots`); it may hold more
   * while `globalSlots` has room. Default 16.
   */
  accountSlots?: number
  /** Queued transactions per account (`--txpool.accountqueue`). Default 64. */
  accountQueue?: number
  /** Accepted transaction types. Default all: 0, 1, 2, 3, 4. */
  types?: number[]
  /** Accept legacy transactions without EIP-155. Default true. */
  allowUnprotected?: boolean
  /** Apply the EIP-7623 calldata gas floor when the Prague time is not given. Default true. */
  eip7623?: boolean
  /**
   * Fork times (genesis config `pragueTime`, `osakaTime`), compared with the head's time. Without
   * `osakaTime` both blob sidecar versions are accepted; with it, version 1 (cell proofs) from
   * Osaka on and version 0 before, as go-ethereum requires.
   */
  forks?: { pragueTime?: bigint; osakaTime?: bigint }
  /** Most blobs per transaction (default: 6 from Osaka, else 9 from Prague, else 6). */
  maxBlobsPerTx?: number
}

export interface TxPoolStatus {
  pending: number
  queued: number
}

/** Per sender: nonce → transaction, for `content()`. */
export type TxPoolContent = {
  pending: Record<string, Record<string, Transaction>>
  queued: Record<string, Record<string, Transaction>>
}

export interface TxPool {
  /** Reads the chain head and its state (with `chain`), loads the journal and rewrites it. */
  start(): Promise<void>
  /** Stops accepting transactions, rotates the journal (only live locals remain) and closes it. */
  stop(): Promise<void>
  /**
   * Decodes and adds a transaction: the binary form, or for a blob transaction its network form
   * with the sidecar (`eth_sendRawTransaction`). Throws {@link TxPoolError}.
   */
  addRaw(raw: Uint8Array, opts?: { local?: boolean }): Promise<PoolTransaction>
  /** Adds a decoded transaction. Throws {@link TxPoolError}. */
  add(
    tx: Transaction,
    opts?: { local?: boolean; recovered?: RecoveredSender | undefined },
  ): Promise<PoolTransaction>
  /**
   * Adds transactions from the network; senders recovered in one batch. One result per input: an
   * error with `peerFault: true` means the peer that sent it should be dropped.
   */
  addRemotes(txs: readonly Transaction[]): Promise<Array<PoolTransaction | TxPoolError>>
  /**
   * Recovers the senders of transactions about to be added one by one (a JSON-RPC batch of
   * `eth_sendRawTransaction`) in one batch on the batch recoverer, off the main thread. Hand a
   * result to `add(tx, { recovered })`: the add then recovers nothing. Only results of this pool's
   * own `recoverSenders` are taken (anything else is recovered again). Undefined for a transaction
   * not recovered here (without a batch recoverer, fewer than two, a stateless check or the
   * recovery failed: the add does it and reports it). Never throws.
   */
  recoverSenders(txs: readonly Transaction[]): Promise<Array<RecoveredSender | undefined>>
  get(hash: Uint8Array | string): PoolTransaction | undefined
  has(hash: Uint8Array | string): boolean
  /** Executable transactions by sender ('0x' hex), each list in nonce order. */
  pending(): Map<string, PoolTransaction[]>
  /** All pending transactions in one list: senders in insertion order, nonces ascending. */
  pendingList(): PoolTransaction[]
  /** For txpool_content. */
  content(): TxPoolContent
  /** For txpool_status. */
  status(): TxPoolStatus
  /** Number of transactions held. */
  readonly size: number
  /** The head the pool validates against (with `chain`), after `start()` / `reset()`. */
  readonly head: PoolHeader | undefined
  /**
   * Moves the pool to a new head (default: `chain.currentHeader()`), as go-ethereum's
   * `reset(oldHead, newHead)` with the pool's own head as the old one: on a reorg (the new head is
   * not a child of the old) both branches are walked to their common ancestor (at most 64 blocks)
   * and the transactions only the old branch had are taken back; then, against the state at the
   * new head, mined and now-invalid transactions (nonce below the account's, cost above its
   * balance, gas above the block gas limit) are dropped, later nonces of a dropped one demoted,
   * and queued ones whose gap closed (or whose fee cap now covers the base fee) promoted. Calls
   * made while one runs are coalesced: the pool ends at the newest head asked for.
   */
  reset(newHead?: PoolHeader): Promise<void>
  /**
   * Without execution: drops transactions included in a block and everything of the same senders
   * with a lower or equal nonce; the next nonce of each sender becomes the floor (or the state's
   * nonce). With a `chain`, use `reset` instead.
   */
  removeIncluded(
    txs: readonly Transaction[],
    opts?: {
      /** Senders of `txs` by index, when the caller knows them (saves recoveries). */ senders?: ReadonlyArray<
        Uint8Array | undefined
      >
    },
  ): Promise<void>
  /** Called with transactions that became pending (new, promoted or replacements). Returns unsubscribe. */
  onPending(listener: (txs: PoolTransaction[]) => void): () => void
}

interface Entry {
  tx: Transaction
  hash: Uint8Array
  hashHex: string
  sender: Uint8Array
  senderHex: string
  local: boolean
  pending: boolean
  addedAtMs: number
  /** costOf(tx), computed once. */
  cost: bigint
  /** Slots the transaction takes (32 KiB of its network form each). */
  slots: number
}

interface Account {
  address: Uint8Array
  txs: Map<bigint, Entry>
  /** Nonces below are stale (state nonce or the next nonce after an included tx). */
  floor: bigint | undefined
  local: boolean
  /** The pending run is the nonces [start, next). */
  start: bigint | undefined
  next: bigint
  pendingCount: number
  /** Sum of the pending transactions' costs (go-ethereum's `totalcost`). */
  pendingCost: bigint
  /** Last time the account was active (ms), for queue truncation: the stalest account goes first. */
  beat: number
}

/** A transaction ready to be inserted: checked without state, signature valid, sender known. */
interface Prepared {
  tx: Transaction
  sender: Uint8Array
  /** A blob transaction whose KZG proofs were verified (or that was verified when first added). */
  verified?: boolean
  /**
   * Set by `insert` for a journaled local: the journal write, awaited by the caller outside the
   * pool's lock (so the journal can write the lines of many inserts at once).
   */
  journaled?: Promise<void>
}

const hex = (b: Uint8Array) =>
  `0x${Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex')}`
const normHash = (h: Uint8Array | string) => (typeof h === 'string' ? h.toLowerCase() : hex(h))
const sameBytes = (a: Uint8Array, b: Uint8Array) => a.length === b.length && hex(a) === hex(b)

/** EIP-7702 delegation designator: `0xef0100 ‖ address`. */
const isDelegation = (code: Uint8Array) =>
  code.length === 23 && code[0] === 0xef && code[1] === 0x01 && code[2] === 0x00

/** Binary form, or the network form with the sidecar for a blob transaction that has one. */
export function encodeForJournal(tx: Transaction): Uint8Array {
  if (tx.type === 3 && tx.sidecar !== undefined) return tx.encodeNetwork() as Uint8Array
  return tx.encode()
}

/** Decodes the binary form, or a blob transaction's network form with its sidecar. */
export function decodeRawTransaction(raw: Uint8Array): Transaction {
  if (raw[0] === 3) return Transaction.decodeNetwork(raw)
  return Transaction.decode(raw)
}

const networkSize = (tx: Transaction): number =>
  tx.type === 3 && tx.sidecar !== undefined ? (tx.encodeNetwork() as Uint8Array).length : tx.size

/** Creates a transaction pool. Call `start()` to read the head and load the journal. */
export function createTxPool(deps: TxPoolDeps, options: TxPoolOptions): TxPool {
  const now = deps.now ?? Date.now
  const rules: StatelessRules = {
    chainId: options.chainId,
    blockGasLimit: options.blockGasLimit ?? defaultBlockGasLimit,
    minGasPrice: options.minGasPrice ?? defaultMinGasPriceWei,
    types: new Set(options.types ?? [0, 1, 2, 3, 4]),
    allowUnprotected: options.allowUnprotected ?? true,
    prague: options.eip7623 ?? true,
    osaka: undefined,
  }
  const bump = BigInt(options.priceBumpPercent ?? defaultPriceBumpPercent)
  const globalSlots = options.globalSlots ?? defaultGlobalSlots
  const globalQueue = options.globalQueue ?? defaultGlobalQueue
  const accountSlots = options.accountSlots ?? defaultAccountSlots
  const accountQueue = options.accountQueue ?? defaultAccountQueue
  const capacitySlots = globalSlots + globalQueue
  let recoverer = deps.recoverer
  let verifier = deps.blobVerifier
  const all = new Map<string, Entry>()
  const accounts = new Map<string, Account>()
  const listeners = new Set<(txs: PoolTransaction[]) => void>()
  /** Blob transactions (with sidecars) that left in a block: a reorg may bring them back. */
  const limbo = new Map<string, { tx: Transaction; bytes: number }>()
  let limboBytes = 0
  let stopped = false
  let journalEntries = 0
  /** Local transactions in `all` (kept so a journal rotation check costs nothing per insert). */
  let localCount = 0
  let pendingTotal = 0
  let queuedTotal = 0
  let slotsTotal = 0
  let head: PoolHeader | undefined
  let headState: StateReader | undefined = deps.state
  /** Base fee of the block after the head: a lower fee cap keeps a transaction queued. */
  let pendingBaseFee: bigint | undefined
  /** The newest head `reset` was asked for (resets in between are skipped). */
  let wantedHead: PoolHeader | undefined
  let lock: Promise<unknown> = Promise.resolve()

  const serialize = <T>(fn: () => Promise<T>): Promise<T> => {
    const p = lock.then(fn, fn)
    lock = p.catch(() => {})
    return p
  }

  const view = (e: Entry): PoolTransaction => e

  const emit = (es: Iterable<Entry>) => {
    const list: PoolTransaction[] = []
    for (const e of es) if (e.pending && all.get(e.hashHex) === e) list.push(view(e))
    if (list.length === 0) return
    for (const l of listeners) l(list)
  }

  const applyForks = (h: PoolHeader) => {
    const f = options.forks
    rules.blockGasLimit = h.gasLimit
    if (f?.pragueTime !== undefined) rules.prague = h.time >= f.pragueTime
    if (f?.osakaTime !== undefined) rules.osaka = h.time >= f.osakaTime
    pendingBaseFee = nextBaseFee(h)
  }

  // ------------------------------------------------------------------ accounting

  const setPending = (a: Account, e: Entry, pending: boolean) => {
    if (e.pending === pending) return
    e.pending = pending
    if (pending) {
      a.pendingCount++
      a.pendingCost += e.cost
      pendingTotal++
      queuedTotal--
    } else {
      a.pendingCount--
      a.pendingCost -= e.cost
      pendingTotal--
      queuedTotal++
    }
  }

  const executable = (e: Entry) =>
    e.tx.gasLimit <= rules.blockGasLimit &&
    (pendingBaseFee === undefined || feeCapOf(e.tx) >= pendingBaseFee)

  /** Extends the account's pending run as far as it goes; returns the newly pending entries. */
  const promote = (a: Account, out: Entry[]) => {
    if (a.start === undefined) return
    for (;;) {
      const e = a.txs.get(a.next)
      if (e === undefined || !executable(e)) return
      setPending(a, e, true)
      out.push(e)
      a.next++
      a.beat = now()
    }
  }

  /** Makes every transaction from `nonce` on queued (the run is cut at `nonce`). */
  const demoteFrom = (a: Account, nonce: bigint) => {
    if (a.start === undefined || nonce >= a.next) return
    for (let n = nonce < a.start ? a.start : nonce; n < a.next; n++) {
      const e = a.txs.get(n)
      if (e !== undefined) setPending(a, e, false)
    }
    a.next = nonce < a.start ? a.start : nonce
  }

  /**
   * Recomputes the run from the floor (or the lowest nonce without state); pushes the entries
   * that are pending now and were not in `before` (default: the ones pending when called).
   */
  const recompute = (a: Account, out: Entry[], before?: ReadonlySet<Entry>) => {
    const was = new Set<Entry>(before)
    for (const e of a.txs.values()) {
      if (before === undefined && e.pending) was.add(e)
      setPending(a, e, false)
    }
    let start = a.floor
    if (start === undefined)
      for (const n of a.txs.keys()) if (start === undefined || n < start) start = n
    a.start = start
    a.next = start ?? 0n
    const promoted: Entry[] = []
    promote(a, promoted)
    for (const e of promoted) if (!was.has(e)) out.push(e)
  }

  const pendingSet = (a: Account): Set<Entry> => {
    const s = new Set<Entry>()
    for (const e of a.txs.values()) if (e.pending) s.add(e)
    return s
  }

  const accountOf = (sender: Uint8Array, senderHex: string): Account => {
    let a = accounts.get(senderHex)
    if (a === undefined) {
      a = {
        address: sender,
        txs: new Map(),
        floor: undefined,
        local: false,
        start: undefined,
        next: 0n,
        pendingCount: 0,
        pendingCost: 0n,
        beat: now(),
      }
      accounts.set(senderHex, a)
    }
    return a
  }

  const toLimbo = (e: Entry) => {
    if (e.tx.type !== 3 || e.tx.sidecar === undefined) return
    const bytes = e.slots * txSlotSizeBytes
    limbo.delete(e.hashHex)
    limbo.set(e.hashHex, { tx: e.tx, bytes })
    limboBytes += bytes
    for (const [k, v] of limbo) {
      if (limboBytes <= limboMaxBytes) break
      limbo.delete(k)
      limboBytes -= v.bytes
    }
  }

  /** Removes an entry from the pool; later nonces of a pending one become queued. */
  const removeEntry = (e: Entry, opts: { mined?: boolean } = {}): void => {
    const a = accounts.get(e.senderHex)
    if (a !== undefined && a.txs.get(e.tx.nonce) === e) {
      if (e.pending) demoteFrom(a, e.tx.nonce)
      a.txs.delete(e.tx.nonce)
    }
    if (all.get(e.hashHex) === e) {
      all.delete(e.hashHex)
      if (e.local) localCount--
      if (e.pending) {
        // only when it had no account (never happens) would it still be pending here
        pendingTotal--
      } else queuedTotal--
      slotsTotal -= e.slots
    }
    if (opts.mined === true) toLimbo(e)
    if (a !== undefined && a.txs.size === 0 && !a.local) {
      // With state the floor is read again on the next add, so empty accounts can go.
      if (a.floor === undefined || headState !== undefined) accounts.delete(e.senderHex)
    }
  }

  /** Raises (or, after a reorg, sets) an account's nonce floor, dropping what is below it. */
  const setFloor = (a: Account, floor: bigint, out: Entry[]) => {
    const before = pendingSet(a)
    a.floor = floor
    for (const [n, e] of [...a.txs]) if (n < floor) removeEntry(e, { mined: true })
    recompute(a, out, before)
  }

  // ------------------------------------------------------------------ pricing

  /**
   * Negative when `x` pays less than `y`: effective tip at the pending base fee, then fee cap,
   * then tip (go-ethereum's priced heap `cmp`).
   */
  const cmpFee = (x: Entry, y: Entry): number => {
    const bf = pendingBaseFee
    const ex = effectiveTipOf(x.tx, bf)
    const ey = effectiveTipOf(y.tx, bf)
    if (ex !== ey) return ex < ey ? -1 : 1
    const fx = feeCapOf(x.tx)
    const fy = feeCapOf(y.tx)
    if (fx !== fy) return fx < fy ? -1 : 1
    const tx = tipOf(x.tx)
    const ty = tipOf(y.tx)
    return tx === ty ? 0 : tx < ty ? -1 : 1
  }

  /** Eviction order: cheapest first; among equals queued before pending, then higher nonces. */
  const cmpPrice = (x: Entry, y: Entry): number => {
    const c = cmpFee(x, y)
    if (c !== 0) return c
    if (x.pending !== y.pending) return x.pending ? 1 : -1
    return x.tx.nonce > y.tx.nonce ? -1 : x.tx.nonce < y.tx.nonce ? 1 : 0
  }

  const remotesByPrice = (): Entry[] => {
    const out: Entry[] = []
    for (const e of all.values()) if (!e.local) out.push(e)
    return out.sort(cmpPrice)
  }

  // ------------------------------------------------------------------ limits

  /** The highest pending transaction of an account leaves the pool (truncatePending's `Cap`). */
  const dropHighestPending = (a: Account, dropped: Set<Entry>) => {
    const e = a.txs.get(a.next - 1n)
    if (e === undefined || !e.pending) return false
    removeEntry(e)
    dropped.add(e)
    return true
  }

  /**
   * go-ethereum's truncatePending: above `globalSlots` pending, evictions are spread over the
   * remote accounts holding more than `accountSlots`, the biggest first, equalizing them down
   * toward `accountSlots`.
   */
  const truncatePending = (dropped: Set<Entry>) => {
    if (pendingTotal <= globalSlots) return
    const spammers = [...accounts.values()]
      .filter((a) => !a.local && a.pendingCount > accountSlots)
      .sort((x, y) => y.pendingCount - x.pendingCount)
    const offenders: Account[] = []
    while (pendingTotal > globalSlots && spammers.length > 0) {
      const offender = spammers.shift() as Account
      offenders.push(offender)
      if (offenders.length > 1) {
        const threshold = offender.pendingCount
        while (
          pendingTotal > globalSlots &&
          (offenders[offenders.length - 2] as Account).pendingCount > threshold
        ) {
          let any = false
          for (let i = 0; i < offenders.length - 1; i++) {
            if (dropHighestPending(offenders[i] as Account, dropped)) any = true
          }
          if (!any) break
        }
      }
    }
    if (pendingTotal > globalSlots && offenders.length > 0) {
      while (
        pendingTotal > globalSlots &&
        (offenders[offenders.length - 1] as Account).pendingCount > accountSlots
      ) {
        let any = false
        for (const a of offenders) if (dropHighestPending(a, dropped)) any = true
        if (!any) break
      }
    }
  }

  /** go-ethereum's truncateQueue: above `globalQueue`, the stalest remote accounts lose queued txs first. */
  const truncateQueue = (dropped: Set<Entry>) => {
    if (queuedTotal <= globalQueue) return
    const byBeat = [...accounts.values()]
      .filter((a) => !a.local && a.txs.size > a.pendingCount)
      .sort((x, y) => x.beat - y.beat)
    for (const a of byBeat) {
      if (queuedTotal <= globalQueue) return
      const queued = [...a.txs.values()]
        .filter((e) => !e.pending)
        .sort((x, y) => (x.tx.nonce > y.tx.nonce ? -1 : 1))
      for (const e of queued) {
        if (queuedTotal <= globalQueue) return
        removeEntry(e)
        dropped.add(e)
      }
    }
  }

  /** Queued transactions beyond `accountQueue` (the highest nonces) leave. */
  const capAccountQueue = (a: Account, dropped: Set<Entry>) => {
    if (a.local) return
    let queued = a.txs.size - a.pendingCount
    if (queued <= accountQueue) return
    const list = [...a.txs.values()]
      .filter((e) => !e.pending)
      .sort((x, y) => (x.tx.nonce > y.tx.nonce ? -1 : 1))
    for (const e of list) {
      if (queued <= accountQueue) return
      removeEntry(e)
      dropped.add(e)
      queued--
    }
  }

  // ------------------------------------------------------------------ journal

  const journalLocals = (): Uint8Array[] => {
    const out: Uint8Array[] = []
    for (const a of accounts.values()) {
      for (const e of a.txs.values()) if (e.local) out.push(encodeForJournal(e.tx))
    }
    return out
  }

  const maybeRotate = async (): Promise<void> => {
    if (deps.journal === undefined) return
    // Counted, not encoded: encoding every local on each insert made adding n locals O(n²).
    if (journalEntries > localCount + journalRotateSlackEntries) {
      const locals = journalLocals()
      await deps.journal.rewrite(locals)
      journalEntries = locals.length
    }
  }

  // ------------------------------------------------------------------ validation

  /** Signature checks; throws ErrInvalidSignature. */
  const checkSignature = (tx: Transaction): void => {
    const bad = () =>
      new TxPoolError('ErrInvalidSignature', 'invalid sender: invalid transaction v, r, s values')
    if (tx.type !== 0 && tx.v !== 0n && tx.v !== 1n) throw bad()
    if (tx.type === 0 && tx.chainId === undefined && tx.v !== 27n && tx.v !== 28n) throw bad()
    if (!isValidSignatureValues(tx.r, tx.s, true)) throw bad()
  }

  /**
   * The senders of `txs[i]` for each `i` of `at`, recovered in one batch by the batch recoverer
   * (null where recovery failed); undefined without one, for fewer than two, or when it failed
   * (pool closed, a worker died): the caller recovers on this thread then.
   */
  const recoverInWorkers = async (
    txs: readonly Transaction[],
    at: readonly number[],
  ): Promise<Array<Uint8Array | null> | undefined> => {
    if (deps.batchRecoverer === undefined || at.length < 2) return undefined
    try {
      return await deps.batchRecoverer.recoverAddresses(
        at.map((i) => {
          const tx = txs[i] as Transaction
          return { hash: tx.sigHash(), r: tx.r, s: tx.s, recovery: tx.recovery }
        }),
      )
    } catch {
      return undefined
    }
  }

  /** Results of this pool's `recoverSenders`: the only ones `add` takes a sender from. */
  const recoveredHere = new WeakSet<RecoveredSender>()

  const recoverSender = (tx: Transaction): Uint8Array => {
    recoverer ??= loadRecoverer()
    try {
      return publicKeyToAddress(recoverer.recoverPublicKey(tx.sigHash(), tx.r, tx.s, tx.recovery))
    } catch (cause) {
      throw new TxPoolError('ErrInvalidSender', 'invalid sender: invalid signature', { cause })
    }
  }

  /** Checks without state (and the cheap sidecar checks). Throws TxPoolError. */
  const checkStateless = (tx: Transaction): void => {
    validateStateless(tx, rules)
    validateBlobSidecar(tx, {
      prague: rules.prague,
      osaka: rules.osaka,
      maxBlobsPerTx: options.maxBlobsPerTx ?? maxBlobsPerTx(rules),
    })
    checkSignature(tx)
  }

  /**
   * The KZG proofs of a blob transaction, unless a cheap check already refuses it: known, or (with
   * state) a spent nonce or a balance below its own cost. Those are left for `insert` to report.
   */
  const checkProofs = async (tx: Transaction, sender: Uint8Array): Promise<boolean> => {
    if (tx.type !== 3) return true
    if (all.has(hex(tx.hash))) return false
    const state = headState
    if (state !== undefined) {
      if (tx.nonce < (await state.getNonce(sender))) return false
      if ((await state.getBalance(sender)) < costOf(tx)) return false
    }
    verifier ??= createKzgVerifier()
    await verifyBlobSidecar(tx, verifier)
    return true
  }

  // ------------------------------------------------------------------ insertion

  const insert = async (
    p: Prepared,
    local: boolean,
    journal: boolean,
  ): Promise<PoolTransaction> => {
    if (stopped) throw new TxPoolError('ErrPoolStopped', 'the pool is stopped')
    const { tx, sender } = p
    const hashHex = hex(tx.hash)
    if (all.has(hashHex)) throw new TxPoolError('ErrAlreadyKnown', 'already known')
    const senderHex = hex(sender)
    const a = accountOf(sender, senderHex)
    const promoted: Entry[] = []
    const dropped = new Set<Entry>()
    try {
      const isLocal = local || a.local
      const state = headState
      if (state !== undefined) {
        const stateNonce = await state.getNonce(sender)
        if (a.floor === undefined || stateNonce > a.floor) setFloor(a, stateNonce, promoted)
        if (state.getCode !== undefined) {
          const code = await state.getCode(sender)
          if (code.length > 0 && !isDelegation(code)) {
            throw new TxPoolError(
              'ErrSenderNoEOA',
              `sender not an eoa: address ${senderHex}, len(code): ${code.length}`,
            )
          }
        }
      }
      if (a.floor !== undefined && tx.nonce < a.floor) {
        throw new TxPoolError(
          'ErrNonceTooLow',
          `nonce too low: next nonce ${a.floor}, tx nonce ${tx.nonce}`,
        )
      }
      const old = a.txs.get(tx.nonce)
      if (old !== undefined) {
        const mul = 100n + bump
        if (
          feeCapOf(tx) * 100n < feeCapOf(old.tx) * mul ||
          tipOf(tx) * 100n < tipOf(old.tx) * mul
        ) {
          throw new TxPoolError('ErrReplaceUnderpriced', 'replacement transaction underpriced')
        }
      }
      const cost = costOf(tx)
      if (state !== undefined) {
        const balance = await state.getBalance(sender)
        if (balance < cost) {
          throw new TxPoolError(
            'ErrInsufficientFunds',
            `insufficient funds for gas * price + value: balance ${balance}, tx cost ${cost}, overshot ${cost - balance}`,
          )
        }
        const spent = a.pendingCost
        if (old?.pending === true) {
          const bumped = cost - old.cost
          if (balance < spent + bumped) {
            throw new TxPoolError(
              'ErrInsufficientFunds',
              `insufficient funds for gas * price + value: balance ${balance}, queued cost ${spent}, tx bumped ${bumped}, overshot ${spent + bumped - balance}`,
            )
          }
        } else if (balance < spent + cost) {
          throw new TxPoolError(
            'ErrInsufficientFunds',
            `insufficient funds for gas * price + value: balance ${balance}, queued cost ${spent}, tx cost ${cost}, overshot ${spent + cost - balance}`,
          )
        }
      }
      if (tx.type === 3 && p.verified !== true) {
        // skipped before as hopeless, but the head moved meanwhile: verify now (rare)
        verifier ??= createKzgVerifier()
        await verifyBlobSidecar(tx, verifier)
      }
      const entry: Entry = {
        tx,
        hash: tx.hash,
        hashHex,
        sender,
        senderHex,
        local: isLocal,
        pending: false,
        addedAtMs: now(),
        cost,
        slots: Math.max(1, Math.ceil(networkSize(tx) / txSlotSizeBytes)),
      }
      // Will it be executable? (the run reaches it, or it replaces a pending one)
      const rebases = a.floor === undefined && (a.start === undefined || tx.nonce < a.start)
      const extendsRun =
        old?.pending === true ||
        ((rebases || tx.nonce === (a.start === undefined ? a.floor : a.next)) && executable(entry))
      if (!extendsRun && !isLocal && old === undefined) {
        const queued = a.txs.size - a.pendingCount
        if (queued >= accountQueue) {
          let highest = -1n
          for (const e of a.txs.values())
            if (!e.pending && e.tx.nonce > highest) highest = e.tx.nonce
          if (tx.nonce > highest) {
            throw new TxPoolError(
              'ErrAccountLimit',
              `account limit exceeded: pooled ${queued} queued txs`,
            )
          }
        }
      }
      // Room: above the pool's capacity in slots, the cheapest remotes make way.
      const need = entry.slots - (old?.slots ?? 0)
      const victims: Entry[] = []
      if (need > 0 && slotsTotal + need > capacitySlots) {
        const cheapest = remotesByPrice().filter((e) => e !== old)
        if (!isLocal) {
          const c = cheapest[0]
          if (c !== undefined && cmpFee(entry, c) <= 0) {
            throw new TxPoolError('ErrUnderpriced', 'transaction underpriced')
          }
        }
        let freed = 0
        for (const e of cheapest) {
          if (slotsTotal + need - freed <= capacitySlots) break
          victims.push(e)
          freed += e.slots
        }
        if (slotsTotal + need - freed > capacitySlots && !isLocal) {
          throw new TxPoolError('ErrTxPoolOverflow', 'txpool is full')
        }
        if (!extendsRun && !isLocal && victims.some((e) => e.pending)) {
          throw new TxPoolError(
            'ErrFutureReplacePending',
            'future transaction tries to replace pending',
          )
        }
      }
      for (const e of victims) {
        removeEntry(e)
        dropped.add(e)
      }
      if (local) a.local = true
      accounts.set(senderHex, a)
      if (old !== undefined && all.get(old.hashHex) === old) {
        // In place: the run around it stays as it is.
        const wasPending = old.pending
        if (wasPending) setPending(a, old, false)
        all.delete(old.hashHex)
        if (old.local) localCount--
        queuedTotal--
        slotsTotal -= old.slots
        dropped.add(old)
        a.txs.set(tx.nonce, entry)
        all.set(hashHex, entry)
        queuedTotal++
        slotsTotal += entry.slots
        if (wasPending && executable(entry)) {
          setPending(a, entry, true)
          promoted.push(entry)
        } else if (wasPending) demoteFrom(a, tx.nonce)
        else promote(a, promoted)
      } else {
        a.txs.set(tx.nonce, entry)
        all.set(hashHex, entry)
        queuedTotal++
        slotsTotal += entry.slots
        if (a.start === undefined || (a.floor === undefined && tx.nonce < a.start)) {
          recompute(a, promoted)
        } else promote(a, promoted)
      }
      if (entry.local) localCount++
      a.beat = now()
      capAccountQueue(a, dropped)
      truncatePending(dropped)
      truncateQueue(dropped)
      if (all.get(hashHex) !== entry) {
        throw new TxPoolError('ErrTxPoolOverflow', 'txpool is full')
      }
      if (journal && entry.local && deps.journal !== undefined) {
        p.journaled = deps.journal.append(encodeForJournal(tx))
        // a rejection is the caller's (it awaits p.journaled); not unhandled meanwhile
        p.journaled.catch(() => {})
        journalEntries++
        await maybeRotate()
      }
      return view(entry)
    } finally {
      if (a.txs.size === 0 && !a.local && (a.floor === undefined || headState !== undefined)) {
        accounts.delete(senderHex)
      }
      emit(promoted)
    }
  }

  const prepare = (tx: Transaction, sender?: Uint8Array): Prepared => {
    checkStateless(tx)
    return { tx, sender: sender ?? recoverSender(tx) }
  }

  const addOne = async (
    tx: Transaction,
    local: boolean,
    journal: boolean,
    sender?: Uint8Array,
  ): Promise<PoolTransaction> => {
    const p = prepare(tx, sender)
    p.verified = await checkProofs(tx, p.sender)
    const added = await serialize(() => insert(p, local, journal))
    // acknowledged once its journal line is written (outside the lock: writes are grouped)
    if (p.journaled !== undefined) await p.journaled
    return added
  }

  // ------------------------------------------------------------------ head changes

  /** Walks both branches to the common ancestor; the txs only the old branch had, or undefined. */
  const reorgLost = async (
    chain: PoolChain,
    oldHead: PoolHeader,
    newHead: PoolHeader,
  ): Promise<Transaction[] | undefined> => {
    const depth =
      oldHead.number > newHead.number
        ? oldHead.number - newHead.number
        : newHead.number - oldHead.number
    if (depth > maxReorgDepthBlocks) return undefined
    let rem: PoolBlock | undefined = await chain.getBlockByHash(oldHead.hash)
    let add: PoolBlock | undefined = await chain.getBlockByHash(newHead.hash)
    if (rem === undefined || add === undefined) return undefined
    const discarded: Transaction[] = []
    const included = new Set<string>()
    const parent = async (b: PoolBlock) => chain.getBlockByHash(b.header.parentHash)
    let steps = 0
    const maxSteps = Number(maxReorgDepthBlocks) * 4 + 8
    while (rem.header.number > add.header.number) {
      discarded.push(...rem.transactions)
      rem = await parent(rem)
      if (rem === undefined || ++steps > maxSteps) return undefined
    }
    while (add.header.number > rem.header.number) {
      for (const t of add.transactions) included.add(hex(t.hash))
      add = await parent(add)
      if (add === undefined || ++steps > maxSteps) return undefined
    }
    while (!sameBytes(rem.header.hash, add.header.hash)) {
      discarded.push(...rem.transactions)
      for (const t of add.transactions) included.add(hex(t.hash))
      rem = await parent(rem)
      add = await parent(add)
      if (rem === undefined || add === undefined || ++steps > maxSteps) return undefined
    }
    return discarded.filter((t) => !included.has(hex(t.hash)))
  }

  const resetTo = async (chain: PoolChain, target: PoolHeader): Promise<void> => {
    const oldHead = head
    let lost: Transaction[] = []
    if (oldHead !== undefined && !sameBytes(oldHead.parentHash, target.hash)) {
      if (!sameBytes(oldHead.hash, target.parentHash)) {
        lost = (await reorgLost(chain, oldHead, target)) ?? []
      }
    }
    const state = await chain.stateAt(target.stateRoot)
    head = target
    headState = state
    applyForks(target)
    const promoted: Entry[] = []
    const dropped = new Set<Entry>()
    for (const [addr, a] of [...accounts]) {
      const nonce = await state.getNonce(a.address)
      const balance = await state.getBalance(a.address)
      const before = pendingSet(a)
      // The state's nonce, also when a reorg lowered it: mined transactions leave.
      a.floor = nonce
      for (const [n, e] of [...a.txs]) {
        if (n < nonce) removeEntry(e, { mined: true })
        else if (e.cost > balance || e.tx.gasLimit > rules.blockGasLimit) {
          // now invalid: more than the balance, or more gas than a block has
          removeEntry(e)
          dropped.add(e)
        }
      }
      recompute(a, promoted, before)
      if (a.txs.size === 0 && !a.local) accounts.delete(addr)
    }
    truncatePending(dropped)
    truncateQueue(dropped)
    emit(promoted)
    // Take back what a reorg removed (blob txs only with the sidecar they had here).
    lost.sort((x, y) => (x.nonce < y.nonce ? -1 : x.nonce > y.nonce ? 1 : 0))
    for (let tx of lost) {
      const hashHex = hex(tx.hash)
      if (all.has(hashHex)) continue
      if (tx.type === 3 && tx.sidecar === undefined) {
        const kept = limbo.get(hashHex)
        if (kept === undefined) continue
        tx = kept.tx
      }
      try {
        const p = prepare(tx)
        p.verified = true // verified when it first came in
        const a = accounts.get(hex(p.sender))
        await insert(p, a?.local === true, false)
      } catch {
        // no longer valid on the new branch (spent nonce, no funds): as go-ethereum, dropped
      }
    }
  }

  const pool: TxPool = {
    async start() {
      stopped = false
      if (deps.chain !== undefined) {
        const chain = deps.chain
        await serialize(async () => {
          const h = chain.currentHeader()
          headState = await chain.stateAt(h.stateRoot)
          head = h
          applyForks(h)
        })
      }
      if (deps.journal === undefined) return
      const entries = await deps.journal.load()
      for (const raw of entries) {
        try {
          await addOne(decodeRawTransaction(raw), true, false)
        } catch {
          // stale (already included, replaced) or damaged entries are dropped at rotation
        }
      }
      const locals = journalLocals()
      await deps.journal.rewrite(locals)
      journalEntries = locals.length
    },
    async stop() {
      await serialize(async () => {
        if (stopped) return
        stopped = true
        if (deps.journal === undefined) return
        // Rotate: the journal keeps only the locals still in the pool.
        const locals = journalLocals()
        await deps.journal.rewrite(locals)
        journalEntries = locals.length
        await deps.journal.close()
      })
    },
    async addRaw(raw, opts = {}) {
      let tx: Transaction
      try {
        tx = decodeRawTransaction(raw)
      } catch (cause) {
        throw new TxPoolError(
          'ErrDecode',
          `transaction decode failed: ${(cause as Error).message}`,
          {
            cause,
          },
        )
      }
      return addOne(tx, opts.local === true, true)
    },
    async add(tx, opts = {}) {
      const r = opts.recovered
      const sender = r !== undefined && r.tx === tx && recoveredHere.has(r) ? r.sender : undefined
      return addOne(tx, opts.local === true, true, sender)
    },
    async addRemotes(txs) {
      const results: Array<PoolTransaction | TxPoolError> = new Array(txs.length)
      const ok: number[] = []
      for (let i = 0; i < txs.length; i++) {
        const tx = txs[i] as Transaction
        try {
          checkStateless(tx)
          ok.push(i)
        } catch (err) {
          results[i] = err as TxPoolError
        }
      }
      let senders = await recoverInWorkers(txs, ok)
      if (senders === undefined) {
        senders = ok.map((i) => {
          try {
            return recoverSender(txs[i] as Transaction)
          } catch {
            return null
          }
        })
      }
      for (let k = 0; k < ok.length; k++) {
        const i = ok[k] as number
        const tx = txs[i] as Transaction
        const sender = senders[k]
        if (sender === null || sender === undefined) {
          results[i] = new TxPoolError('ErrInvalidSender', 'invalid sender: invalid signature')
          continue
        }
        try {
          const verified = await checkProofs(tx, sender)
          results[i] = await serialize(() => insert({ tx, sender, verified }, false, false))
        } catch (err) {
          results[i] = err as TxPoolError
        }
      }
      return results
    },
    async recoverSenders(txs) {
      const out: Array<RecoveredSender | undefined> = new Array(txs.length).fill(undefined)
      if (deps.batchRecoverer === undefined || txs.length < 2) return out
      const todo: number[] = []
      for (let i = 0; i < txs.length; i++) {
        try {
          checkStateless(txs[i] as Transaction)
          todo.push(i)
        } catch {
          // the add reports it
        }
      }
      const senders = await recoverInWorkers(txs, todo)
      if (senders === undefined) return out // each add recovers its own
      for (let k = 0; k < todo.length; k++) {
        const sender = senders[k]
        if (sender === null || sender === undefined) continue
        const i = todo[k] as number
        const r: RecoveredSender = Object.freeze({ tx: txs[i] as Transaction, sender })
        recoveredHere.add(r)
        out[i] = r
      }
      return out
    },
    get(hash) {
      const e = all.get(normHash(hash))
      return e === undefined ? undefined : view(e)
    },
    has(hash) {
      return all.has(normHash(hash))
    },
    pending() {
      const out = new Map<string, PoolTransaction[]>()
      for (const [addr, a] of accounts) {
        if (a.pendingCount === 0 || a.start === undefined) continue
        const list: PoolTransaction[] = []
        for (let n = a.start; n < a.next; n++) {
          const e = a.txs.get(n)
          if (e !== undefined) list.push(view(e))
        }
        out.set(addr, list)
      }
      return out
    },
    pendingList() {
      return [...pool.pending().values()].flat()
    },
    content() {
      const c: TxPoolContent = { pending: {}, queued: {} }
      for (const [addr, a] of accounts) {
        for (const [n, e] of a.txs) {
          const side = e.pending ? c.pending : c.queued
          side[addr] ??= {}
          ;(side[addr] as Record<string, Transaction>)[n.toString()] = e.tx
        }
      }
      return c
    },
    status() {
      return { pending: pendingTotal, queued: queuedTotal }
    },
    get size() {
      return all.size
    },
    get head() {
      return head
    },
    reset(newHead) {
      const chain = deps.chain
      if (chain === undefined) return Promise.resolve()
      const target = newHead ?? chain.currentHeader()
      wantedHead = target
      return serialize(async () => {
        // A newer head was asked for meanwhile: that call moves the pool, this one is moot.
        if (wantedHead !== target) return
        if (head !== undefined && sameBytes(head.hash, target.hash)) return
        await resetTo(chain, target)
      })
    },
    removeIncluded(txs, opts = {}) {
      return serialize(async () => {
        if (accounts.size === 0) return
        const next = new Map<string, bigint>()
        for (let i = 0; i < txs.length; i++) {
          const tx = txs[i] as Transaction
          const e = all.get(hex(tx.hash))
          const given = opts.senders?.[i]
          let senderHex = e?.senderHex ?? (given === undefined ? undefined : hex(given))
          if (senderHex === undefined) {
            // Not ours: still advances the sender's nonce if we hold txs of that sender.
            try {
              checkSignature(tx)
              senderHex = hex(recoverSender(tx))
            } catch {
              continue
            }
          }
          const n = tx.nonce + 1n
          if ((next.get(senderHex) ?? 0n) < n) next.set(senderHex, n)
        }
        const promoted: Entry[] = []
        for (const [senderHex, n] of next) {
          const a = accounts.get(senderHex)
          if (a === undefined) continue
          let floor = n
          if (headState !== undefined) {
            const sn = await headState.getNonce(a.address)
            if (sn > floor) floor = sn
          }
          if (a.floor === undefined || floor > a.floor) setFloor(a, floor, promoted)
          if (a.txs.size === 0 && !a.local) accounts.delete(senderHex)
        }
        await maybeRotate()
        emit(promoted)
      })
    },
    onPending(listener) {
      listeners.add(listener)
      return () => {
        listeners.delete(listener)
      }
    },
  }
  return pool
}
