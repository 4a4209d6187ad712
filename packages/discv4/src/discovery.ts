/**
 * The discv4 service: one UDP socket, the wire protocol's handlers and requests, the endpoint
 * proof, the Kademlia table with its refresh and revalidation loops, persistence, our own
 * record, and the random walk a dialer takes nodes from. Modelled on go-ethereum's
 * `p2p/discover/v4_udp.go` and `table.go`; JavaScript's single thread replaces their channels.
 */
import { setMaxListeners } from 'node:events'
import type { AbortOptions, Clock, Logger, RandomSource, Startable } from '@ethwire/interface'
import { TypedEmitter } from '@ethwire/interface/runtime'
import { bytesToHex, equalBytes, keccak256, type RlpInput, rlpEncode } from '@ethwire/rlp-wire'
import { BondStore, EndpointTracker } from './bonds.js'
import {
  bucketSize,
  bondExpirationMs as defaultBondExpirationMs,
  persistIntervalMs as defaultPersistIntervalMs,
  refreshIntervalMs as defaultRefreshIntervalMs,
  responseTimeoutMs as defaultResponseTimeoutMs,
  revalidationIntervalMs as defaultRevalidationIntervalMs,
  discv4Version,
  maxBondRecords,
  maxNeighborsPerPacket,
  maxPendingRequests,
  maxPersistedNodes,
  minNodePort,
  packetExpirationMs,
  seedCount,
  seedMaxAgeMs,
} from './constants.js'
import { DnsClient } from './dns/client.js'
import { parseLink } from './dns/tree.js'
import { Enr, ethEntry, type ForkId } from './enr.js'
import { Discv4Error, isDiscv4Error } from './errors.js'
import {
  bytesToIp,
  ipFamily,
  ipToBytes,
  isIp,
  isLoopbackIp,
  isUnspecifiedIp,
  Netlist,
  relayIpProblem,
} from './ip.js'
import { isValidPublicKey, publicKeyOf } from './keys.js'
import { runLookup } from './lookup.js'
import {
  type DiscoveredNode,
  enodeUrl,
  makeNode,
  nodeFromEnr,
  nodeSeq,
  parseEnode,
  withEnr,
} from './node.js'
import { RandomNodes, type RandomNodesOptions } from './random-nodes.js'
import { udpSocketFactory } from './socket.js'
import { readStore, type StoredNode, writeStore } from './store.js'
import { KademliaTable, type TableEntry } from './table.js'
import {
  type DatagramSocket,
  type SocketFactory,
  silentLogger,
  systemClock,
  systemRandom,
  type TxtResolver,
  type UdpAddress,
} from './types.js'
import {
  decodePacket,
  type Endpoint,
  encodePacket,
  expirationAfter,
  isExpired,
  type NeighborsPacket,
  type Packet,
  PacketType,
  type PingPacket,
  type PongPacket,
  packetTypeName,
  recoverSender,
  type WireNode,
} from './wire.js'

/** What the service takes from its host. Everything has a default. */
export interface Discv4Deps {
  /** Time for expirations (Unix ms) and every timer. */
  readonly clock?: Clock
  readonly random?: RandomSource
  readonly logger?: Logger
  /** Binds the UDP socket (default node:dgram). */
  readonly socketFactory?: SocketFactory
  /** Resolves DNS names of bootnodes (default node:dns `lookup`). */
  readonly lookupHost?: (host: string) => Promise<string>
  /** TXT lookups for `dnsTrees` (default node:dns with the system's servers). */
  readonly dnsResolver?: TxtResolver
}

export interface Discv4Options {
  /** Our 32-byte secp256k1 key (the same as the RLPx node key). */
  readonly privateKey: Uint8Array
  /** Where to bind (default 0.0.0.0:30303; port 0 picks one). */
  readonly listen?: { readonly host?: string; readonly port?: number }
  /**
   * The endpoint others should use, for our record and our Pings' `from`. Default: the listen
   * host when it is a specific address (loopback included), else the IP most nodes report
   * seeing (their Pongs), 127.0.0.1 until they agree; the bound UDP port.
   */
  readonly announce?: { readonly ip?: string; readonly udpPort?: number }
  /** Our RLPx (TCP) port, for our record and Pings (0: we accept no connections). */
  readonly tcpPort?: number
  /** Bootstrap nodes: `enode://` URLs (host may be a DNS name) or `enr:` records. */
  readonly bootnodes?: readonly string[]
  /** EIP-1459 trees (`enrtree://<key>@<domain>`) whose nodes `randomNodes()` mixes in. */
  readonly dnsTrees?: readonly string[]
  /** Directory for the table file (`discv4-nodes.json`); none keeps nothing across restarts. */
  readonly dataDir?: string
  /** The EIP-2124 fork id for our record's `eth` entry (none: no `eth` entry). */
  readonly forkId?: ForkId
  /** More record entries (key → RLP input). `id`, `secp256k1`, `ip`, `udp`, `tcp`, `eth` are ours. */
  readonly enrEntries?: Readonly<Record<string, RlpInput>>
  /**
   * Which nodes {@link Discv4.randomNodes} hands out (after their record was fetched), e.g.
   * a fork-id check of the `eth` entry. Default: every node with a TCP port. Applied after
   * `forkFilter` when both are set.
   */
  readonly nodeFilter?: (node: DiscoveredNode) => boolean
  /**
   * The EIP-2124 / EIP-2364 check for other nodes' `eth` entries: {@link Discv4.randomNodes}
   * (discv4 and DNS nodes alike) hands out only nodes whose `eth` fork id it accepts, e.g.
   * `(id) => forkFilter(id) === undefined` with `createForkFilter` of `@ethwire/handshake`.
   * Nodes without an `eth` entry (or a record) only with `includeNoEth`; malformed entries never.
   */
  readonly forkFilter?: (forkId: ForkId) => boolean
  /** With `forkFilter`: hand out nodes without an `eth` entry too (default false). */
  readonly includeNoEth?: boolean
  /** Only nodes in these networks (CIDR) enter the table (go-ethereum's `--netrestrict`). */
  readonly netRestrict?: readonly string[]
  /** Apply the /24 IP limits to LAN addresses too (default false, as go-ethereum). */
  readonly limitLanIps?: boolean
  /** Pong statements that must agree before we announce the IP they name (default 10). */
  readonly endpointStatements?: number
  /** Memory bounds (defaults `maxBondRecords`, `maxPendingRequests` of constants.ts). */
  readonly limits?: { readonly maxBondRecords?: number; readonly maxPendingRequests?: number }
  readonly responseTimeoutMs?: number
  readonly bondExpirationMs?: number
  readonly revalidationIntervalMs?: number
  readonly refreshIntervalMs?: number
  readonly persistIntervalMs?: number
}

