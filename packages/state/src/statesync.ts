/**
 * The trie-sync scheduler in the shape a downloader drives without knowing peers' requests:
 * `missing(max)` → hashes, `deliver(peerId, requested, nodes)` → a verdict, `release(hashes)`,
 * `done()`, `progress()`, `close()` — and it stores what completes through the caller's writer
 * (the state package still opens nothing: `write` is the caller's batch). This is the shape
 * `@ethwire/downloader` declares as its `StateSync` (structurally; neither imports the other).
 */
import { maxStateWritesBehind } from './constants.js'
import { isStateError } from './errors.js'
import { Sync, type TrieSyncOptions, type TrieSyncProgress } from './sync.js'
import type { BatchOp, Hasher, KeyValueReader } from './types.js'

export interface StateSyncComponents {
  /** The store being filled. */
  db: KeyValueReader
  /** Writes ops to that store (e.g. `(ops) => level.batch(ops)`); awaited before going on. */
  write(ops: BatchOp[]): Promise<void>
  hasher?: Hasher
}

/** What one delivery did; `rejected` set when the answer was refused (drop the peer). */
export interface StateSyncDelivery {
  accepted: number
  duplicates: number
  rejected?: { code: string; message: string }
}

export interface StateSync {
  readonly root: Uint8Array
  /** Up to `max` missing hashes (nodes or code), deepest first, each handed out once. */
  missing(max: number): Uint8Array[]
  /**
   * A peer's answer to `requested` (hashes from `missing`): any subset, any order. If a node hashes
   * to none of them the answer is refused whole (`rejected`; the hashes go out again). Otherwise
   * the nodes are taken, what completes is written, and hashes left out go out again. Rejects only
   * when writing fails.
   */
  deliver(peerId: string, requested: Uint8Array[], nodes: Uint8Array[]): Promise<StateSyncDelivery>
  /** Hashes handed out whose request expired or failed: hand them out again. */
  release(hashes: Uint8Array[]): void
  /** True once the state at `root` is complete and written. */
  done(): boolean
  progress(): TrieSyncProgress
  /** Waits for writes in progress and writes what has completed (a newer root reuses it). */
  close(): Promise<void>
}

class StoringSync implements StateSync {
  readonly root: Uint8Array
  readonly #sync: Sync
  readonly #write: (ops: BatchOp[]) => Promise<void>
  /** Deliveries, one at a time. */
  #chain: Promise<unknown> = Promise.resolve()
  /** Writes, one after another in the order taken (never rejects: a failure is kept). */
  #writes: Promise<void> = Promise.resolve()
  #writing = 0
  #failure: { err: unknown } | undefined = undefined

  constructor(root: Uint8Array, c: StateSyncComponents, options: TrieSyncOptions) {
    this.#sync = new Sync(root, { db: c.db, hasher: c.hasher }, options)
    this.root = this.#sync.root
    this.#write = c.write
    // the root is queued at once; if the store already has it, the sync is done when that is known
    void this.#sync.startUnchecked().catch(() => undefined)
  }

  missing(max: number): Uint8Array[] {
    const req = this.#sync.request('', max)
    return req === undefined ? [] : [...req.hashes]
  }

  deliver(
    peerId: string,
    requested: Uint8Array[],
    nodes: Uint8Array[],
  ): Promise<StateSyncDelivery> {
    const run = this.#chain.then(async () => {
      if (this.#failure !== undefined) throw this.#failure.err
      const sync = this.#sync
      const open = requested.length > 0 ? sync.requestOf(requested[0]!) : undefined
      const req = open ?? { id: -1, peer: peerId, hashes: requested }
      let r: Awaited<ReturnType<Sync['deliver']>>
      try {
        r = await sync.deliver({ ...req, peer: peerId }, nodes)
      } catch (err) {
        if (isStateError(err, 'ErrNotRequested')) {
          return { accepted: 0, duplicates: 0, rejected: { code: err.code, message: err.message } }
        }
        throw err
      }
      // The batch is written behind the next deliveries (they count its nodes as stored); at most
      // `maxStateWritesBehind` batches wait, and the delivery that completes the state waits for
      // every write, so done() is true when it returns.
      if (this.#writing >= maxStateWritesBehind) await this.#settle()
      this.#startWrite()
      if (sync.done()) await this.#settle()
      return { accepted: r.accepted, duplicates: r.duplicates }
    })
    this.#chain = run.catch(() => undefined)
    return run
  }

  release(hashes: Uint8Array[]): void {
    this.#sync.release(hashes)
  }

  done(): boolean {
    return this.#sync.done() && this.#writing === 0 && this.#failure === undefined
  }

  progress(): TrieSyncProgress {
    return { ...this.#sync.progress(), done: this.done() }
  }

  async close(): Promise<void> {
    const run = this.#chain.then(() => {
      this.#startWrite()
      return this.#settle()
    })
    this.#chain = run.catch(() => undefined)
    await run
  }

  /** Takes what has completed and queues its write behind the writes before it. */
  #startWrite(): void {
    if (this.#failure !== undefined) return
    const { ops, keys } = this.#sync.takeBatch()
    if (ops.length === 0) return
    this.#writing++
    this.#writes = this.#writes.then(async () => {
      try {
        // after a failed write nothing later is written: parents must not land without children
        if (this.#failure === undefined) {
          await this.#write(ops)
          this.#sync.landed(keys)
        }
      } catch (err) {
        this.#failure ??= { err }
      } finally {
        this.#writing--
      }
    })
  }

  /** Waits for every write queued; rejects with the first write failure. */
  async #settle(): Promise<void> {
    await this.#writes
    if (this.#failure !== undefined) throw this.#failure.err
  }
}

/**
 * A trie-sync scheduler for `root` that writes completed subtrees through `write` (children
 * first, so a crash leaves only complete subtrees; a restart over the same store resumes).
 * Created synchronously: the store is checked for the root in the background.
 */
export function createStateSync(
  root: Uint8Array,
  components: StateSyncComponents,
  options: TrieSyncOptions = {},
): StateSync {
  return new StoringSync(root, components, options)
}
