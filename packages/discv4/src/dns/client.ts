/**
 * An EIP-1459 client (go-ethereum's `p2p/dnsdisc` client and sync): resolves and verifies tree
 * roots, resolves entries by hash (checking each against its name), caches them, and walks
 * trees lazily in random order: links first (linked trees join the walk), then one random ENR
 * leaf per step. A root is re-checked every 30 minutes (sooner after repeated leaf failures); a
 * new root (a changed sequence number) restarts the walk of the subtree whose hash changed.
 */
import type { Clock, Logger, RandomSource } from '@ethwire/interface'
import {
  dnsCacheEntries,
  dnsMaxTxtBytes,
  dnsMinHashBytes,
  dnsRateBurst,
  dnsRateLimitPerSecond,
  dnsRecheckIntervalMs,
  dnsRootRecheckFailCount,
  dnsTimeoutMs,
} from '../constants.js'
import type { Enr } from '../enr.js'
import { Discv4Error, isDiscv4Error } from '../errors.js'
import { type DiscoveredNode, nodeFromEnr } from '../node.js'
import { silentLogger, systemClock, systemRandom, type TxtResolver } from '../types.js'
import { systemTxtResolver } from './resolver.js'
import {
  base32Decode,
  branchPrefix,
  enrPrefix,
  type LinkEntry,
  linkPrefix,
  parseEntry,
  parseLink,
  parseRoot,
  type RootEntry,
  rootPrefix,
  type TreeEntry,
  textMatchesHash,
  verifyRoot,
} from './tree.js'

export interface DnsClientDeps {
  /** TXT lookups (default: node:dns with the system's servers). */
  readonly resolver?: TxtResolver
  readonly clock?: Clock
  readonly random?: RandomSource
  readonly logger?: Logger
}

export interface DnsClientOptions {
  readonly timeoutMs?: number
  readonly recheckIntervalMs?: number
  readonly cacheEntries?: number
  readonly rateLimitPerSecond?: number
  readonly rateBurst?: number
}

/** A fully synced tree. */
export interface SyncedTree {
  readonly url: string
  readonly seq: number
  readonly enrs: readonly Enr[]
  /** `enrtree://` URLs of linked trees. */
  readonly links: readonly string[]
}

export class DnsClient {
  readonly clock: Clock
  readonly random: RandomSource
  readonly log: Logger
  readonly resolver: TxtResolver
  readonly timeoutMs: number
  readonly recheckIntervalMs: number
  readonly #cacheLimit: number
  readonly #cache = new Map<string, TreeEntry>()
  readonly #inflight = new Map<string, Promise<TreeEntry>>()
  readonly #rate: TokenBucket
  /** Lookups made (entries and roots), for tests and stats. */
  lookups = 0