/** Events: `on(name, listener)` returns the unsubscribe function. */
export interface Discv4Events {
  /** A node entered a bucket. */
  nodeAdded: DiscoveredNode
  /** A node left its bucket (failed liveness checks or FindNode too often). */
  nodeRemoved: DiscoveredNode
  /** A packet was dropped (bad, expired, unsolicited, no endpoint proof …). */
  packetError: { readonly from: UdpAddress; readonly error: Discv4Error; readonly type?: string }
  /** A packet was handled (after its checks passed). */
  packetHandled: { readonly from: UdpAddress; readonly type: string; readonly nodeIdHex: string }
  /** Our record changed (new seq). */
  localEnrChanged: Enr
  /** The first refresh (bootstrap lookups) finished. */
  ready: undefined
}

/** A bucket entry as {@link Discv4.tableEntries} reports it. */
export interface TableEntryInfo {
  readonly node: DiscoveredNode
  /** Bucket index, 0 (closest) to 16. */
  readonly bucket: number
  /** Answered its last liveness check. */
  readonly live: boolean
  /** Successful liveness checks (divided by 3 on each failure). */
  readonly checks: number
  readonly addedToTableMs: number
  readonly addedToBucketMs: number
}

/** Options of {@link Discv4.lookup}. */
export interface LookupOptions extends AbortOptions {
  /** Called with each batch of nodes first seen in this lookup (table seeds included). */
  readonly onFound?: (nodes: DiscoveredNode[]) => void
}

/** Counters since start. */
export interface Discv4Stats {
  packetsIn: number
  packetsOut: number
  bytesIn: number
  bytesOut: number
  /** Packets dropped, by error code. */
  dropped: Record<string, number>
  /** Packets handled, by type name. */
  handled: Record<string, number>
  /** Requests that got no (complete) reply in time, by reply type ('Neighbors' counts partial ones). */
  timeouts: Record<string, number>
  lookups: number
}

/** The discovery service. `start` binds the socket; `stop` releases everything. */
export interface Discv4 extends Startable {
  /** Our current signed record. */
  readonly localEnr: Enr
  /** Our node as others see it (id, key, announced endpoint). */
  readonly localNode: DiscoveredNode
  /** `enode://` URL of our node. */
  readonly enode: string
  /** The bound socket address (after `start`). */
  readonly address: UdpAddress
  /** Nodes in the table's buckets. */
  readonly tableSize: number
  readonly stats: Readonly<Discv4Stats>
  /** True after the first refresh (the bootstrap lookups) finished. */
  readonly isReady: boolean
  /** Every node in the buckets. */
  tableNodes(): DiscoveredNode[]
  /** Every bucket entry with its liveness (go-ethereum's `TableBuckets`, for admin views). */
  tableEntries(): TableEntryInfo[]
  /** Bucket fill, closest bucket first. */
  bucketSizes(): { entries: number; replacements: number }[]
  /**
   * An iterative lookup. `target` is a 64-byte public key (the closest nodes to its id are
   * searched) or absent for a random one. Resolves with up to 16 nodes, closest first.
   */
  lookup(target?: Uint8Array, opts?: LookupOptions): Promise<DiscoveredNode[]>
  /**
   * Endless random walk for a dialer: nodes found by random lookups, their records fetched
   * (ENRRequest), filtered by `forkFilter` and `nodeFilter`; ends when the service stops or `return()` is called.
   */
  randomNodes(opts?: RandomNodesOptions): AsyncIterableIterator<DiscoveredNode>
  /** Ping; resolves with the Pong (its `enrSeq` tells the record version). */
  ping(node: DiscoveredNode, opts?: AbortOptions): Promise<PongPacket>
  /** FindNode (bonding first when needed); resolves with the valid nodes returned. */
  findNode(node: DiscoveredNode, target: Uint8Array, opts?: AbortOptions): Promise<DiscoveredNode[]>
  /** Asks the node for its record; resolves with the node updated from it. */
  requestEnr(node: DiscoveredNode, opts?: AbortOptions): Promise<DiscoveredNode>
  /** Adds nodes to the table as found nodes (unverified until their first check). */
  addNodes(nodes: readonly DiscoveredNode[]): void
  /**
   * Sets (or clears) the `eth` entry's fork id. The record is re-signed with seq + 1 only when
   * the fork id changed, so calling it on every new head (with the fork id at that head) is the
   * way to keep our record right when the chain crosses a fork (go-ethereum's ENR updater);
   * nodes learn the new seq from our next Pong and fetch the record again.
   */
  setForkId(forkId: ForkId | undefined): void
  /** Writes the table to the data directory now. */
  persist(): Promise<void>
  on<K extends keyof Discv4Events>(event: K, listener: (v: Discv4Events[K]) => void): () => void
}

interface Pending {
  readonly key: string
  readonly callback: (p: Packet) => { matched: boolean; done: boolean }
  gotReply: boolean
  timer: unknown
  settle: (outcome: 'done' | 'partial' | Discv4Error | unknown) => void
}

const emptyIp: Uint8Array = new Uint8Array(0)

/** Creates the service (not started). */
export function createDiscv4(deps: Discv4Deps, options: Discv4Options): Discv4 {
  return new Discv4Service(deps, options)
}

/** @internal exported for RandomNodes */
export class Discv4Service implements Discv4 {
  readonly clock: Clock
  readonly random: RandomSource
  readonly log: Logger
  readonly #socketFactory: SocketFactory
  readonly #lookupHost: (host: string) => Promise<string>
  readonly #dnsResolver: TxtResolver | undefined
  #dnsClient: DnsClient | undefined
  readonly #opts: Discv4Options
  readonly #privateKey: Uint8Array
  readonly #publicKey: Uint8Array
  readonly selfId: Uint8Array
  readonly selfHex: string
  readonly table: KademliaTable
  readonly #bonds: BondStore
  readonly #maxPending: number
  readonly #endpoints: EndpointTracker
  readonly #emitter: TypedEmitter<Discv4Events>
  readonly #responseTimeoutMs: number
  readonly #bondExpirationMs: number
  readonly #refreshIntervalMs: number
  readonly #persistIntervalMs: number
  readonly #netRestrict: Netlist | undefined

