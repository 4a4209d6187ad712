import {
  isValidSignatureValues,
  loadRecoverer,
  publicKeyToAddress,
  type Recoverer,
} from '@ethwire/crypto'
import { Transaction } from '@ethwire/rlp-wire'
import {
  defaultAccountSlots,
  defaultBlockGasLimit,
  defaultGlobalSlots,
  defaultMinGasPriceWei,
  defaultPriceBumpPercent,
  journalRotateSlackEntries,
} from './constants.js'
import { TxPoolError } from './errors.js'
import type { BatchRecoverer, JournalStore, StateReader } from './types.js'
import { costOf, feeCapOf, type StatelessRules, tipOf, validateStateless } from './validate.js'

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
  /** True when executable now (no nonce gap); false when queued. */
  readonly pending: boolean
  /** When it entered the pool (ms, from the injected clock). */
  readonly addedAtMs: number
}

export interface TxPoolDeps {
  /** Account nonces and balances; without it nonces are ordered per sender from the lowest seen. */
  state?: StateReader
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
  blockGasLimit?: bigint
  /** Minimum gas price (legacy) / priority fee (typed) in wei. Default 1. */
  minGasPrice?: bigint
  /** Replacement fee bump in percent. Default 10. */
  priceBumpPercent?: number
  /** Most transactions in the pool. Default 6144. */
  globalSlots?: number
  /** Most transactions per sender. Default 80. */
  accountSlots?: number
  /** Accepted transaction types. Default all: 0, 1, 2, 3, 4. */
  types?: number[]
  /** Accept legacy transactions without EIP-155. Default true. */
  allowUnprotected?: boolean
  /** Apply the EIP-7623 calldata gas floor. Default true. */
  eip7623?: boolean
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
  /** Loads the journal (re-adding local transactions) and rewrites it. */
  start(): Promise<void>
  /** Stops accepting transactions, rotates the journal (only live locals remain) and closes it. */
  stop(): Promise<void>
  /** Decodes (binary form) and adds a transaction. Throws {@link TxPoolError}. */
  addRaw(raw: Uint8Array, opts?: { local?: boolean }): Promise<PoolTransaction>
  /** Adds a decoded transaction. Throws {@link TxPoolError}. */
  add(tx: Transaction, opts?: { local?: boolean }): Promise<PoolTransaction>
  /** Adds transactions from the network; senders recovered in one batch. One result per input. */
  addRemotes(txs: readonly Transaction[]): Promise<Array<PoolTransaction | TxPoolError>>
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
  /**
   * Drops transactions included in a block and everything of the same senders with a lower or
   * equal nonce; the next nonce of each sender becomes the floor (or the state's nonce).
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
}

interface Account {
  txs: Map<bigint, Entry>
  /** Nonces below are stale (state nonce or the next nonce after an included tx). */
  floor: bigint | undefined
  local: boolean
}

const hex = (b: Uint8Array) =>
  `0x${Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex')}`
const normHash = (h: Uint8Array | string) => (typeof h === 'string' ? h.toLowerCase() : hex(h))