  constructor(deps: DnsClientDeps = {}, opts: DnsClientOptions = {}) {
    this.clock = deps.clock ?? systemClock
    this.random = deps.random ?? systemRandom
    this.log = deps.logger ?? silentLogger
    this.resolver = deps.resolver ?? systemTxtResolver()
    this.timeoutMs = opts.timeoutMs ?? dnsTimeoutMs
    this.recheckIntervalMs = opts.recheckIntervalMs ?? dnsRecheckIntervalMs
    this.#cacheLimit = opts.cacheEntries ?? dnsCacheEntries
    this.#rate = new TokenBucket(
      this.clock,
      opts.rateLimitPerSecond ?? dnsRateLimitPerSecond,
      opts.rateBurst ?? dnsRateBurst,
    )
  }

  async #txt(name: string, signal?: AbortSignal): Promise<string[]> {
    const ac = new AbortController()
    const timer = this.clock.setTimeout(
      () => ac.abort(new Discv4Error('ErrDnsLookup', `TXT ${name}: timeout`)),
      this.timeoutMs,
    )
    const sig = signal === undefined ? ac.signal : AbortSignal.any([signal, ac.signal])
    this.lookups++
    try {
      const p = this.resolver.resolveTxt(name, { signal: sig })
      const aborted = new Promise<never>((_, reject) => {
        if (sig.aborted) reject(sig.reason)
        sig.addEventListener('abort', () => reject(sig.reason), { once: true })
      })
      aborted.catch(() => {})
      const txts = await Promise.race([p, aborted])
      return txts.filter((t) => t.length <= dnsMaxTxtBytes)
    } catch (err) {
      if (isDiscv4Error(err) || signal?.aborted) throw err
      throw new Discv4Error('ErrDnsLookup', `TXT ${name}`, { cause: err })
    } finally {
      this.clock.clearTimeout(timer)
    }
  }

  /** The verified root of the tree at `link`. */
  async resolveRoot(link: LinkEntry, signal?: AbortSignal): Promise<RootEntry> {
    const txts = await this.#txt(link.domain, signal)
    for (const t of txts) {
      if (!t.startsWith(rootPrefix)) continue
      const root = parseRoot(t)
      if (!verifyRoot(root, link.publicKey)) {
        throw new Discv4Error(
          'ErrDnsBadSignature',
          `root of ${link.domain} is not signed by its key`,
        )
      }
      return root
    }
    throw new Discv4Error('ErrDnsNoRoot', `no ${rootPrefix} record at ${link.domain}`)
  }

  /** The entry named `hash` under `domain` (cached, rate limited, checked against its hash). */
  async resolveEntry(domain: string, hash: string, signal?: AbortSignal): Promise<TreeEntry> {
    await this.#rate.take(signal)
    const key = truncateHash(hash)
    const cached = this.#cache.get(key)
    if (cached !== undefined) {
      this.#cache.delete(key)
      this.#cache.set(key, cached)
      return cached
    }
    let p = this.#inflight.get(key)
    if (p === undefined) {
      p = this.#fetchEntry(domain, hash, signal).finally(() => this.#inflight.delete(key))
      this.#inflight.set(key, p)
    }
    const e = await p
    this.#cache.set(key, e)
    if (this.#cache.size > this.#cacheLimit) {
      const oldest = this.#cache.keys().next().value
      if (oldest !== undefined) this.#cache.delete(oldest)
    }
    return e
  }

  async #fetchEntry(domain: string, hash: string, signal?: AbortSignal): Promise<TreeEntry> {
    if (base32Decode(hash) === undefined) throw new Discv4Error('ErrDnsSyntax', 'bad hash')
    const name = `${hash}.${domain}`
    const txts = await this.#txt(name, signal)
    for (const t of txts) {
      if (!t.startsWith(linkPrefix) && !t.startsWith(branchPrefix) && !t.startsWith(enrPrefix)) {
        continue
      }
      if (!textMatchesHash(t, hash)) {
        throw new Discv4Error('ErrDnsHashMismatch', `${name}: content does not match its name`)
      }
      return parseEntry(t)
    }
    throw new Discv4Error('ErrDnsNoEntry', `no tree entry at ${name}`)
  }

  /** Resolves every entry of the tree at `url` (and lists its links, without following them). */
  async syncTree(url: string, opts: { signal?: AbortSignal } = {}): Promise<SyncedTree> {
    const link = parseLink(url)
    const root = await this.resolveRoot(link, opts.signal)
    const links: string[] = []
    const enrs: Enr[] = []
    const walk = async (start: string, isLink: boolean) => {
      const missing = [start]
      const seen = new Set<string>()
      while (missing.length > 0) {
        const h = missing.shift()!
        if (seen.has(h)) continue
        seen.add(h)
        const e = await this.resolveEntry(link.domain, h, opts.signal)
        checkSubtree(e, isLink)
        if (e.kind === 'branch') missing.push(...e.children)
        else if (e.kind === 'link') links.push(linkPrefix + e.str)
        else enrs.push(e.enr)
      }
    }
    await walk(root.lroot, true)
    await walk(root.eroot, false)
    return { url, seq: root.seq, enrs, links }
  }

  /**
   * An endless random walk over the trees at `urls` and the trees they link to. Nodes without
   * an IP are skipped, and so are nodes `filter` refuses (say, `ethNodeFilter(…)`: the fork-id
   * check). Ends when `signal` aborts or `return()` is called; also when no tree can
   * ever give a node (every root failed and there is nothing to wait for).
   */
  randomNodes(
    urls: readonly string[],
    opts: { signal?: AbortSignal; filter?: (node: DiscoveredNode) => boolean } = {},
  ): AsyncIterableIterator<DiscoveredNode> {
    const it = new DnsRandomIterator(this, opts.signal, opts.filter)
    for (const u of urls) it.addTree(u)
    return it
  }
}