  #socket: DatagramSocket | undefined
  #bound: UdpAddress | undefined
  #state: 'new' | 'starting' | 'running' | 'stopped' = 'new'
  #localEnr: Enr | undefined
  #localSeq = 0n
  #localContent = ''
  #forkId: ForkId | undefined
  #predictedIp: string | undefined
  #pending = new Map<string, Set<Pending>>()
  #pendingCount = 0
  #pingWaiters = new Map<string, Set<() => void>>()
  #bonding = new Map<string, Promise<void>>()
  #nursery: DiscoveredNode[] = []
  #storedSeeds: StoredNode[] = []
  #refreshing: Promise<void> | undefined
  #refreshTimer: unknown
  #revalTimer: unknown
  #revalTimerAt = Number.POSITIVE_INFINITY
  #persistTimer: unknown
  #initDone = false
  #tasks = new Set<Promise<unknown>>()
  #iterators = new Set<RandomNodes>()
  readonly #abort = new AbortController()
  readonly stats: Discv4Stats = {
    packetsIn: 0,
    packetsOut: 0,
    bytesIn: 0,
    bytesOut: 0,
    dropped: {},
    handled: {},
    timeouts: {},
    lookups: 0,
  }

  constructor(deps: Discv4Deps, options: Discv4Options) {
    this.clock = deps.clock ?? systemClock
    this.random = deps.random ?? systemRandom
    this.log = deps.logger ?? silentLogger
    this.#socketFactory = deps.socketFactory ?? udpSocketFactory
    this.#lookupHost = deps.lookupHost ?? defaultLookupHost
    this.#dnsResolver = deps.dnsResolver
    for (const url of options.dnsTrees ?? []) parseLink(url) // bad URLs fail here, not later
    this.#opts = options
    this.#bonds = new BondStore(options.limits?.maxBondRecords ?? maxBondRecords)
    this.#maxPending = options.limits?.maxPendingRequests ?? maxPendingRequests
    this.#privateKey = options.privateKey
    this.#publicKey = publicKeyOf(options.privateKey)
    this.selfId = keccak256(this.#publicKey)
    this.selfHex = bytesToHex(this.selfId).slice(2)
    this.#responseTimeoutMs = options.responseTimeoutMs ?? defaultResponseTimeoutMs
    this.#bondExpirationMs = options.bondExpirationMs ?? defaultBondExpirationMs
    this.#refreshIntervalMs = options.refreshIntervalMs ?? defaultRefreshIntervalMs
    this.#persistIntervalMs = options.persistIntervalMs ?? defaultPersistIntervalMs
    this.#netRestrict =
      options.netRestrict === undefined ? undefined : new Netlist(options.netRestrict)
    this.#forkId = options.forkId
    this.#endpoints = new EndpointTracker(5 * 60_000, options.endpointStatements ?? 10)
    this.#emitter = new TypedEmitter<Discv4Events>({
      onListenerError: (err, event) =>
        this.log.warn('discv4 event listener threw', { event: String(event), err: String(err) }),
    })
    this.table = new KademliaTable({
      selfId: this.selfId,
      now: () => this.clock.now(),
      random: this.random,
      ...(this.#netRestrict === undefined ? {} : { netRestrict: this.#netRestrict }),
      limitLanIps: options.limitLanIps === true,
      revalidationIntervalMs: options.revalidationIntervalMs ?? defaultRevalidationIntervalMs,
      onAdded: (e) => this.#emitter.emit('nodeAdded', e.node),
      onRemoved: (e) => this.#emitter.emit('nodeRemoved', e.node),
    })
  }

  // -------------------------------------------------------------------------------------------
  // Public surface