/** Creates a transaction pool. Call `start()` to load the journal. */
export function createTxPool(deps: TxPoolDeps, options: TxPoolOptions): TxPool {
  const now = deps.now ?? Date.now
  const rules: StatelessRules = {
    chainId: options.chainId,
    blockGasLimit: options.blockGasLimit ?? defaultBlockGasLimit,
    minGasPrice: options.minGasPrice ?? defaultMinGasPriceWei,
    types: new Set(options.types ?? [0, 1, 2, 3, 4]),
    allowUnprotected: options.allowUnprotected ?? true,
    eip7623: options.eip7623 ?? true,
  }
  const bump = BigInt(options.priceBumpPercent ?? defaultPriceBumpPercent)
  const globalSlots = options.globalSlots ?? defaultGlobalSlots
  const accountSlots = options.accountSlots ?? defaultAccountSlots
  let recoverer = deps.recoverer
  const all = new Map<string, Entry>()
  const accounts = new Map<string, Account>()
  const listeners = new Set<(txs: PoolTransaction[]) => void>()
  let stopped = false
  let journalEntries = 0
  /** Local transactions in `all` (kept so a journal rotation check costs nothing per insert). */
  let localCount = 0
  let lock: Promise<unknown> = Promise.resolve()

  const serialize = <T>(fn: () => Promise<T>): Promise<T> => {
    const p = lock.then(fn, fn)
    lock = p.catch(() => {})
    return p
  }

  const view = (e: Entry): PoolTransaction => e

  const emit = (es: Entry[]) => {
    if (es.length === 0) return
    const list = es.map(view)
    for (const l of listeners) l(list)
  }

  /** Signature checks and recovery; throws ErrInvalidSignature/ErrInvalidSender. */
  const checkSignature = (tx: Transaction): void => {
    if (tx.type !== 0 && tx.v !== 0n && tx.v !== 1n) {
      throw new TxPoolError('ErrInvalidSignature', `y parity ${tx.v}`)
    }
    if (tx.type === 0 && tx.chainId === undefined && tx.v !== 27n && tx.v !== 28n) {
      throw new TxPoolError('ErrInvalidSignature', `legacy v ${tx.v}`)
    }
    if (!isValidSignatureValues(tx.r, tx.s, true)) {
      throw new TxPoolError('ErrInvalidSignature', 'r or s out of range, or s above n/2')
    }
  }

  const recoverSender = (tx: Transaction): Uint8Array => {
    recoverer ??= loadRecoverer()
    try {
      return publicKeyToAddress(recoverer.recoverPublicKey(tx.sigHash(), tx.r, tx.s, tx.recovery))
    } catch (cause) {
      throw new TxPoolError('ErrInvalidSender', 'no sender recovers from the signature', { cause })
    }
  }

  const accountOf = (senderHex: string): Account => {
    let a = accounts.get(senderHex)
    if (a === undefined) {
      a = { txs: new Map(), floor: undefined, local: false }
      accounts.set(senderHex, a)
    }
    return a
  }

  /** Recomputes which of an account's txs are pending; returns the newly pending ones. */
  const reorg = (a: Account): Entry[] => {
    const nonces = [...a.txs.keys()].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0))
    let next = a.floor ?? nonces[0] ?? 0n
    const promoted: Entry[] = []
    for (const n of nonces) {
      const e = a.txs.get(n) as Entry
      const pending = n === next
      if (pending) next++
      if (pending && !e.pending) promoted.push(e)
      e.pending = pending
    }
    return promoted
  }

  const removeEntry = (e: Entry): void => {
    if (all.delete(e.hashHex) && e.local) localCount--
    const a = accounts.get(e.senderHex)
    if (a === undefined) return
    if (a.txs.get(e.tx.nonce) === e) a.txs.delete(e.tx.nonce)
    // With a state reader the floor is read again on the next add, so empty accounts can go.
    if (a.txs.size === 0 && !a.local && (a.floor === undefined || deps.state !== undefined)) {
      accounts.delete(e.senderHex)
    }
  }

  /** The cheapest remote tx (lowest fee cap, then tip; the highest nonce of a sender first). */
  const cheapestRemote = (): Entry | undefined => {
    let best: Entry | undefined
    for (const e of all.values()) {
      if (e.local) continue
      if (best === undefined) {
        best = e
        continue
      }
      const fc = feeCapOf(e.tx)
      const bfc = feeCapOf(best.tx)
      if (
        fc < bfc ||
        (fc === bfc && (tipOf(e.tx) < tipOf(best.tx) || (!e.pending && best.pending)))
      ) {
        best = e
      }
    }
    return best
  }

  const journalLocals = (): Uint8Array[] => {
    const out: Uint8Array[] = []
    for (const a of accounts.values()) {
      for (const e of a.txs.values()) if (e.local) out.push(e.tx.encode())
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

  const insert = async (
    tx: Transaction,
    sender: Uint8Array,
    local: boolean,
    journal: boolean,
  ): Promise<PoolTransaction> => {
    if (stopped) throw new TxPoolError('ErrPoolStopped', 'the pool is stopped')
    const hashHex = hex(tx.hash)
    if (all.has(hashHex)) throw new TxPoolError('ErrAlreadyKnown', `transaction ${hashHex}`)
    const senderHex = hex(sender)
    const a = accountOf(senderHex)
    const isLocal = local || a.local
    if (deps.state !== undefined) {
      const stateNonce = await deps.state.getNonce(sender)
      if (a.floor === undefined || stateNonce > a.floor) {
        a.floor = stateNonce
        for (const [n, e] of a.txs) if (n < stateNonce) removeEntry(e)
      }
    }
    if (a.floor !== undefined && tx.nonce < a.floor) {
      throw new TxPoolError('ErrNonceTooLow', `nonce ${tx.nonce} < account nonce ${a.floor}`)
    }
    const old = a.txs.get(tx.nonce)
    if (old !== undefined) {
      const mul = 100n + bump
      if (feeCapOf(tx) * 100n < feeCapOf(old.tx) * mul || tipOf(tx) * 100n < tipOf(old.tx) * mul) {
        throw new TxPoolError(
          'ErrReplaceUnderpriced',
          `replacing ${old.hashHex} needs fee cap and tip raised by ${bump}%`,
        )
      }
    }
    if (deps.state !== undefined) {
      const balance = await deps.state.getBalance(sender)
      let cost = costOf(tx)
      for (const [n, e] of a.txs) if (n < tx.nonce) cost += costOf(e.tx)
      if (balance < cost) {
        throw new TxPoolError('ErrInsufficientFunds', `balance ${balance} < cost ${cost}`)
      }
    }
    const evict: Entry[] = []
    if (old === undefined && !isLocal && a.txs.size >= accountSlots) {
      // Full sender: a lower nonce may take the place of the highest one; a higher nonce may not.
      let highest: Entry | undefined
      for (const e of a.txs.values())
        if (highest === undefined || e.tx.nonce > highest.tx.nonce) highest = e
      if (highest === undefined || highest.tx.nonce < tx.nonce) {
        throw new TxPoolError(
          'ErrAccountLimit',
          `sender ${senderHex} has ${a.txs.size} transactions`,
        )
      }
      evict.push(highest)
    }
    if (old === undefined && evict.length === 0 && all.size >= globalSlots) {
      const cheapest = cheapestRemote()
      if (!isLocal) {
        if (
          cheapest === undefined ||
          feeCapOf(tx) < feeCapOf(cheapest.tx) ||
          (feeCapOf(tx) === feeCapOf(cheapest.tx) && tipOf(tx) <= tipOf(cheapest.tx))
        ) {
          throw new TxPoolError(
            'ErrTxPoolOverflow',
            'pool is full and the transaction is not cheaper',
          )
        }
      }
      if (cheapest !== undefined) evict.push(cheapest)
    }
    const touched = new Set<Account>([a])
    for (const e of evict) {
      removeEntry(e)
      const ea = accounts.get(e.senderHex)
      if (ea !== undefined) touched.add(ea)
    }
    if (old !== undefined) removeEntry(old)
    const entry: Entry = {
      tx,
      hash: tx.hash,
      hashHex,
      sender,
      senderHex,
      local: isLocal,
      pending: false,
      addedAtMs: now(),
    }
    if (local) a.local = true
    accounts.set(senderHex, a)
    a.txs.set(tx.nonce, entry)
    all.set(hashHex, entry)
    if (entry.local) localCount++
    const promoted: Entry[] = []
    for (const t of touched) promoted.push(...reorg(t))
    if (journal && isLocal && deps.journal !== undefined) {
      await deps.journal.append(tx.encode())
      journalEntries++
      await maybeRotate()
    }
    emit(promoted)
    return view(entry)
  }

  const addOne = (tx: Transaction, local: boolean, journal: boolean): Promise<PoolTransaction> => {
    validateStateless(tx, rules)
    checkSignature(tx)
    const sender = recoverSender(tx)
    return serialize(() => insert(tx, sender, local, journal))
  }

  const pool: TxPool = {
    async start() {
      stopped = false
      if (deps.journal === undefined) return
      const entries = await deps.journal.load()
      for (const raw of entries) {
        try {
          await addOne(Transaction.decode(raw), true, false)
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
        tx = Transaction.decode(raw)
      } catch (cause) {
        throw new TxPoolError('ErrDecode', 'not a transaction', { cause })
      }
      return addOne(tx, opts.local === true, true)
    },
    async add(tx, opts = {}) {
      return addOne(tx, opts.local === true, true)
    },
    async addRemotes(txs) {
      const results: Array<PoolTransaction | TxPoolError> = new Array(txs.length)
      const ok: number[] = []
      for (let i = 0; i < txs.length; i++) {
        const tx = txs[i] as Transaction
        try {
          validateStateless(tx, rules)
          checkSignature(tx)
          ok.push(i)
        } catch (err) {
          results[i] = err as TxPoolError
        }
      }
      let senders: Array<Uint8Array | null> | undefined
      if (deps.batchRecoverer !== undefined && ok.length > 1) {
        try {
          senders = await deps.batchRecoverer.recoverAddresses(
            ok.map((i) => {
              const tx = txs[i] as Transaction
              return { hash: tx.sigHash(), r: tx.r, s: tx.s, recovery: tx.recovery }
            }),
          )
        } catch {
          senders = undefined // pool closed or a worker died: recover here instead
        }
      }
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
        const sender = senders[k]
        if (sender === null || sender === undefined) {
          results[i] = new TxPoolError('ErrInvalidSender', 'no sender recovers from the signature')
          continue
        }
        try {
          results[i] = await serialize(() => insert(txs[i] as Transaction, sender, false, false))
        } catch (err) {
          results[i] = err as TxPoolError
        }
      }
      return results
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
        const list = [...a.txs.values()].filter((e) => e.pending)
        if (list.length === 0) continue
        list.sort((x, y) => (x.tx.nonce < y.tx.nonce ? -1 : 1))
        out.set(addr, list.map(view))
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
      let pending = 0
      for (const e of all.values()) if (e.pending) pending++
      return { pending, queued: all.size - pending }
    },
    get size() {
      return all.size
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
          if (deps.state !== undefined) {
            const sn = await deps.state.getNonce(Buffer.from(senderHex.slice(2), 'hex'))
            if (sn > floor) floor = sn
          }
          if (a.floor === undefined || floor > a.floor) a.floor = floor
          for (const [nonce, e] of a.txs) if (nonce < a.floor) removeEntry(e)
          promoted.push(...reorg(a))
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
