/**
 * The Kademlia table, go-ethereum's layout (`p2p/discover/table.go`, `table_reval.go`): 17
 * buckets of 16 by log distance from our id (distances ≤ 239 share bucket 0), a replacement
 * list of 10 per bucket, IP limits (2 per /24 in a bucket, 10 per /24 in the table; LAN
 * addresses exempt), and the two revalidation lists: new and failing nodes on the fast list,
 * nodes that answered on the slow one (3× less often).
 *
 * The table is a plain data structure: it never sends anything. The service asks it which node
 * to check next ({@link KademliaTable.nextRevalidation}) and tells it the outcome.
 */
import type { RandomSource } from '@ethwire/interface'
import {
  bucketCount,
  bucketIpLimit,
  bucketMinDistance,
  bucketSize,
  ipLimitSubnetBits,
  maxFindnodeFailures,
  maxReplacements,
  revalidationIntervalMs,
  slowRevalidationFactor,
  tableIpLimit,
} from './constants.js'
import { DistinctNetSet, isLanIp, isUnspecifiedIp, type Netlist } from './ip.js'
import { type DiscoveredNode, logDistance, NodesByDistance, nodeSeq } from './node.js'

/** A node in a bucket or replacement list, with what the table knows about it. */
export interface TableEntry {
  node: DiscoveredNode
  /** When it first entered the table (bucket or replacements). */
  readonly addedToTableMs: number
  /** When it entered its bucket (0 while a replacement). */
  addedToBucketMs: number
  /** Successful liveness checks (divided by 3 on each failure). */
  livenessChecks: number
  /** Answered its last check. */
  isValidatedLive: boolean
  /** @internal revalidation list it is on. */
  revalList: RevalidationList | undefined
}

/** @internal */
export class RevalidationList {
  readonly nodes: TableEntry[] = []
  nextTimeMs = Number.POSITIVE_INFINITY
  constructor(
    readonly name: 'fast' | 'slow',
    readonly intervalMs: number,
  ) {}

  schedule(nowMs: number, random: RandomSource): void {
    this.nextTimeMs = nowMs + Math.floor(random() * this.intervalMs)
  }
  push(e: TableEntry, nowMs: number, random: RandomSource): void {
    this.nodes.push(e)
    if (this.nextTimeMs === Number.POSITIVE_INFINITY) this.schedule(nowMs, random)
    e.revalList = this
  }
  remove(e: TableEntry): void {
    const i = this.nodes.indexOf(e)
    if (i >= 0) this.nodes.splice(i, 1)
    if (this.nodes.length === 0) this.nextTimeMs = Number.POSITIVE_INFINITY
    e.revalList = undefined
  }
  pick(random: RandomSource, exclude: ReadonlySet<string>): TableEntry | undefined {
    const n = this.nodes.length
    for (let i = 0; i < n * 3; i++) {
      const e = this.nodes[Math.floor(random() * n)]!
      if (!exclude.has(e.node.idHex)) return e
    }
    return undefined
  }
}

/** @internal */
export interface Bucket {
  readonly index: number
  entries: TableEntry[]
  replacements: TableEntry[]
  readonly ips: DistinctNetSet
}

export interface TableOptions {
  readonly selfId: Uint8Array
  readonly now: () => number
  readonly random: RandomSource
  /** Networks nodes must be in (go-ethereum's `--netrestrict`); none means any. */
  readonly netRestrict?: Netlist
  /** Count LAN addresses against the IP limits too (go-ethereum exempts them; default false). */
  readonly limitLanIps?: boolean
  /** Mean interval of the fast revalidation list. */
  readonly revalidationIntervalMs?: number
  readonly onAdded?: (entry: TableEntry) => void
  readonly onRemoved?: (entry: TableEntry) => void
}

/** Why {@link KademliaTable.add} did not put a node in a bucket. */
export type AddResult =
  | 'added'
  | 'updated'
  | 'known'
  | 'replacement'
  | 'self'
  | 'ip-limit'
  | 'no-ip'
  | 'restricted'

export class KademliaTable {
  readonly #opts: TableOptions
  readonly #buckets: Bucket[] = []
  readonly #ips = new DistinctNetSet(ipLimitSubnetBits, tableIpLimit)
  readonly #byId = new Map<string, TableEntry>()
  readonly #selfHex: string
  readonly fast: RevalidationList
  readonly slow: RevalidationList
  /** Nodes with a liveness check in flight (idHex). */
  readonly activeChecks = new Set<string>()

