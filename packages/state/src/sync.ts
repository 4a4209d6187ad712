/**
 * Trie sync (fast sync's state download), after go-ethereum v1.8 `trie/sync.go` and
 * `core/state/sync.go`: start at a state root, hand out the hashes of missing trie nodes and code
 * for peers to fetch (GetNodeData), verify each delivered item by its hash, decode it and schedule
 * its children, and commit a node only once every child below it is stored — bottom up, so the
 * store never holds a node whose subtree is incomplete. That is what makes a restart cheap: a new
 * scheduler over the same store skips every stored node (its whole subtree is there too).
 *
 * Account leaves add their storage trie and their code as children of the node that holds them.
 * Requests are handed out deepest first (depth-first), which keeps the set of nodes waiting for
 * their children small; in-flight requests are capped.
 */
import { keccak256 } from '@ethwire/rlp-wire'
import { EMPTY_ROOT, equalBytes } from './account.js'
import { keyOf, toHex } from './cache.js'
import { defaultSyncBatchItems, defaultSyncMaxInFlight } from './constants.js'
import { StateError } from './errors.js'
import { scanChildren } from './scan.js'
import { codeKey } from './store.js'
import type {
  BatchOp,
  DeliverResult,
  Hasher,
  KeyValueReader,
  TrieSync,
  TrieSyncOptions,
  TrieSyncProgress,
  TrieSyncRequest,
} from './types.js'

export type { DeliverResult, TrieSync, TrieSyncOptions, TrieSyncProgress, TrieSyncRequest }

type Kind = 'account' | 'storage' | 'code'

class Task {
  /** Delivered bytes, held until every child is stored. */
  data: Uint8Array | undefined = undefined
  /** Children not yet stored. */
  deps = 0
  readonly parents: Task[] = []
  /** Peers that answered a request for it without it (they are not asked again). */
  attempts: Set<string> | undefined = undefined
  inFlight = false
  /** In the queue (entries of tasks taken since are skipped when popped). */
  queued = false
  constructor(
    readonly key: string,
    readonly hash: Uint8Array,
    readonly kind: Kind,
    readonly depth: number,
  ) {}
}

export interface TrieSyncComponents {
  /** The store being filled (checked for nodes and code already there). */
  db: KeyValueReader
  hasher?: Hasher
}

const storageDepth = 64

export class Sync implements TrieSync {
  readonly root: Uint8Array
  readonly #db: KeyValueReader
  readonly #hash: Hasher
  readonly #maxInFlight: number
  readonly #tasks = new Map<string, Task>()
  /** Queue by depth: deepest first (depth-first), LIFO within a depth. */
  readonly #queue: Task[][] = []
  #queued = 0
  #top = -1
  #inFlight = 0
  /** Completed and not yet returned by `commit()` / `takeBatch()`. */
  #membatch: Task[] = []
  /** Keys of `#membatch`. */
  #pending = new Set<string>()
  /**
   * Keys of batches handed out and not yet known to be in the store, oldest first: they count as
   * stored (a child found here is not fetched again) until `landed()` is called for them.
   */
  #unwritten: Set<string>[] = []
  /** What the last `commit()` returned: written by the time of the next call. */
  #lastCommit: Set<string> | undefined = undefined
  #nextId = 1
  readonly #requests = new Map<number, TrieSyncRequest & { keys: Set<string> }>()
  readonly #requestOf = new Map<string, number>()
  #rootComplete = false
  #waiting = 0
  #lock: Promise<unknown> = Promise.resolve()
  #pulled = 0
  #committed = 0
  #duplicates = 0
  #bytes = 0

  constructor(root: Uint8Array, components: TrieSyncComponents, options: TrieSyncOptions) {
    this.root = root.slice()
    this.#db = components.db
    this.#hash = components.hasher ?? keccak256
    this.#maxInFlight = options.maxInFlight ?? defaultSyncMaxInFlight
  }

  async init(): Promise<void> {
    if (equalBytes(this.root, EMPTY_ROOT)) {
      this.#rootComplete = true
      return
    }
    const [stored] = await this.#stored([{ hash: this.root, code: false }])
    if (stored) this.#rootComplete = true
    else this.#schedule(new Task(keyOf(this.root), this.root, 'account', 0))
  }