/** Creates a {@link DnsClient}. */
export function createDnsClient(deps: DnsClientDeps = {}, opts: DnsClientOptions = {}): DnsClient {
  return new DnsClient(deps, opts)
}

function truncateHash(hash: string): string {
  const n = Math.ceil((dnsMinHashBytes * 8) / 5)
  return hash.slice(0, n)
}

function checkSubtree(e: TreeEntry, isLink: boolean): void {
  if (isLink && e.kind === 'enr') {
    throw new Discv4Error('ErrDnsWrongSubtree', 'ENR leaf in the link subtree')
  }
  if (!isLink && e.kind === 'link') {
    throw new Discv4Error('ErrDnsWrongSubtree', 'link in the ENR subtree')
  }
}

/** A token bucket on the injected clock. */
class TokenBucket {
  #tokens: number
  #last: number
  constructor(
    readonly clock: Clock,
    readonly perSecond: number,
    readonly burst: number,
  ) {
    this.#tokens = burst
    this.#last = clock.now()
  }

  #refill(): void {
    const now = this.clock.now()
    this.#tokens = Math.min(this.burst, this.#tokens + ((now - this.#last) * this.perSecond) / 1000)
    this.#last = now
  }

  async take(signal?: AbortSignal): Promise<void> {
    for (;;) {
      if (signal?.aborted) throw signal.reason
      this.#refill()
      if (this.#tokens >= 1) {
        this.#tokens -= 1
        return
      }
      const waitMs = Math.ceil(((1 - this.#tokens) * 1000) / this.perSecond)
      await sleep(this.clock, waitMs, signal)
    }
  }
}

function sleep(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clock.clearTimeout(t)
      reject(signal?.reason)
    }
    const t = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}

// ---------------------------------------------------------------------------------------------
// Lazy sync of one tree

class SubtreeSync {
  missing: string[]
  leaves = 0
  constructor(
    readonly root: string,
    readonly isLink: boolean,
  ) {
    this.missing = [root]
  }
  done(): boolean {
    return this.missing.length === 0
  }
}

/** Which tree links to which (back references), so unreferenced trees leave the walk. */
class LinkCache {
  readonly backrefs = new Map<string, Set<string>>()
  changed = false

  isReferenced(to: string): boolean {
    return (this.backrefs.get(to)?.size ?? 0) > 0
  }

  addLink(from: string, to: string): void {
    let refs = this.backrefs.get(to)
    if (refs?.has(from)) return
    if (refs === undefined) {
      refs = new Set()
      this.backrefs.set(to, refs)
    }
    refs.add(from)
    this.changed = true
  }

  /** Drops the links of `from` that are not in `keep`, and transitively those left unreferenced. */
  resetLinks(from: string, keep: ReadonlySet<string>): void {
    const stack = [from]
    while (stack.length > 0) {
      const item = stack.pop()!
      for (const [to, refs] of this.backrefs) {
        if (keep.has(to) || !refs.has(item)) continue
        this.changed = true
        refs.delete(item)
        if (refs.size === 0) {
          this.backrefs.delete(to)
          stack.push(to)
        }
      }
    }
  }
}

class ClientTree {
  lastRootCheckMs = Number.NEGATIVE_INFINITY
  leafFailCount = 0
  rootFailCount = 0
  root: RootEntry | undefined
  enrs: SubtreeSync | undefined
  links: SubtreeSync | undefined
  curLinks = new Set<string>()
  linkGcRoot = ''

  constructor(
    readonly c: DnsClient,
    readonly lc: LinkCache,
    readonly loc: LinkEntry,
  ) {}

  rootUpdateDue(): boolean {
    const tooManyFailures = this.leafFailCount > dnsRootRecheckFailCount
    const scheduled = this.c.clock.now() >= this.nextScheduledRootCheck()
    return this.root === undefined || tooManyFailures || scheduled
  }

  nextScheduledRootCheck(): number {
    return this.lastRootCheckMs + this.c.recheckIntervalMs
  }

  canSyncRandom(): boolean {
    return (
      this.rootUpdateDue() ||
      !(this.links?.done() ?? true) ||
      !(this.enrs?.done() ?? true) ||
      (this.enrs?.leaves ?? 0) !== 0
    )
  }

  async updateRoot(signal: AbortSignal): Promise<void> {
    const delay = this.rootFailCount > 20 ? 10_000 : this.rootFailCount > 5 ? 5_000 : 0
    if (delay > 0) await sleep(this.c.clock, delay, signal)
    this.lastRootCheckMs = this.c.clock.now()
    let root: RootEntry
    try {
      root = await this.c.resolveRoot(this.loc, signal)
      if (this.root !== undefined && root.seq < this.root.seq) {
        throw new Discv4Error(
          'ErrDnsSeqRegression',
          `root seq of ${this.loc.domain} went from ${this.root.seq} to ${root.seq}`,
        )
      }
    } catch (err) {
      this.rootFailCount++
      throw err
    }
    this.root = root
    this.rootFailCount = 0
    this.leafFailCount = 0
    if (this.links === undefined || root.lroot !== this.links.root) {
      this.links = new SubtreeSync(root.lroot, true)
      this.curLinks = new Set()
    }
    if (this.enrs === undefined || root.eroot !== this.enrs.root) {
      this.enrs = new SubtreeSync(root.eroot, false)
    }
  }

  /** One step: a root check, a link, or one random ENR leaf (the node, if the step found one). */
  async syncRandom(signal: AbortSignal): Promise<Enr | undefined> {
    if (this.rootUpdateDue()) await this.updateRoot(signal)
    try {
      const links = this.links as SubtreeSync
      if (!links.done()) {
        await this.#syncNextLink(signal)
        return undefined
      }
      this.#gcLinks()
      let enrs = this.enrs as SubtreeSync
      if (enrs.done()) {
        enrs = new SubtreeSync(enrs.root, false)
        this.enrs = enrs
      }
      return await this.#syncNextRandomEnr(enrs, signal)
    } catch (err) {
      this.leafFailCount++
      throw err
    }
  }

  #gcLinks(): void {
    const root = this.root as RootEntry
    if (!(this.links as SubtreeSync).done() || root.lroot === this.linkGcRoot) return
    this.lc.resetLinks(this.loc.str, this.curLinks)
    this.linkGcRoot = root.lroot
  }

  async #syncNextLink(signal: AbortSignal): Promise<void> {
    const links = this.links as SubtreeSync
    const hash = links.missing[0]!
    const e = await this.#resolveNext(links, hash, signal)
    links.missing.shift()
    if (e.kind === 'link') {
      this.lc.addLink(this.loc.str, e.str)
      this.curLinks.add(e.str)
    }
  }

  async #syncNextRandomEnr(enrs: SubtreeSync, signal: AbortSignal): Promise<Enr | undefined> {
    const index = Math.floor(this.c.random() * enrs.missing.length)
    const hash = enrs.missing[index]!
    const e = await this.#resolveNext(enrs, hash, signal)
    // Remove by swapping with the last (order does not matter: picks are random).
    const i = enrs.missing.indexOf(hash)
    if (i >= 0) {
      enrs.missing[i] = enrs.missing[enrs.missing.length - 1]!
      enrs.missing.pop()
    }
    return e.kind === 'enr' ? e.enr : undefined
  }

  async #resolveNext(ts: SubtreeSync, hash: string, signal: AbortSignal): Promise<TreeEntry> {
    const e = await this.c.resolveEntry(this.loc.domain, hash, signal)
    checkSubtree(e, ts.isLink)
    if (e.kind === 'branch') ts.missing.push(...e.children)
    else ts.leaves++
    return e
  }
}