  constructor(opts: TableOptions) {
    this.#opts = opts
    this.#selfHex = Buffer.from(opts.selfId).toString('hex')
    for (let i = 0; i < bucketCount; i++) {
      this.#buckets.push({
        index: i,
        entries: [],
        replacements: [],
        ips: new DistinctNetSet(ipLimitSubnetBits, bucketIpLimit),
      })
    }
    const interval = opts.revalidationIntervalMs ?? revalidationIntervalMs
    this.fast = new RevalidationList('fast', interval)
    this.slow = new RevalidationList('slow', interval * slowRevalidationFactor)
  }

  /** Nodes in buckets (replacements not counted). */
  get size(): number {
    return this.#byId.size
  }

  /** Index of the bucket for a node id. */
  bucketIndex(id: Uint8Array): number {
    const d = logDistance(this.#opts.selfId, id)
    return d <= bucketMinDistance ? 0 : d - bucketMinDistance - 1
  }

  /** @internal */
  bucketOf(id: Uint8Array): Bucket {
    return this.#buckets[this.bucketIndex(id)]!
  }

  /** The bucket entry of a node id (hex), if any. */
  get(idHex: string): TableEntry | undefined {
    return this.#byId.get(idHex)
  }

  /** Whether the node is in the replacement list of its bucket. */
  isReplacement(node: DiscoveredNode): boolean {
    return this.bucketOf(node.id).replacements.some((e) => e.node.idHex === node.idHex)
  }

  /** Every bucket entry, bucket by bucket. */
  entries(): TableEntry[] {
    const out: TableEntry[] = []
    for (const b of this.#buckets) out.push(...b.entries)
    return out
  }

  /** Every replacement entry. */
  replacementEntries(): TableEntry[] {
    const out: TableEntry[] = []
    for (const b of this.#buckets) out.push(...b.replacements)
    return out
  }

  /** Bucket sizes, closest bucket first (for `admin`-style views and tests). */
  bucketSizes(): { entries: number; replacements: number }[] {
    return this.#buckets.map((b) => ({
      entries: b.entries.length,
      replacements: b.replacements.length,
    }))
  }

  #addIp(b: Bucket, ip: string): boolean {
    if (isUnspecifiedIp(ip)) return false
    if (isLanIp(ip) && this.#opts.limitLanIps !== true) return true
    if (!this.#ips.add(ip)) return false
    if (!b.ips.add(ip)) {
      this.#ips.remove(ip)
      return false
    }
    return true
  }

  #removeIp(b: Bucket, ip: string): void {
    if (isLanIp(ip) && this.#opts.limitLanIps !== true) return
    this.#ips.remove(ip)
    b.ips.remove(ip)
  }

  /**
   * Adds a node. A found node (from Neighbors, a seed) only updates an entry when its record's
   * seq is higher; an inbound one (it contacted us) always does. A full bucket puts the node on
   * the replacement list.
   */
  add(node: DiscoveredNode, opts: { inbound?: boolean; live?: boolean } = {}): AddResult {
    if (node.idHex === this.#selfHex) return 'self'
    if (this.#opts.netRestrict !== undefined && !this.#opts.netRestrict.contains(node.ip)) {
      return 'restricted'
    }
    const b = this.bucketOf(node.id)
    const existing = this.#byId.get(node.idHex)
    if (existing !== undefined) return this.#bump(b, existing, node, opts.inbound === true)
    if (b.entries.length >= bucketSize) {
      return this.#addReplacement(b, node) ? 'replacement' : 'known'
    }
    if (isUnspecifiedIp(node.ip)) return 'no-ip'
    const prior = b.replacements.find((e) => e.node.idHex === node.idHex)
    if (prior !== undefined) this.#removeIp(b, prior.node.ip)
    if (!this.#addIp(b, node.ip)) {
      if (prior !== undefined) this.#addIp(b, prior.node.ip)
      return 'ip-limit'
    }
    const now = this.#opts.now()
    const e: TableEntry = {
      node,
      addedToTableMs: prior?.addedToTableMs ?? now,
      addedToBucketMs: now,
      livenessChecks: opts.live === true ? 1 : 0,
      isValidatedLive: opts.live === true,
      revalList: undefined,
    }
    if (prior !== undefined) b.replacements = b.replacements.filter((r) => r !== prior)
    b.entries.push(e)
    this.#nodeAdded(e)
    return 'added'
  }

  #bump(b: Bucket, e: TableEntry, node: DiscoveredNode, inbound: boolean): AddResult {
    if (!inbound && nodeSeq(node) <= nodeSeq(e.node)) return 'known'
    const ipChanged = node.ip !== e.node.ip
    const portChanged = node.udpPort !== e.node.udpPort
    if (ipChanged) {
      this.#removeIp(b, e.node.ip)
      if (!this.#addIp(b, node.ip)) {
        this.#addIp(b, e.node.ip)
        return 'known'
      }
    }
    // Keep a record we have when the update has none (an inbound ping carries no ENR).
    e.node =
      node.enr === undefined && e.node.enr !== undefined && !ipChanged && !portChanged
        ? e.node
        : node
    if (ipChanged || portChanged) {
      e.isValidatedLive = false
      this.#moveTo(this.fast, e)
    }
    return 'updated'
  }

  #addReplacement(b: Bucket, node: DiscoveredNode): boolean {
    if (b.replacements.some((e) => e.node.idHex === node.idHex)) return false
    if (!this.#addIp(b, node.ip)) return false
    const e: TableEntry = {
      node,
      addedToTableMs: this.#opts.now(),
      addedToBucketMs: 0,
      livenessChecks: 0,
      isValidatedLive: false,
      revalList: undefined,
    }
    b.replacements.unshift(e)
    if (b.replacements.length > maxReplacements) {
      const removed = b.replacements.pop()!
      this.#removeIp(b, removed.node.ip)
    }
    return true
  }

  #nodeAdded(e: TableEntry): void {
    e.addedToBucketMs = this.#opts.now()
    this.#byId.set(e.node.idHex, e)
    this.fast.push(e, this.#opts.now(), this.#opts.random)
    this.#opts.onAdded?.(e)
  }

  #moveTo(dest: RevalidationList, e: TableEntry): void {
    if (e.revalList === dest) return
    e.revalList?.remove(e)
    dest.push(e, this.#opts.now(), this.#opts.random)
  }

  /**
   * Removes a node from its bucket; a random replacement takes its place. Returns the
   * replacement, if any.
   */
  delete(idHex: string): TableEntry | undefined {
    const e = this.#byId.get(idHex)
    if (e === undefined) return undefined
    const b = this.bucketOf(e.node.id)
    b.entries = b.entries.filter((x) => x !== e)
    this.#byId.delete(idHex)
    this.#removeIp(b, e.node.ip)
    e.revalList?.remove(e)
    this.#opts.onRemoved?.(e)
    if (b.replacements.length === 0) return undefined
    const i = Math.floor(this.#opts.random() * b.replacements.length)
    const rep = b.replacements[i]!
    b.replacements.splice(i, 1)
    b.entries.push(rep)
    this.#nodeAdded(rep)
    return rep
  }

  /**
   * The `n` nodes closest to `target`. With `preferLive`, only nodes that answered their last
   * check, unless there are none (go-ethereum's `findnodeByID`).
   */
  closest(target: Uint8Array, n: number, preferLive = false): DiscoveredNode[] {
    if (preferLive) {
      const live = new NodesByDistance(target, n)
      for (const b of this.#buckets) {
        for (const e of b.entries) if (e.isValidatedLive) live.push(e.node)
      }
      if (live.entries.length > 0) return live.entries
    }
    const all = new NodesByDistance(target, n)
    for (const b of this.#buckets) for (const e of b.entries) all.push(e.node)
    return all.entries
  }

  /**
   * The outcome of a FindNode to `node`: `fails` is the count of consecutive failures after it.
   * At `maxFindnodeFailures` the node is dropped if its bucket holds at least 4 nodes (small
   * test networks keep their few nodes).
   */
  findnodeOutcome(node: DiscoveredNode, fails: number): void {
    if (fails < maxFindnodeFailures) return
    const b = this.bucketOf(node.id)
    if (b.entries.length >= bucketSize / 4) this.delete(node.idHex)
  }

  // -------------------------------------------------------------------------------------------
  // Revalidation

  /**
   * Nodes due for a liveness check at `nowMs` (at most one per list), marked active; and when
   * to ask again.
   */
  nextRevalidation(nowMs: number): { due: TableEntry[]; nextMs: number } {
    const due: TableEntry[] = []
    for (const list of [this.fast, this.slow]) {
      if (list.nextTimeMs > nowMs) continue
      const e = list.pick(this.#opts.random, this.activeChecks)
      if (e !== undefined) {
        this.activeChecks.add(e.node.idHex)
        due.push(e)
      }
      list.schedule(nowMs, this.#opts.random)
    }
    return { due, nextMs: Math.min(this.fast.nextTimeMs, this.slow.nextTimeMs) }
  }

  /**
   * The outcome of a liveness check. A node that answered gets one more check to its credit and
   * goes to the slow list (unless `newRecord` moved its endpoint); one that did not has its
   * count divided by 3 and is dropped at 0 (a replacement takes its place).
   */
  revalidated(entry: TableEntry, responded: boolean, newRecord?: DiscoveredNode): void {
    this.activeChecks.delete(entry.node.idHex)
    if (entry.revalList === undefined) return // removed meanwhile
    if (!responded) {
      entry.livenessChecks = Math.floor(entry.livenessChecks / 3)
      if (entry.livenessChecks <= 0) this.delete(entry.node.idHex)
      else this.#moveTo(this.fast, entry)
      return
    }
    entry.livenessChecks++
    entry.isValidatedLive = true
    let moved = false
    if (newRecord !== undefined) {
      const b = this.bucketOf(entry.node.id)
      const before = entry.node
      this.#bump(b, entry, newRecord, false)
      moved = before.ip !== entry.node.ip || before.udpPort !== entry.node.udpPort
    }
    if (!moved) this.#moveTo(this.slow, entry)
  }
}