  /**
   * Starts without waiting for the store: the root is queued at once, and if the store turns out
   * to hold it already, the sync is done (what was handed out is dropped).
   */
  startUnchecked(): Promise<void> {
    if (equalBytes(this.root, EMPTY_ROOT)) {
      this.#rootComplete = true
      return Promise.resolve()
    }
    this.#schedule(new Task(keyOf(this.root), this.root, 'account', 0))
    const check = this.#lock.then(async () => {
      const [stored] = await this.#stored([{ hash: this.root, code: false }])
      if (stored && !this.#rootComplete) {
        this.#rootComplete = true
        this.#tasks.clear()
        this.#queue.length = 0
        this.#queued = 0
        this.#top = -1
        this.#inFlight = 0
        this.#waiting = 0
        this.#requests.clear()
        this.#requestOf.clear()
      }
    })
    this.#lock = check.catch(() => undefined)
    return check
  }

  done(): boolean {
    return this.#rootComplete && this.#membatch.length === 0
  }

  request(peer: string, max = defaultSyncBatchItems): TrieSyncRequest | undefined {
    const room = Math.min(max, this.#maxInFlight - this.#inFlight)
    if (room <= 0 || this.#queued === 0) return undefined
    const picked: Task[] = []
    const skipped: Task[] = []
    while (picked.length < room) {
      const t = this.#pop()
      if (t === undefined) break
      if (t.attempts?.has(peer)) skipped.push(t)
      else picked.push(t)
    }
    // A hash this peer answered empty goes to other peers first; but when nothing at all is in
    // flight, waiting would stall the sync for good, so it is given to this peer again.
    if (picked.length === 0 && this.#inFlight === 0) {
      for (const t of skipped.splice(0, room)) {
        t.attempts?.delete(peer)
        picked.push(t)
      }
    }
    for (let i = skipped.length - 1; i >= 0; i--) this.#push(skipped[i]!)
    if (picked.length === 0) return undefined
    const keys = new Set<string>()
    for (const t of picked) {
      t.inFlight = true
      keys.add(t.key)
    }
    this.#inFlight += picked.length
    const id = this.#nextId++
    const req = { id, peer, hashes: picked.map((t) => t.hash) }
    this.#requests.set(id, { ...req, keys })
    for (const k of keys) this.#requestOf.set(k, id)
    return req
  }

  expire(req: TrieSyncRequest): void {
    const open = this.#close(req.id)
    if (open !== undefined) this.#requeue(open.keys, req.peer, false)
  }

  release(hashes: readonly Uint8Array[]): void {
    for (const h of hashes) {
      const k = keyOf(h)
      const id = this.#requestOf.get(k)
      if (id === undefined) continue
      this.#requestOf.delete(k)
      const open = this.#requests.get(id)
      open?.keys.delete(k)
      if (open !== undefined && open.keys.size === 0) this.#requests.delete(id)
      this.#requeue([k], open?.peer ?? '', false)
    }
  }

  requestOf(hash: Uint8Array): TrieSyncRequest | undefined {
    const id = this.#requestOf.get(keyOf(hash))
    const open = id === undefined ? undefined : this.#requests.get(id)
    return open === undefined ? undefined : { id: open.id, peer: open.peer, hashes: open.hashes }
  }

  /** Takes a request out of the open set; its keys no longer point at it. */
  #close(id: number): (TrieSyncRequest & { keys: Set<string> }) | undefined {
    const open = this.#requests.get(id)
    if (open === undefined) return undefined
    this.#requests.delete(id)
    for (const k of open.keys) if (this.#requestOf.get(k) === id) this.#requestOf.delete(k)
    return open
  }

  deliver(req: TrieSyncRequest, items: readonly Uint8Array[]): Promise<DeliverResult> {
    // one delivery at a time: each checks the store and then schedules on what it found
    const run = this.#lock.then(() => this.#deliver(req, items))
    this.#lock = run.catch(() => undefined)
    return run
  }

  async #deliver(req: TrieSyncRequest, items: readonly Uint8Array[]): Promise<DeliverResult> {
    // A late answer to an expired request is still checked against what that request asked.
    const open = this.#close(req.id)
    const asked = new Set(req.hashes.map(keyOf))
    const keys: string[] = new Array(items.length)
    for (let i = 0; i < items.length; i++) {
      const h = this.#hash(items[i]!)
      const k = keyOf(h)
      if (!asked.has(k)) {
        // refused whole: the asked hashes go out again (to other peers: the caller drops this one)
        if (open !== undefined) this.#requeue(open.keys, req.peer, false)
        throw new StateError(
          'ErrNotRequested',
          `peer ${req.peer} sent an item hashing to ${toHex(h)}, which it was not asked for`,
          { hash: h },
        )
      }
      keys[i] = k
    }
    const remaining = new Set(open?.keys ?? [])
    const seen = new Set<string>()
    const accepted: { task: Task; children: Child[] }[] = []
    let duplicates = 0
    let failure: unknown
    for (let i = 0; i < items.length; i++) {
      const item = items[i]!
      const k = keys[i]!
      remaining.delete(k)
      if (seen.has(k)) {
        duplicates++ // the same item twice in one response
        continue
      }
      seen.add(k)
      const task = this.#tasks.get(k)
      if (task === undefined || task.data !== undefined) {
        duplicates++ // delivered before (through another request), or already complete
        continue
      }
      try {
        const children = task.kind === 'code' ? [] : this.#children(task, item)
        this.#landed(task)
        if (task.queued) {
          task.queued = false
          this.#queued--
        }
        task.data = item
        this.#waiting++
        this.#pulled++
        this.#bytes += item.length
        accepted.push({ task, children })
      } catch (err) {
        // It hashes to what was asked, so it is the real node: an undecodable one is a bad state.
        failure ??= err
      }
    }
    this.#duplicates += duplicates
    // what the peer left out goes back to the queue (only if this request still held it)
    if (open !== undefined) this.#requeue(remaining, req.peer, items.length === 0)
    // children: skip those already stored, in one batched look-up
    const all: Child[] = []
    for (const a of accepted) for (const c of a.children) all.push(c)
    const fresh = all.filter((c) => !this.#known(c.key))
    const stored = await this.#stored(fresh)
    const storedKeys = new Set<string>()
    fresh.forEach((c, i) => {
      if (stored[i]) storedKeys.add(c.key)
    })
    for (const { task, children } of accepted) {
      for (const c of children) {
        if (storedKeys.has(c.key) || this.#completed(c.key)) continue
        const existing = this.#tasks.get(c.key)
        if (existing !== undefined) {
          existing.parents.push(task)
          task.deps++
          continue
        }
        const child = new Task(c.key, c.hash, c.kind, c.depth)
        child.parents.push(task)
        task.deps++
        this.#schedule(child)
      }
      if (task.deps === 0) this.#complete(task)
    }
    if (failure !== undefined) throw failure
    return {
      accepted: accepted.length,
      duplicates,
      missing: open === undefined ? 0 : remaining.size,
    }
  }

  commit(): BatchOp[] {
    // the caller wrote what the previous call returned before calling again
    if (this.#lastCommit !== undefined) this.landed(this.#lastCommit)
    const { ops, keys } = this.takeBatch()
    this.#lastCommit = keys
    return ops
  }

  /**
   * Put ops for everything completed since the last call (children before parents), and their
   * keys. Until `landed(keys)`, those nodes count as stored, so a delivery may go on while the
   * batch is being written; batches must reach the store in the order they were taken.
   */
  takeBatch(): { ops: BatchOp[]; keys: Set<string> } {
    const ops: BatchOp[] = []
    const keys = this.#pending
    this.#pending = new Set()
    for (const t of this.#membatch) {
      ops.push({ type: 'put', key: t.kind === 'code' ? codeKey(t.hash) : t.hash, value: t.data! })
    }
    this.#membatch = []
    if (keys.size > 0) this.#unwritten.push(keys)
    return { ops, keys }
  }

  /** The batch of `keys` (from `takeBatch`) is in the store: its store look-ups find it now. */
  landed(keys: Set<string>): void {
    const i = this.#unwritten.indexOf(keys)
    if (i >= 0) this.#unwritten.splice(i, 1)
  }

  progress(): TrieSyncProgress {
    const outstanding = this.#queued + this.#inFlight
    return {
      pulled: this.#pulled,
      known: this.#pulled + outstanding,
      waiting: this.#waiting,
      inFlight: this.#inFlight,
      queued: this.#queued,
      committed: this.#committed,
      duplicates: this.#duplicates,
      bytes: this.#bytes,
      done: this.done(),
    }
  }

  // -------------------------------------------------------------------------------------------

  #landed(task: Task): void {
    if (task.inFlight) {
      task.inFlight = false
      this.#inFlight--
    }
  }

  /**
   * Hashes of a request that were not delivered: back to the queue. A peer that answered empty
   * is not asked for them again; one that answered in part, or timed out, may be (the gap may be a
   * size limit or a slow link), as go-ethereum does.
   */
  #requeue(keys: Iterable<string>, peer: string, markAttempt: boolean): void {
    for (const k of keys) {
      const t = this.#tasks.get(k)
      if (t === undefined || !t.inFlight) continue
      this.#landed(t)
      if (markAttempt) {
        t.attempts ??= new Set()
        t.attempts.add(peer)
      } else t.attempts?.delete(peer)
      if (t.data === undefined) this.#push(t)
    }
  }

  #known(key: string): boolean {
    return this.#tasks.has(key) || this.#completed(key)
  }

  /** Completed here: waiting in the membatch, or in a batch handed out and not yet written. */
  #completed(key: string): boolean {
    if (this.#pending.has(key)) return true
    for (const s of this.#unwritten) if (s.has(key)) return true
    return false
  }

  async #stored(cs: readonly { hash: Uint8Array; code: boolean }[]): Promise<boolean[]> {
    if (cs.length === 0) return []
    const keys = cs.map((c) => (c.code ? codeKey(c.hash) : c.hash))
    const db = this.#db
    const vs =
      db.getMany !== undefined && keys.length > 1
        ? await db.getMany(keys)
        : await Promise.all(keys.map((k) => db.get(k)))
    return vs.map((v) => v !== undefined && v !== null)
  }

  /** The children of a delivered node: hashed children, and storage roots and code of accounts. */
  #children(task: Task, data: Uint8Array): Child[] {
    const out: Child[] = []
    const nodeKind: Kind = task.kind === 'account' ? 'account' : 'storage'
    scanChildren(data, task.depth, task.kind === 'account', (hash, kind, depth) => {
      if (kind === 'node') out.push(child(hash, nodeKind, depth))
      else out.push(child(hash, kind === 'code' ? 'code' : 'storage', storageDepth))
    })
    return out
  }

  #schedule(t: Task): void {
    this.#tasks.set(t.key, t)
    this.#push(t)
  }

  #push(t: Task): void {
    if (t.queued) return
    t.queued = true
    const d = Math.min(t.depth, 200)
    while (this.#queue.length <= d) this.#queue.push([])
    this.#queue[d]!.push(t)
    this.#queued++
    if (d > this.#top) this.#top = d
  }

  #pop(): Task | undefined {
    while (this.#top >= 0) {
      const q = this.#queue[this.#top]!
      const t = q.pop()
      if (t === undefined) {
        this.#top--
        continue
      }
      if (!t.queued) continue // taken out of the queue since (delivered through a late answer)
      t.queued = false
      this.#queued--
      return t
    }
    return undefined
  }

  /** A task whose data and children are all there: into the membatch; parents may complete too. */
  #complete(first: Task): void {
    const stack = [first]
    while (stack.length > 0) {
      const t = stack.pop()!
      this.#tasks.delete(t.key)
      this.#waiting--
      this.#membatch.push(t)
      this.#pending.add(t.key)
      this.#committed++
      if (t.parents.length === 0) this.#rootComplete = true
      for (const p of t.parents) {
        p.deps--
        if (p.deps === 0 && p.data !== undefined) stack.push(p)
      }
    }
  }
}

interface Child {
  key: string
  hash: Uint8Array
  kind: Kind
  depth: number
  code: boolean
}

function child(hash: Uint8Array, kind: Kind, depth: number): Child {
  return { key: keyOf(hash), hash, kind, depth, code: kind === 'code' }
}

/**
 * A trie-sync scheduler for the state at `root`, filling `db` (the caller writes what `commit()`
 * returns). Over a store that already holds part of the state (a restart), it asks only for what
 * is missing.
 */
export async function createTrieSync(
  root: Uint8Array,
  components: TrieSyncComponents,
  options: TrieSyncOptions = {},
): Promise<TrieSync> {
  const s = new Sync(root, components, options)
  await s.init()
  return s
}