  get localEnr(): Enr {
    if (this.#localEnr === undefined) this.#localEnr = this.#signLocal(this.#localSeq)
    return this.#localEnr
  }

  get localNode(): DiscoveredNode {
    const ep = this.#ourEndpoint()
    return makeNode({
      id: this.selfId,
      publicKey: this.#publicKey,
      ip: bytesToIp(ep.ip) ?? '0.0.0.0',
      udpPort: ep.udpPort,
      tcpPort: ep.tcpPort,
      enr: this.localEnr,
    })
  }

  get enode(): string {
    return enodeUrl(this.localNode)
  }

  get address(): UdpAddress {
    if (this.#bound === undefined) throw new Discv4Error('ErrClosed', 'not started')
    return this.#bound
  }

  get tableSize(): number {
    return this.table.size
  }

  get isReady(): boolean {
    return this.#initDone
  }

  /** @internal For tests of the memory bounds. */
  get internals(): { bondRecords: number; pendingRequests: number; pingWaiters: number } {
    return {
      bondRecords: this.#bonds.size,
      pendingRequests: this.#pendingCount,
      pingWaiters: this.#pingWaiters.size,
    }
  }

  get closed(): boolean {
    return this.#state === 'stopped'
  }

  get closeSignal(): AbortSignal {
    return this.#abort.signal
  }

  get nodeFilter(): ((node: DiscoveredNode) => boolean) | undefined {
    return this.#opts.nodeFilter
  }

  get forkFilter(): ((forkId: ForkId) => boolean) | undefined {
    return this.#opts.forkFilter
  }

  get includeNoEth(): boolean {
    return this.#opts.includeNoEth === true
  }

  tableNodes(): DiscoveredNode[] {
    return this.table.entries().map((e) => e.node)
  }

  tableEntries(): TableEntryInfo[] {
    return this.table.entries().map((e) => ({
      node: e.node,
      bucket: this.table.bucketIndex(e.node.id),
      live: e.isValidatedLive,
      checks: e.livenessChecks,
      addedToTableMs: e.addedToTableMs,
      addedToBucketMs: e.addedToBucketMs,
    }))
  }

  bucketSizes(): { entries: number; replacements: number }[] {
    return this.table.bucketSizes()
  }

  on<K extends keyof Discv4Events>(event: K, listener: (v: Discv4Events[K]) => void): () => void {
    return this.#emitter.on(event, listener)
  }

  async start(): Promise<void> {
    if (this.#state !== 'new') return
    this.#state = 'starting'
    const host = this.#opts.listen?.host ?? '0.0.0.0'
    const port = this.#opts.listen?.port ?? 30303
    try {
      this.#socket = await this.#socketFactory({ ip: host, port })
      this.#bound = this.#socket.address()
      if (this.#state !== 'starting') throw new Discv4Error('ErrClosed', 'stopped while starting')
      await this.#loadStore()
      this.#nursery = await this.#resolveBootnodes(this.#opts.bootnodes ?? [])
    } catch (err) {
      // A failed start releases what it took; the service is not restarted.
      this.#state = 'stopped'
      await this.#socket?.close()
      throw err
    }
    if ((this.#state as string) !== 'starting') return
    this.#localEnr = this.#signLocal(this.#localSeq)
    this.#state = 'running'
    this.#socket.onMessage((data, from) => this.#onPacket(data, from))
    this.#loadSeeds()
    this.#schedulePersist()
    this.#scheduleRevalidation()
    this.#track(this.#refresh())
  }

  async stop(): Promise<void> {
    if (this.#state === 'stopped') return
    const wasRunning = this.#state === 'running'
    this.#state = 'stopped'
    this.#abort.abort(new Discv4Error('ErrClosed', 'discovery stopped'))
    for (const t of [this.#refreshTimer, this.#revalTimer, this.#persistTimer]) {
      if (t !== undefined) this.clock.clearTimeout(t)
    }
    this.#refreshTimer = this.#revalTimer = this.#persistTimer = undefined
    for (const it of [...this.#iterators]) await it.return()
    for (const set of [...this.#pending.values()]) {
      for (const p of [...set]) p.settle(new Discv4Error('ErrClosed', 'discovery stopped'))
    }
    for (const set of [...this.#pingWaiters.values()]) for (const w of [...set]) w()
    // Background tasks end promptly once their requests failed with ErrClosed.
    await Promise.allSettled([...this.#tasks])
    await this.#socket?.close()
    if (wasRunning && this.#opts.dataDir !== undefined) {
      try {
        await this.#writeStore()
      } catch (err) {
        this.log.warn('discv4: could not write the node table', { err: String(err) })
      }
    }
  }

  async lookup(target?: Uint8Array, opts: LookupOptions = {}): Promise<DiscoveredNode[]> {
    this.#checkRunning()
    if (target !== undefined && !isValidPublicKey(target)) {
      throw new Discv4Error('ErrInvalidArgument', 'lookup target must be a 64-byte public key')
    }
    if (this.table.size === 0) await this.#refresh()
    return this.lookupInternal(target ?? this.randomTarget(), opts.signal, opts.onFound)
  }

  randomNodes(opts: RandomNodesOptions = {}): AsyncIterableIterator<DiscoveredNode> {
    this.#checkRunning()
    const trees = this.#opts.dnsTrees ?? []
    let o = opts
    if (trees.length > 0 && opts.includeDns !== false) {
      this.#dnsClient ??= new DnsClient({
        clock: this.clock,
        random: this.random,
        logger: this.log,
        ...(this.#dnsResolver === undefined ? {} : { resolver: this.#dnsResolver }),
      })
      const dns = this.#dnsClient.randomNodes(trees, { signal: this.#abort.signal })
      o = { ...opts, sources: [...(opts.sources ?? []), dns] }
    }
    const it = new RandomNodes(this, o)
    this.#iterators.add(it)
    it.onClose(() => this.#iterators.delete(it))
    return it
  }

  addNodes(nodes: readonly DiscoveredNode[]): void {
    for (const n of nodes) this.table.add(n)
    this.#scheduleRevalidation()
  }

  setForkId(forkId: ForkId | undefined): void {
    this.#forkId = forkId
    this.#updateLocalEnr()
  }

  async persist(): Promise<void> {
    if (this.#opts.dataDir !== undefined) await this.#writeStore()
  }

  // -------------------------------------------------------------------------------------------
  // Requests

  ping(node: DiscoveredNode, opts: AbortOptions = {}): Promise<PongPacket> {
    this.#checkRunning()
    return this.#ping(node, opts.signal)
  }

  #ping(node: DiscoveredNode, signal?: AbortSignal, onPong?: () => void): Promise<PongPacket> {
    const to = { ip: node.ip, port: node.udpPort }
    const hash: { value: Uint8Array } = { value: emptyIp }
    let pong: PongPacket | undefined
    const done = this.#expect(
      node.idHex,
      node.ip,
      PacketType.Pong,
      (p) => {
        const ok = equalBytes((p as PongPacket).pingHash, hash.value)
        if (ok) {
          pong = p as PongPacket
          onPong?.()
        }
        return { matched: ok, done: ok }
      },
      signal,
    )
    hash.value = this.#send(to, {
      type: PacketType.Ping,
      version: BigInt(discv4Version),
      from: this.#ourEndpoint(),
      to: { ip: ipToBytes(node.ip), udpPort: node.udpPort, tcpPort: 0 },
      expiration: this.#expiration(),
      enrSeq: this.#localSeq,
    })
    return done.then(() => pong as PongPacket)
  }

  async findNode(
    node: DiscoveredNode,
    target: Uint8Array,
    opts: AbortOptions = {},
  ): Promise<DiscoveredNode[]> {
    this.#checkRunning()
    if (target.length !== 64) throw new Discv4Error('ErrInvalidArgument', 'target of 64 bytes')
    await this.#ensureBond(node, opts.signal)
    const nodes: DiscoveredNode[] = []
    let received = 0
    const done = this.#expect(
      node.idHex,
      node.ip,
      PacketType.Neighbors,
      (p) => {
        const list = (p as NeighborsPacket).nodes
        for (const wn of list) {
          received++
          const n = this.#nodeFromWire(node.ip, wn)
          if (n !== undefined) nodes.push(n)
        }
        // A short packet is the last one (every implementation we know fills packets of 12).
        return {
          matched: true,
          done: received >= bucketSize || list.length < maxNeighborsPerPacket,
        }
      },
      opts.signal,
      true,
    )
    this.#send(
      { ip: node.ip, port: node.udpPort },
      { type: PacketType.FindNode, target, expiration: this.#expiration() },
    )
    await done
    return nodes
  }

  async requestEnr(node: DiscoveredNode, opts: AbortOptions = {}): Promise<DiscoveredNode> {
    this.#checkRunning()
    await this.#ensureBond(node, opts.signal)
    const hash: { value: Uint8Array } = { value: emptyIp }
    let record: Uint8Array | undefined
    const done = this.#expect(
      node.idHex,
      node.ip,
      PacketType.EnrResponse,
      (p) => {
        const ok = p.type === PacketType.EnrResponse && equalBytes(p.requestHash, hash.value)
        if (ok) record = p.record
        return { matched: ok, done: ok }
      },
      opts.signal,
    )
    hash.value = this.#send(
      { ip: node.ip, port: node.udpPort },
      { type: PacketType.EnrRequest, expiration: this.#expiration() },
    )
    await done
    const enr = Enr.decode(record as Uint8Array)
    if (!equalBytes(enr.nodeId, node.id)) {
      throw new Discv4Error('ErrEnrMismatch', 'record of another node')
    }
    if (enr.seq < nodeSeq(node)) return node
    const updated = withEnr(node, enr)
    const problem = relayIpProblem(node.ip, updated.ip)
    if (problem !== undefined) {
      throw new Discv4Error('ErrInvalidIp', `record IP ${updated.ip}: ${problem}`)
    }
    return updated
  }

  /**
   * Sends our Ping when the node has not pinged us lately (so it may not answer our FindNode),
   * or after too many failures, then waits for its Ping back (at most the response timeout).
   */
  async #ensureBond(node: DiscoveredNode, signal?: AbortSignal): Promise<void> {
    const now = this.clock.now()
    const tooOld = now - this.#bonds.lastPingReceived(node.idHex, node.ip) > this.#bondExpirationMs
    // go-ethereum re-bonds after more than 5 failures; we do after the first: a FindNode that
    // got nothing is most often one the node dropped because our Pong reached it late.
    if (!tooOld && this.#bonds.findFails(node.idHex, node.ip) === 0) return
    const key = BondStore.key(node.idHex, node.ip)
    let p = this.#bonding.get(key)
    if (p === undefined) {
      p = (async () => {
        const theirPing = this.#waitForPing(key, this.#responseTimeoutMs)
        try {
          await this.#ping(node, signal)
        } catch (err) {
          theirPing.cancel()
          if (isDiscv4Error(err, 'ErrClosed')) throw err
          return
        }
        await theirPing.promise
      })().finally(() => this.#bonding.delete(key))
      this.#bonding.set(key, p)
    }
    await p
  }

  #waitForPing(key: string, timeoutMs: number): { promise: Promise<void>; cancel: () => void } {
    let cancel = () => {}
    const promise = new Promise<void>((resolve) => {
      let set = this.#pingWaiters.get(key)
      if (set === undefined) {
        set = new Set()
        this.#pingWaiters.set(key, set)
      }
      const finish = () => {
        this.clock.clearTimeout(timer)
        const s = this.#pingWaiters.get(key)
        s?.delete(finish)
        if (s?.size === 0) this.#pingWaiters.delete(key)
        resolve()
      }
      const timer = this.clock.setTimeout(finish, timeoutMs)
      set.add(finish)
      cancel = finish
    })
    return { promise, cancel }
  }

  /**
   * Registers a reply matcher. Resolves `'done'` when the callback says so, `'partial'` at the
   * timeout when `partialOk` and some reply matched; rejects `ErrTimeout`, `ErrClosed`, the
   * abort reason or `ErrTooManyRequests`.
   */
  #expect(
    idHex: string,
    ip: string,
    type: number,
    callback: Pending['callback'],
    signal?: AbortSignal,
    partialOk = false,
  ): Promise<'done' | 'partial'> {
    return new Promise((resolve, reject) => {
      if (this.#state !== 'running') {
        reject(new Discv4Error('ErrClosed', 'discovery is not running'))
        return
      }
      if (signal?.aborted) {
        reject(signal.reason)
        return
      }
      if (this.#pendingCount >= this.#maxPending) {
        reject(new Discv4Error('ErrTooManyRequests', `${this.#maxPending} requests pending`))
        return
      }
      const key = `${idHex}@${ip}#${type}`
      // stop() settles every pending request itself; only a caller's signal needs a listener.
      const sig = signal === this.#abort.signal ? undefined : signal
      const onAbort = () => p.settle(sig?.reason)
      const p: Pending = {
        key,
        callback,
        gotReply: false,
        timer: undefined,
        settle: (outcome) => {
          const set = this.#pending.get(key)
          if (set === undefined || !set.delete(p)) return
          if (set.size === 0) this.#pending.delete(key)
          this.#pendingCount--
          this.clock.clearTimeout(p.timer)
          sig?.removeEventListener('abort', onAbort)
          if (outcome === 'done' || outcome === 'partial') resolve(outcome)
          else reject(outcome)
        },
      }
      p.timer = this.clock.setTimeout(() => {
        // After a busy stretch the timer phase comes before the socket's queued datagrams are
        // read: look once more after pending I/O (setImmediate runs after the poll phase), so a
        // reply that did arrive in time is not called late.
        setImmediate(() => {
          if (!this.#pending.get(key)?.has(p)) return
          const name = packetTypeName(type)
          this.stats.timeouts[name] = (this.stats.timeouts[name] ?? 0) + 1
          if (partialOk && p.gotReply) p.settle('partial')
          else p.settle(new Discv4Error('ErrTimeout', `no ${name} in time`))
        })
      }, this.#responseTimeoutMs)
      sig?.addEventListener('abort', onAbort, { once: true })
      let set = this.#pending.get(key)
      if (set === undefined) {
        set = new Set()
        this.#pending.set(key, set)
      }
      set.add(p)
      this.#pendingCount++
    })
  }

  /** Offers a reply to the matchers of its sender; returns whether any took it. */
  #handleReply(idHex: string, ip: string, packet: Packet): boolean {
    const set = this.#pending.get(`${idHex}@${ip}#${packet.type}`)
    if (set === undefined) return false
    let matched = false
    for (const p of [...set]) {
      const r = p.callback(packet)
      if (r.matched) {
        matched = true
        p.gotReply = true
      }
      if (r.done) p.settle('done')
    }
    return matched
  }

  // -------------------------------------------------------------------------------------------
  // Packets in

  #onPacket(data: Uint8Array, from: UdpAddress): void {
    this.stats.packetsIn++
    this.stats.bytesIn += data.length
    let typeName: string | undefined
    try {
      const d = decodePacket(data)
      const p = d.packet
      typeName = packetTypeName(p.type)
      if ('expiration' in p && isExpired(p.expiration, this.clock.now())) {
        throw new Discv4Error('ErrExpired', `${typeName} expired`)
      }
      const pub = recoverSender(d)
      const id = keccak256(pub)
      const idHex = bytesToHex(id).slice(2)
      if (idHex === this.selfHex)
        throw new Discv4Error('ErrUnsolicitedReply', 'packet from ourselves')
      switch (p.type) {
        case PacketType.Ping:
          this.#onPing(p, d.hash, pub, id, idHex, from)
          break
        case PacketType.Pong:
          this.#onPong(p, idHex, from)
          break
        case PacketType.FindNode:
          this.#onFindNode(p.target, idHex, from)
          break
        case PacketType.Neighbors:
        case PacketType.EnrResponse:
          if (!this.#handleReply(idHex, from.ip, p)) {
            throw new Discv4Error('ErrUnsolicitedReply', `unsolicited ${typeName}`)
          }
          break
        case PacketType.EnrRequest:
          this.#checkBond(idHex, from, typeName)
          this.#send(from, {
            type: PacketType.EnrResponse,
            requestHash: d.hash,
            record: this.localEnr.raw,
          })
          break
      }
      this.stats.handled[typeName] = (this.stats.handled[typeName] ?? 0) + 1
      this.#emitter.emit('packetHandled', { from, type: typeName, nodeIdHex: idHex })
    } catch (err) {
      const error = isDiscv4Error(err)
        ? err
        : new Discv4Error('ErrDecode', 'packet handling failed', { cause: err })
      this.stats.dropped[error.code] = (this.stats.dropped[error.code] ?? 0) + 1
      this.log.trace('discv4: dropped packet', {
        from: `${from.ip}:${from.port}`,
        err: error.message,
      })
      this.#emitter.emit('packetError', {
        from,
        error,
        ...(typeName === undefined ? {} : { type: typeName }),
      })
    }
  }

  #checkBond(idHex: string, from: UdpAddress, what: string): void {
    const last = this.#bonds.lastPongReceived(idHex, from.ip)
    if (this.clock.now() - last >= this.#bondExpirationMs || last === 0) {
      throw new Discv4Error('ErrUnknownNode', `${what} without an endpoint proof`)
    }
  }

  #onPing(
    p: PingPacket,
    hash: Uint8Array,
    pub: Uint8Array,
    id: Uint8Array,
    idHex: string,
    from: UdpAddress,
  ): void {
    this.#send(from, {
      type: PacketType.Pong,
      to: { ip: ipToBytes(from.ip), udpPort: from.port, tcpPort: p.from.tcpPort },
      pingHash: hash,
      expiration: this.#expiration(),
      enrSeq: this.#localSeq,
    })
    const node = makeNode({
      id,
      publicKey: pub,
      ip: from.ip,
      udpPort: from.port,
      tcpPort: p.from.tcpPort,
    })
    const now = this.clock.now()
    const addInbound = () => {
      if (!this.#initDone || this.#state !== 'running') return
      const known = this.table.get(idHex)
      // Keep the record we have unless the node moved.
      const n =
        known?.node.enr !== undefined &&
        known.node.ip === node.ip &&
        known.node.udpPort === node.udpPort
          ? known.node
          : node
      this.table.add(n, { inbound: true })
      this.#scheduleRevalidation()
    }
    if (now - this.#bonds.lastPongReceived(idHex, from.ip) > this.#bondExpirationMs) {
      // One Ping back at a time: a node (or a spoofer) repeating Pings gets one each, not more.
      if (!this.#pending.has(`${idHex}@${from.ip}#${PacketType.Pong}`)) {
        this.#track(this.#ping(node, this.#abort.signal, addInbound).catch(() => {}))
      }
    } else addInbound()
    this.#bonds.pingReceived(idHex, from.ip, now)
    const waiters = this.#pingWaiters.get(BondStore.key(idHex, from.ip))
    if (waiters !== undefined) for (const w of [...waiters]) w()
  }

  #onPong(p: PongPacket, idHex: string, from: UdpAddress): void {
    if (!this.#handleReply(idHex, from.ip, p)) {
      throw new Discv4Error('ErrUnsolicitedReply', 'Pong to no Ping of ours')
    }
    const now = this.clock.now()
    this.#bonds.pongReceived(idHex, from.ip, now)
    const seenIp = bytesToIp(p.to.ip)
    if (seenIp !== undefined && !isUnspecifiedIp(seenIp)) {
      this.#endpoints.add(idHex, seenIp, now)
      this.#maybeUpdateIp()
    }
  }

  #onFindNode(target: Uint8Array, idHex: string, from: UdpAddress): void {
    this.#checkBond(idHex, from, 'FindNode')
    const closest = this.table.closest(keccak256(target), bucketSize, true)
    const expiration = this.#expiration()
    let chunk: WireNode[] = []
    let sent = false
    for (const n of closest) {
      if (relayIpProblem(from.ip, n.ip) === undefined) {
        chunk.push({
          ip: ipToBytes(n.ip),
          udpPort: n.udpPort,
          tcpPort: n.tcpPort,
          publicKey: n.publicKey,
        })
      }
      if (chunk.length === maxNeighborsPerPacket) {
        this.#send(from, { type: PacketType.Neighbors, nodes: chunk, expiration })
        chunk = []
        sent = true
      }
    }
    if (chunk.length > 0 || !sent) {
      this.#send(from, { type: PacketType.Neighbors, nodes: chunk, expiration })
    }
  }