class DnsRandomIterator implements AsyncIterableIterator<DiscoveredNode> {
  readonly #c: DnsClient
  readonly #ac = new AbortController()
  readonly #signal: AbortSignal
  readonly #lc = new LinkCache()
  readonly #trees = new Map<string, ClientTree>()
  #closed = false
  #busy: Promise<IteratorResult<DiscoveredNode>> | undefined

  readonly #filter: ((node: DiscoveredNode) => boolean) | undefined

  constructor(c: DnsClient, signal?: AbortSignal, filter?: (node: DiscoveredNode) => boolean) {
    this.#c = c
    this.#filter = filter
    this.#signal =
      signal === undefined ? this.#ac.signal : AbortSignal.any([signal, this.#ac.signal])
  }

  addTree(url: string): void {
    const le = parseLink(url)
    this.#lc.addLink('', le.str)
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<DiscoveredNode> {
    return this
  }

  next(): Promise<IteratorResult<DiscoveredNode>> {
    // Calls are served one at a time, in order.
    const prev = this.#busy ?? Promise.resolve({ value: undefined, done: false })
    const p = prev.then(() => this.#next())
    this.#busy = p.catch(() => ({ value: undefined, done: true }))
    return p
  }

  async return(): Promise<IteratorResult<DiscoveredNode>> {
    this.#closed = true
    this.#ac.abort(new Discv4Error('ErrClosed', 'iterator closed'))
    return { value: undefined, done: true }
  }

  async #next(): Promise<IteratorResult<DiscoveredNode>> {
    for (;;) {
      if (this.#closed || this.#signal.aborted) return { value: undefined, done: true }
      const ct = await this.#pickTree()
      if (ct === undefined) return { value: undefined, done: true }
      try {
        const enr = await ct.syncRandom(this.#signal)
        if (enr === undefined) continue
        const node = nodeFromEnr(enr)
        if (node !== undefined && this.#accepts(node)) return { value: node, done: false }
      } catch (err) {
        if (this.#signal.aborted) return { value: undefined, done: true }
        this.#c.log.debug('DNS discovery: sync step failed', {
          tree: ct.loc.domain,
          err: String(err),
        })
      }
    }
  }

  #accepts(node: DiscoveredNode): boolean {
    if (this.#filter === undefined) return true
    try {
      return this.#filter(node)
    } catch {
      return false
    }
  }

  #rebuildTrees(): void {
    for (const loc of [...this.#trees.keys()]) {
      if (!this.#lc.isReferenced(loc)) this.#trees.delete(loc)
    }
    for (const loc of this.#lc.backrefs.keys()) {
      if (!this.#trees.has(loc)) {
        this.#trees.set(loc, new ClientTree(this.#c, this.#lc, parseLink(linkPrefix + loc)))
      }
    }
  }

  async #pickTree(): Promise<ClientTree | undefined> {
    for (;;) {
      if (this.#closed || this.#signal.aborted) return undefined
      if (this.#lc.changed) {
        this.#rebuildTrees()
        this.#lc.changed = false
      }
      const all = [...this.#trees.values()]
      const syncable = all.filter((t) => t.canSyncRandom())
      if (syncable.length > 0) return syncable[Math.floor(this.#c.random() * syncable.length)]
      if (all.length === 0) return undefined
      // Nothing to do until a root is due again.
      const next = Math.min(...all.map((t) => t.nextScheduledRootCheck()))
      try {
        await sleep(this.#c.clock, Math.max(0, next - this.#c.clock.now()), this.#signal)
      } catch {
        return undefined
      }
    }
  }
}