  #nodeFromWire(senderIp: string, wn: WireNode): DiscoveredNode | undefined {
    if (wn.udpPort <= minNodePort) return undefined
    const ip = bytesToIp(wn.ip)
    if (ip === undefined || relayIpProblem(senderIp, ip) !== undefined) return undefined
    if (this.#netRestrict !== undefined && !this.#netRestrict.contains(ip)) return undefined
    if (!isValidPublicKey(wn.publicKey)) return undefined
    return makeNode({
      publicKey: wn.publicKey.slice(),
      ip,
      udpPort: wn.udpPort,
      tcpPort: wn.tcpPort,
    })
  }

  // -------------------------------------------------------------------------------------------
  // Packets out

  #send(to: UdpAddress, packet: Packet): Uint8Array {
    const { bytes, hash } = encodePacket(packet, this.#privateKey)
    this.stats.packetsOut++
    this.stats.bytesOut += bytes.length
    this.#socket?.send(bytes, to)
    return hash
  }

  #expiration(): bigint {
    return expirationAfter(this.clock.now(), packetExpirationMs)
  }

  #ourEndpoint(): Endpoint {
    const ip = this.#announcedIp()
    const udp = this.#opts.announce?.udpPort ?? this.#bound?.port ?? 0
    return {
      ip: ip === undefined ? emptyIp : ipToBytes(ip),
      udpPort: udp,
      tcpPort: this.#opts.tcpPort ?? 0,
    }
  }

  #announcedIp(): string | undefined {
    if (this.#opts.announce?.ip !== undefined) return this.#opts.announce.ip
    const host = this.#opts.listen?.host
    if (host !== undefined && isIp(host) && !isUnspecifiedIp(host)) return host
    return this.#predictedIp ?? '127.0.0.1'
  }

  // -------------------------------------------------------------------------------------------
  // Our record

  #entries(): Record<string, RlpInput | undefined> {
    const ep = this.#ourEndpoint()
    const ip = bytesToIp(ep.ip)
    const v6 = ip !== undefined && ipFamily(ip) === 6
    const tcp = ep.tcpPort > 0 ? ep.tcpPort : undefined
    return {
      ...(this.#opts.enrEntries ?? {}),
      [v6 ? 'ip6' : 'ip']: ip === undefined ? undefined : ep.ip,
      [v6 ? 'udp6' : 'udp']: ep.udpPort > 0 ? ep.udpPort : undefined,
      [v6 ? 'tcp6' : 'tcp']: tcp,
      eth: this.#forkId === undefined ? undefined : ethEntry(this.#forkId),
    }
  }

  #contentOf(entries: Record<string, RlpInput | undefined>): string {
    const keys = Object.keys(entries)
      .filter((k) => entries[k] !== undefined)
      .sort()
    return bytesToHex(rlpEncode(keys.flatMap((k) => [k, rlpEncode(entries[k] as RlpInput)])))
  }

  #signLocal(seq: bigint): Enr {
    const entries = this.#entries()
    this.#localContent = this.#contentOf(entries)
    return Enr.sign({ privateKey: this.#privateKey, seq, entries })
  }

  /** Re-signs our record with seq + 1 if its content changed. */
  #updateLocalEnr(): void {
    const content = this.#contentOf(this.#entries())
    if (this.#localEnr !== undefined && content === this.#localContent) return
    this.#localSeq += 1n
    this.#localEnr = this.#signLocal(this.#localSeq)
    this.#emitter.emit('localEnrChanged', this.#localEnr)
  }

  #maybeUpdateIp(): void {
    if (this.#opts.announce?.ip !== undefined) return
    const host = this.#opts.listen?.host
    if (host !== undefined && isIp(host) && !isUnspecifiedIp(host)) return
    const ip = this.#endpoints.predict(this.clock.now())
    if (ip === undefined || ip === this.#predictedIp) return
    if (isLoopbackIp(ip) && this.#predictedIp === undefined) return
    this.#predictedIp = ip
    this.#updateLocalEnr()
  }

  // -------------------------------------------------------------------------------------------
  // Table upkeep: seeds, refresh, revalidation, persistence

  /** A random 64-byte lookup target. */
  randomTarget(): Uint8Array {
    // Any 64 bytes will do: the searched id is their hash.
    return Uint8Array.from({ length: 64 }, () => Math.floor(this.random() * 256))
  }

  /** @internal The lookup loop behind `lookup`, refresh and random walks. */
  lookupInternal(
    targetKey: Uint8Array,
    signal?: AbortSignal,
    onFound?: (nodes: DiscoveredNode[]) => void,
  ): Promise<DiscoveredNode[]> {
    this.stats.lookups++
    const target = keccak256(targetKey)
    let sig = this.#abort.signal
    if (signal !== undefined) {
      sig = AbortSignal.any([signal, this.#abort.signal])
      setMaxListeners(0, sig) // one listener per query in flight
    }
    return runLookup({
      target,
      selfHex: this.selfHex,
      seeds: this.table.closest(target, bucketSize),
      query: (n) => this.#trackedFindNode(n, targetKey, sig),
      ...(onFound === undefined ? {} : { onFound }),
      signal: sig,
    })
  }

  async #trackedFindNode(
    node: DiscoveredNode,
    targetKey: Uint8Array,
    signal: AbortSignal,
  ): Promise<DiscoveredNode[]> {
    let nodes: DiscoveredNode[] = []
    let failed = false
    try {
      nodes = await this.findNode(node, targetKey, { signal })
    } catch (err) {
      if (signal.aborted || this.#state !== 'running') return []
      failed = true
      this.log.trace('discv4: FindNode failed', { node: node.idHex, err: String(err) })
    }
    const success = !failed && nodes.length > 0
    const fails = success ? 0 : this.#bonds.findFails(node.idHex, node.ip) + 1
    this.#bonds.setFindFails(node.idHex, node.ip, fails)
    this.table.findnodeOutcome(node, fails)
    for (const n of nodes) this.table.add(n)
    this.#scheduleRevalidation()
    return nodes
  }

  /** Lookups of ourselves and 3 random targets; seeds first. One at a time. */
  #refresh(): Promise<void> {
    if (this.#refreshing !== undefined) return this.#refreshing
    if (this.#refreshTimer !== undefined) {
      this.clock.clearTimeout(this.#refreshTimer)
      this.#refreshTimer = undefined
    }
    const run = async () => {
      this.#loadSeeds()
      try {
        await this.lookupInternal(this.#publicKey)
        for (let i = 0; i < 3 && this.#state === 'running'; i++) {
          await this.lookupInternal(this.randomTarget())
        }
      } catch (err) {
        if (this.#state === 'running')
          this.log.debug('discv4: refresh failed', { err: String(err) })
      }
    }
    this.#refreshing = run().finally(() => {
      this.#refreshing = undefined
      if (this.#state !== 'running') return
      if (!this.#initDone) {
        this.#initDone = true
        this.#emitter.emit('ready', undefined)
      }
      const half = this.#refreshIntervalMs / 2
      this.#refreshTimer = this.clock.setTimeout(
        () => {
          this.#refreshTimer = undefined
          this.#track(this.#refresh())
        },
        half + Math.floor(this.random() * half),
      )
    })
    return this.#refreshing
  }

  /** Puts the seeds into the table: recent nodes from the data directory, then the bootnodes. */
  #loadSeeds(): void {
    const now = this.clock.now()
    const seeds = this.#storedSeeds
      .filter((s) => now - s.bond.lastPongReceivedMs < seedMaxAgeMs)
      .sort((a, b) => b.bond.lastPongReceivedMs - a.bond.lastPongReceivedMs)
      .slice(0, seedCount)
    for (const s of seeds) this.table.add(s.node)
    for (const n of this.#nursery) this.table.add(n)
    this.#scheduleRevalidation()
  }

  #scheduleRevalidation(): void {
    if (this.#state !== 'running') return
    const now = this.clock.now()
    const { due, nextMs } = this.table.nextRevalidation(now)
    for (const e of due) this.#track(this.#revalidate(e))
    if (nextMs >= this.#revalTimerAt && this.#revalTimer !== undefined) return
    if (this.#revalTimer !== undefined) this.clock.clearTimeout(this.#revalTimer)
    this.#revalTimer = undefined
    this.#revalTimerAt = nextMs
    if (!Number.isFinite(nextMs)) return
    this.#revalTimer = this.clock.setTimeout(
      () => {
        this.#revalTimer = undefined
        this.#revalTimerAt = Number.POSITIVE_INFINITY
        this.#scheduleRevalidation()
      },
      Math.max(0, nextMs - now),
    )
  }

  async #revalidate(e: TableEntry): Promise<void> {
    const node = e.node
    let responded = false
    let newRecord: DiscoveredNode | undefined
    try {
      const pong = await this.#ping(node, this.#abort.signal)
      responded = true
      if (pong.enrSeq !== undefined && pong.enrSeq > nodeSeq(node)) {
        try {
          newRecord = await this.requestEnr(node, { signal: this.#abort.signal })
        } catch (err) {
          this.log.trace('discv4: ENR request failed', { node: node.idHex, err: String(err) })
        }
      }
    } catch {}
    if (this.#state !== 'running') return
    this.table.revalidated(e, responded, newRecord)
    this.#scheduleRevalidation()
  }

  #schedulePersist(): void {
    if (this.#opts.dataDir === undefined || this.#state !== 'running') return
    this.#persistTimer = this.clock.setTimeout(() => {
      this.#persistTimer = undefined
      this.#track(
        this.#writeStore()
          .catch((err) =>
            this.log.warn('discv4: could not write the node table', { err: String(err) }),
          )
          .finally(() => this.#schedulePersist()),
      )
    }, this.#persistIntervalMs)
  }

  async #loadStore(): Promise<void> {
    const dir = this.#opts.dataDir
    let seq: bigint | undefined
    let content: string | undefined
    if (dir !== undefined) {
      try {
        const state = await readStore(dir)
        if (state !== undefined && state.selfId === this.selfHex) {
          seq = state.localSeq
          content = state.localContent
          for (const s of state.nodes) this.#bonds.restore(s.node.idHex, s.node.ip, s.bond)
          this.#storedSeeds = [...state.nodes]
        } else if (state !== undefined) {
          // Another key wrote it: its nodes are still good seeds, its proofs are not ours.
          this.#storedSeeds = state.nodes.map((s) => ({
            ...s,
            bond: {
              lastPingReceivedMs: 0,
              lastPongReceivedMs: s.bond.lastPongReceivedMs,
              findFails: 0,
            },
          }))
        }
      } catch (err) {
        this.log.warn('discv4: ignoring the node table file', { err: String(err) })
      }
    }
    const current = this.#contentOf(this.#entries())
    if (seq === undefined) this.#localSeq = BigInt(Math.floor(this.clock.now()))
    else this.#localSeq = current === content ? seq : seq + 1n
  }

  async #writeStore(): Promise<void> {
    const dir = this.#opts.dataDir
    if (dir === undefined) return
    const nodes: StoredNode[] = []
    const seen = new Set<string>()
    const push = (e: TableEntry) => {
      if (seen.has(e.node.idHex) || nodes.length >= maxPersistedNodes) return
      seen.add(e.node.idHex)
      const b = this.#bonds.get(e.node.idHex, e.node.ip) ?? {
        lastPingReceivedMs: 0,
        lastPongReceivedMs: 0,
        findFails: 0,
      }
      nodes.push({ node: e.node, bond: { ...b }, checks: e.livenessChecks })
    }
    for (const e of this.table.entries()) push(e)
    for (const e of this.table.replacementEntries()) push(e)
    // Nodes we still remember from the last run stay, if there is room.
    for (const s of this.#storedSeeds) {
      if (seen.has(s.node.idHex) || nodes.length >= maxPersistedNodes) continue
      seen.add(s.node.idHex)
      nodes.push(s)
    }
    await writeStore(dir, {
      selfId: this.selfHex,
      localSeq: this.#localSeq,
      localContent: this.#localContent,
      nodes,
    })
  }

  async #resolveBootnodes(specs: readonly string[]): Promise<DiscoveredNode[]> {
    const out: DiscoveredNode[] = []
    for (const spec of specs) {
      try {
        if (spec.startsWith('enr:')) {
          const n = nodeFromEnr(Enr.fromText(spec))
          if (n === undefined) throw new Discv4Error('ErrInvalidEnr', 'record has no UDP endpoint')
          out.push(n)
          continue
        }
        const p = parseEnode(spec)
        const ip = isIp(p.host) ? p.host : await this.#lookupHost(p.host)
        out.push(makeNode({ publicKey: p.publicKey, ip, udpPort: p.udpPort, tcpPort: p.tcpPort }))
      } catch (err) {
        // A bad bootnode is the caller's mistake: refuse to start rather than run without it.
        throw isDiscv4Error(err)
          ? err
          : new Discv4Error('ErrInvalidArgument', `bootnode ${spec}`, { cause: err })
      }
    }
    return out
  }

  #track(p: Promise<unknown>): void {
    const q = p.catch(() => {})
    this.#tasks.add(q)
    q.finally(() => this.#tasks.delete(q))
  }

  #checkRunning(): void {
    if (this.#state !== 'running') throw new Discv4Error('ErrClosed', 'discovery is not running')
  }

  /** @internal Waits until a node enters the table, `ms` pass, or the service stops. */
  waitForNodes(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (this.table.size > 0 || signal.aborted) {
        resolve()
        return
      }
      const done = () => {
        off()
        this.clock.clearTimeout(timer)
        signal.removeEventListener('abort', done)
        resolve()
      }
      const off = this.on('nodeAdded', done)
      const timer = this.clock.setTimeout(done, ms)
      signal.addEventListener('abort', done, { once: true })
      if (!this.#initDone || this.table.size === 0) this.#track(this.#refresh())
    })
  }
}

async function defaultLookupHost(host: string): Promise<string> {
  const { lookup } = await import('node:dns/promises')
  const r = await lookup(host)
  return r.address
}
