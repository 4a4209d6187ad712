import type { Clock, EthConnection, RandomSource } from '@ethwire/interface'
import { systemClock } from '@ethwire/interface/runtime'
import {
  type Block,
  type BlockBody,
  type BlockHeader,
  type BlockRangeUpdate,
  type Bytes,
  DisconnectReason,
  decodeMessage,
  type EthMessage,
  encodeMessage,
  isStatusEth69,
  isWireError,
  type Msg,
  MsgCode,
  type MsgName,
  type NewBlockHashesEntry,
  type ReceiptData,
  type Status,
  type Transaction,
  versionHasCode,
} from '@ethwire/rlp-wire'
import { broadcastQueueSize, maxKnownBlocks, maxKnownTxs } from './constants.js'
import { PeerError } from './errors.js'
import { KnownSet } from './known-set.js'

/** The kinds of request a peer can be sent; one response message answers each. */
export type RequestKind = 'headers' | 'bodies' | 'receipts' | 'nodeData' | 'pooledTxs'

const requestOf: Record<RequestKind, MsgName> = {
  headers: 'GetBlockHeaders',
  bodies: 'GetBlockBodies',
  receipts: 'GetReceipts',
  nodeData: 'GetNodeData',
  pooledTxs: 'GetPooledTransactions',
}
const kindOfResponse: Partial<Record<MsgName, RequestKind>> = {
  BlockHeaders: 'headers',
  BlockBodies: 'bodies',
  Receipts: 'receipts',
  NodeData: 'nodeData',
  PooledTransactions: 'pooledTxs',
}

/** The payload a request of each kind resolves with. */
export interface ResponseOf {
  headers: BlockHeader[]
  bodies: BlockBody[]
  receipts: ReceiptData[][]
  nodeData: Bytes[]
  pooledTxs: Transaction[]
}

/**
 * What `deliver` did with a message: it answered a pending request (`matched`); it was a
 * response nobody asked for or that came too late (`unsolicited`: pass it on, e.g. to the
 * downloader, or penalize); it matched a request but cannot be its answer (`invalid`: the request
 * failed with `ErrInvalidResponse`; penalize); or it is not a response at all (`not-a-response`).
 */
export type DeliverResult = 'matched' | 'unsolicited' | 'invalid' | 'not-a-response'

export interface RequestOptions {
  /**
   * Reject with `ErrTimeout` after this long. Default: the peer's `requestTimeoutMs`, which is
   * none — the requester owns its timeouts (pass `signal` and abort it); the peer only matches
   * responses.
   */
  timeoutMs?: number
  signal?: AbortSignal
}

export interface PeerDeps {
  /** The connection after a successful handshake. */
  conn: EthConnection
  /** The Status the peer sent in the handshake (its head, TD or block range). */
  status: Status
  clock?: Clock
  /** Random source in [0, 1) for the first request id (default Math.random). */
  random?: RandomSource
  /**
   * Called with every response that matched no pending request (also counted and returned as
   * `'unsolicited'` by `deliver`), e.g. to pass it on to the downloader or to penalize the peer.
   */
  onUnsolicited?: (msg: EthMessage, peer: Peer) => void
}

const responseCodes = new Set<number>([
  MsgCode.BlockHeaders,
  MsgCode.BlockBodies,
  MsgCode.Receipts,
  MsgCode.NodeData,
  MsgCode.PooledTransactions,
])

export interface PeerOptions {
  maxKnownBlocks?: number
  maxKnownTxs?: number
  /** Announcements queued per peer before new ones are dropped. */
  broadcastQueueSize?: number
  /** A timeout for requests that give none (default: none, the requester owns its timeouts). */
  requestTimeoutMs?: number
}

/** eth/69 peers: the block range they serve. */
export interface PeerBlockRange {
  earliestBlock: bigint
  latestBlock: bigint
  latestBlockHash: Bytes
}

interface Pending {
  kind: RequestKind
  /** How many items were asked for: a longer answer is invalid. */
  limit: number
  resolve: (v: unknown) => void
  reject: (e: unknown) => void
}

interface Waiter {
  start: () => void
  cancel: (err: unknown) => void
}

/**
 * A live eth peer: what we know of its chain and of the blocks and transactions it has, helpers
 * to send it announcements (directly or through a bounded queue) and to request data from it with
 * promises matched to responses (by request id on eth/66+, one in flight per kind on eth/62–63).
 *
 * The peer does not read its connection: whoever does (the protocol manager) hands responses to
 * {@link Peer.deliver} and announcements to {@link Peer.observe}, and calls {@link Peer.close}
 * when the connection ends.
 */
export class Peer {
  readonly id: string
  readonly version: number
  readonly conn: EthConnection
  readonly knownBlocks: KnownSet
  readonly knownTxs: KnownSet
  readonly requestTimeoutMs: number | undefined

  #headHash: Bytes
  #td: bigint | undefined
  #range: PeerBlockRange | undefined
  readonly #clock: Clock
  readonly #onUnsolicited: ((msg: EthMessage, peer: Peer) => void) | undefined
  readonly #queueLimit: number
  readonly #queue: EthMessage[] = []
  #draining = false
  #dropped = 0
  #sent = 0
  #unsolicited = 0
  #closed: PeerError | undefined
  #nextId: bigint
  readonly #pending = new Map<bigint, Pending>()
  /** eth/62–63: the request in flight per kind and the ones waiting behind it. */
  readonly #legacyInFlight = new Map<RequestKind, Pending>()
  readonly #legacyWaiting = new Map<RequestKind, Waiter[]>()
  readonly #idleWaiters: (() => void)[] = []

  constructor(deps: PeerDeps, options: PeerOptions = {}) {
    this.conn = deps.conn
    this.id = deps.conn.remoteId
    this.version = deps.conn.version
    this.#clock = deps.clock ?? systemClock
    this.#onUnsolicited = deps.onUnsolicited
    this.knownBlocks = new KnownSet(options.maxKnownBlocks ?? maxKnownBlocks)
    this.knownTxs = new KnownSet(options.maxKnownTxs ?? maxKnownTxs)
    this.#queueLimit = options.broadcastQueueSize ?? broadcastQueueSize
    this.requestTimeoutMs = options.requestTimeoutMs
    const s = deps.status
    if (isStatusEth69(s)) {
      this.#headHash = s.latestBlockHash
      this.#range = {
        earliestBlock: s.earliestBlock,
        latestBlock: s.latestBlock,
        latestBlockHash: s.latestBlockHash,
      }
    } else {
      this.#headHash = s.head
      this.#td = s.td
    }
    this.#nextId = BigInt(Math.floor((deps.random ?? Math.random)() * 2 ** 32))
  }

  // -------------------------------------------------------------------------------------------
  // Chain state

  /** Hash of the peer's head block as far as we know. */
  get headHash(): Bytes {
    return this.#headHash
  }

  /** Total difficulty of the peer's head (eth/62–68); undefined on eth/69. */
  get td(): bigint | undefined {
    return this.#td
  }

  /** The block range the peer serves (eth/69); undefined before. */
  get blockRange(): PeerBlockRange | undefined {
    return this.#range
  }

  /** Records a new head (and its total difficulty, on eth/62–68). */
  setHead(hash: Bytes, td?: bigint): void {
    this.#headHash = hash
    if (td !== undefined && this.#range === undefined) this.#td = td
  }

  /** Records a new block range (eth/69 `BlockRangeUpdate`); the latest block becomes the head. */
  setBlockRange(range: BlockRangeUpdate): void {
    this.#range = { ...range }
    this.#headHash = range.latestBlockHash
  }

  /** Whether the peer is known to have the block. */
  knowsBlock(hash: Bytes): boolean {
    return this.knownBlocks.has(hash)
  }

  /** Whether the peer is known to have the transaction. */
  knowsTx(hash: Bytes): boolean {
    return this.knownTxs.has(hash)
  }

  markBlock(hash: Bytes): void {
    this.knownBlocks.add(hash)
  }

  markTransaction(hash: Bytes): void {
    this.knownTxs.add(hash)
  }

  /**
   * Updates what we know from an announcement the peer sent: `NewBlock` (block known; on
   * eth/62–68 head and TD if higher, using the parent and TD minus difficulty as go-ethereum does), `NewBlockHashes`
   * (blocks known), `Transactions`, `PooledTransactions` and `NewPooledTransactionHashes` (txs
   * known), `BlockRangeUpdate` (range and head). Other messages are ignored.
   */
  observe(msg: EthMessage): void {
    switch (msg.name) {
      case 'NewBlock': {
        this.markBlock(msg.block.hash)
        // eth/69 peers report their head through BlockRangeUpdate, not TD.
        if (this.#range !== undefined) return
        const trueTd = msg.td - msg.block.header.difficulty
        if (this.#td === undefined || trueTd > this.#td) {
          this.setHead(msg.block.header.parentHash, trueTd)
        }
        return
      }
      case 'NewBlockHashes':
        for (const e of msg.entries) this.markBlock(e.hash)
        return
      case 'Transactions':
      case 'PooledTransactions':
        for (const tx of msg.txs) this.markTransaction(tx.hash)
        return
      case 'NewPooledTransactionHashes':
        for (const h of msg.hashes) this.markTransaction(h)
        return
      case 'BlockRangeUpdate':
        this.setBlockRange(msg.range)
        return
      default:
        return
    }
  }

  // -------------------------------------------------------------------------------------------
  // Sending

  /** Encodes `msg` for the peer's version and writes it. */
  async send(msg: EthMessage): Promise<void> {
    if (this.#closed) throw this.#closed
    let encoded: { code: number; payload: Uint8Array }
    try {
      encoded = encodeMessage(this.version, msg)
    } catch (err) {
      if (isWireError(err, 'ErrUnknownCode')) {
        throw new PeerError('ErrUnsupported', `eth/${this.version} has no ${msg.name}`, {
          cause: err,
        })
      }
      throw err
    }
    try {
      await this.conn.writeMsg(encoded.code, encoded.payload)
    } catch (err) {
      if (isWireError(err, 'ErrClosed')) {
        this.close()
        throw new PeerError('ErrClosed', `peer ${this.id} closed`, { cause: err })
      }
      throw err
    }
  }

  /** Announces block hashes (marks them known). */
  sendNewBlockHashes(entries: NewBlockHashesEntry[]): Promise<void> {
    for (const e of entries) this.markBlock(e.hash)
    return this.send({ name: 'NewBlockHashes', entries })
  }

  /** Sends a whole block with its total difficulty (marks it known). */
  sendNewBlock(block: Block, td: bigint): Promise<void> {
    this.markBlock(block.hash)
    return this.send({ name: 'NewBlock', block, td })
  }

  /** Sends full transactions (marks them known). */
  sendTransactions(txs: Transaction[]): Promise<void> {
    for (const tx of txs) this.markTransaction(tx.hash)
    return this.send({ name: 'Transactions', txs })
  }

  /**
   * Announces transactions by hash (eth/65+; marks them known). eth/68+ also sends each
   * transaction's type and size.
   */
  sendPooledTransactionHashes(txs: readonly Transaction[]): Promise<void> {
    for (const tx of txs) this.markTransaction(tx.hash)
    return this.send(pooledHashes(txs))
  }

  /** Tells an eth/69 peer the block range we serve. */
  sendBlockRangeUpdate(range: BlockRangeUpdate): Promise<void> {
    return this.send({ name: 'BlockRangeUpdate', range })
  }

  /** Answers one of the peer's requests (eth/66+: `requestId` from the request). */
  reply(msg: EthMessage): Promise<void> {
    return this.send(msg)
  }

  // -------------------------------------------------------------------------------------------
  // Queued broadcasts

  /** Announcements dropped because this peer's queue was full. */
  get droppedBroadcasts(): number {
    return this.#dropped
  }

  /** Announcements written from the queue. */
  get sentBroadcasts(): number {
    return this.#sent
  }

  /** Announcements waiting in the queue. */
  get queuedBroadcasts(): number {
    return this.#queue.length
  }

  /**
   * Queues an announcement for this peer without waiting for the connection: returns false (and
   * counts a drop) when the queue is full or the peer is closed. A stalled peer fills its own
   * queue and never delays anyone else.
   */
  enqueue(msg: EthMessage): boolean {
    if (this.#closed || this.#queue.length >= this.#queueLimit) {
      this.#dropped++
      return false
    }
    this.#queue.push(msg)
    if (!this.#draining) void this.#drain()
    return true
  }

  queueNewBlockHashes(entries: NewBlockHashesEntry[]): boolean {
    const ok = this.enqueue({ name: 'NewBlockHashes', entries })
    if (ok) for (const e of entries) this.markBlock(e.hash)
    return ok
  }

  queueNewBlock(block: Block, td: bigint): boolean {
    const ok = this.enqueue({ name: 'NewBlock', block, td })
    if (ok) this.markBlock(block.hash)
    return ok
  }

  queueTransactions(txs: Transaction[]): boolean {
    const ok = this.enqueue({ name: 'Transactions', txs })
    if (ok) for (const tx of txs) this.markTransaction(tx.hash)
    return ok
  }

  queuePooledTransactionHashes(txs: readonly Transaction[]): boolean {
    const ok = this.enqueue(pooledHashes(txs))
    if (ok) for (const tx of txs) this.markTransaction(tx.hash)
    return ok
  }

  queueBlockRangeUpdate(range: BlockRangeUpdate): boolean {
    return this.enqueue({ name: 'BlockRangeUpdate', range })
  }

  /** Resolves once the broadcast queue is empty (or the peer closed). */
  flushed(): Promise<void> {
    if (!this.#draining || this.#closed) return Promise.resolve()
    return new Promise((resolve) => this.#idleWaiters.push(resolve))
  }

  async #drain(): Promise<void> {
    this.#draining = true
    try {
      while (this.#queue.length > 0 && !this.#closed) {
        const msg = this.#queue.shift()!
        try {
          await this.send(msg)
          this.#sent++
        } catch {
          // The connection failing closes the peer (see send); an unencodable message is dropped.
          this.#dropped++
        }
      }
    } finally {
      this.#draining = false
      for (const w of this.#idleWaiters.splice(0)) w()
    }
  }

  // -------------------------------------------------------------------------------------------
  // Requests

  /** Headers starting at a block hash. */
  requestHeadersByHash(
    req: { hash: Bytes; amount: number; skip?: number; reverse?: boolean },
    opts?: RequestOptions,
  ): Promise<BlockHeader[]> {
    return this.#request(
      'headers',
      req.amount,
      (requestId) => ({
        name: 'GetBlockHeaders',
        requestId,
        request: {
          origin: { hash: req.hash },
          amount: BigInt(req.amount),
          skip: BigInt(req.skip ?? 0),
          reverse: req.reverse ?? false,
        },
      }),
      opts,
    )
  }

  /** Headers starting at a block number. */
  requestHeadersByNumber(
    req: { number: bigint; amount: number; skip?: number; reverse?: boolean },
    opts?: RequestOptions,
  ): Promise<BlockHeader[]> {
    return this.#request(
      'headers',
      req.amount,
      (requestId) => ({
        name: 'GetBlockHeaders',
        requestId,
        request: {
          origin: { number: req.number },
          amount: BigInt(req.amount),
          skip: BigInt(req.skip ?? 0),
          reverse: req.reverse ?? false,
        },
      }),
      opts,
    )
  }

  requestBodies(hashes: Bytes[], opts?: RequestOptions): Promise<BlockBody[]> {
    return this.#request(
      'bodies',
      hashes.length,
      (requestId) => ({ name: 'GetBlockBodies', requestId, hashes }),
      opts,
    )
  }

  requestReceipts(hashes: Bytes[], opts?: RequestOptions): Promise<ReceiptData[][]> {
    return this.#request(
      'receipts',
      hashes.length,
      (requestId) => ({ name: 'GetReceipts', requestId, hashes }),
      opts,
    )
  }

  /** State trie nodes or code by hash (eth/63–66 only). */
  requestNodeData(hashes: Bytes[], opts?: RequestOptions): Promise<Bytes[]> {
    return this.#request(
      'nodeData',
      hashes.length,
      (requestId) => ({ name: 'GetNodeData', requestId, hashes }),
      opts,
    )
  }

  /** Pooled transactions by hash (eth/65+). */
  requestPooledTransactions(hashes: Bytes[], opts?: RequestOptions): Promise<Transaction[]> {
    return this.#request(
      'pooledTxs',
      hashes.length,
      (requestId) => ({ name: 'GetPooledTransactions', requestId, hashes }),
      opts,
    )
  }

  /** Requests waiting for their response. */
  get pendingRequests(): number {
    return this.#pending.size + this.#legacyInFlight.size
  }

  /** Responses that matched no request (late, unasked or with an unknown id). */
  get unsolicitedResponses(): number {
    return this.#unsolicited
  }

  #request<K extends RequestKind>(
    kind: K,
    limit: number,
    build: (requestId: bigint | undefined) => EthMessage,
    opts: RequestOptions = {},
  ): Promise<ResponseOf[K]> {
    if (this.#closed) return Promise.reject(this.#closed)
    if (!versionHasCode(this.version, MsgCode[requestOf[kind]])) {
      return Promise.reject(
        new PeerError('ErrUnsupported', `eth/${this.version} has no ${requestOf[kind]}`),
      )
    }
    const signal = opts.signal
    if (signal?.aborted) return Promise.reject(signal.reason)
    const timeoutMs = opts.timeoutMs ?? this.requestTimeoutMs
    const legacy = this.version < 66

    return new Promise<ResponseOf[K]>((resolve, reject) => {
      let timer: unknown
      let requestId: bigint | undefined
      let done = false
      const finish = () => {
        done = true
        if (timer !== undefined) this.#clock.clearTimeout(timer)
        signal?.removeEventListener('abort', onAbort)
        if (legacy) {
          if (this.#legacyInFlight.get(kind) === entry) {
            this.#legacyInFlight.delete(kind)
            this.#startNextLegacy(kind)
          }
        } else if (requestId !== undefined) this.#pending.delete(requestId)
      }
      const entry: Pending = {
        kind,
        limit,
        resolve: (v) => {
          finish()
          resolve(v as ResponseOf[K])
        },
        reject: (e) => {
          finish()
          reject(e)
        },
      }
      const waiter: Waiter = {
        start: () => {
          if (done) return
          if (legacy) this.#legacyInFlight.set(kind, entry)
          else {
            requestId = this.#nextId
            this.#nextId = BigInt.asUintN(64, this.#nextId + 1n)
            this.#pending.set(requestId, entry)
          }
          if (timeoutMs !== undefined) {
            timer = this.#clock.setTimeout(
              () =>
                entry.reject(
                  new PeerError(
                    'ErrTimeout',
                    `${requestOf[kind]} to ${this.id}: no answer in ${timeoutMs} ms`,
                  ),
                ),
              timeoutMs,
            )
          }
          this.send(build(requestId)).catch((err) => entry.reject(err))
        },
        cancel: (err) => {
          if (done) return
          done = true
          signal?.removeEventListener('abort', onAbort)
          reject(err)
        },
      }
      const onAbort = () => {
        const reason = signal!.reason
        if (this.#isWaiting(kind, waiter)) {
          this.#removeWaiter(kind, waiter)
          waiter.cancel(reason)
        } else entry.reject(reason)
      }
      signal?.addEventListener('abort', onAbort, { once: true })

      if (legacy && this.#legacyInFlight.has(kind)) {
        const q = this.#legacyWaiting.get(kind) ?? []
        q.push(waiter)
        this.#legacyWaiting.set(kind, q)
      } else waiter.start()
    })
  }

  #isWaiting(kind: RequestKind, w: Waiter): boolean {
    return this.#legacyWaiting.get(kind)?.includes(w) ?? false
  }

  #removeWaiter(kind: RequestKind, w: Waiter): void {
    const q = this.#legacyWaiting.get(kind)
    if (q === undefined) return
    const i = q.indexOf(w)
    if (i >= 0) q.splice(i, 1)
  }

  #startNextLegacy(kind: RequestKind): void {
    const next = this.#legacyWaiting.get(kind)?.shift()
    if (next !== undefined) next.start()
  }

  /**
   * Hands the peer a message it sent. A response (`BlockHeaders`, `BlockBodies`, `Receipts`,
   * `NodeData`, `PooledTransactions`) that answers a pending request resolves it; see
   * {@link DeliverResult} for the rest. Raw `Msg`s are decoded first (a decode failure throws
   * the `WireError`).
   */
  deliver(message: EthMessage | Msg): DeliverResult {
    // Raw messages that cannot be responses are not decoded here.
    if (!('name' in message) && !responseCodes.has(message.code)) return 'not-a-response'
    const msg: EthMessage = 'name' in message ? message : decodeMessage(this.version, message)
    const kind = kindOfResponse[msg.name]
    if (kind === undefined) return 'not-a-response'
    let entry: Pending | undefined
    if (this.version >= 66) {
      const id = (msg as { requestId?: bigint }).requestId
      entry = id === undefined ? undefined : this.#pending.get(id)
      if (entry !== undefined && entry.kind !== kind) entry = undefined
    } else entry = this.#legacyInFlight.get(kind)
    if (entry === undefined) {
      this.#unsolicited++
      this.#onUnsolicited?.(msg, this)
      return 'unsolicited'
    }
    const items = responseItems(msg)
    if (items.length > entry.limit) {
      entry.reject(
        new PeerError(
          'ErrInvalidResponse',
          `${msg.name}: ${items.length} items for ${entry.limit} asked`,
        ),
      )
      return 'invalid'
    }
    entry.resolve(items)
    return 'matched'
  }

  /** Alias of {@link Peer.deliver}. */
  handleResponse(message: EthMessage | Msg): DeliverResult {
    return this.deliver(message)
  }

  // -------------------------------------------------------------------------------------------
  // Lifecycle

  get closed(): boolean {
    return this.#closed !== undefined
  }

  /**
   * Marks the peer closed (call it when its connection ends): pending and waiting requests
   * reject with `ErrClosed`, queued announcements are dropped. Leaves no timers behind.
   */
  close(): void {
    if (this.#closed) return
    const err = new PeerError('ErrClosed', `peer ${this.id} closed`)
    this.#closed = err
    this.#queue.length = 0
    for (const q of this.#legacyWaiting.values()) for (const w of q.splice(0)) w.cancel(err)
    for (const e of [...this.#pending.values()]) e.reject(err)
    for (const e of [...this.#legacyInFlight.values()]) e.reject(err)
    for (const w of this.#idleWaiters.splice(0)) w()
  }

  /** Closes the connection with `reason` and the peer. */
  async disconnect(reason: number = DisconnectReason.Requested): Promise<void> {
    this.close()
    await this.conn.close(reason).catch(() => {})
  }

  /** A snapshot for logs and admin APIs. */
  info(): {
    id: string
    version: number
    headHash: Bytes
    td?: bigint
    blockRange?: PeerBlockRange
    remoteAddress: string
  } {
    return {
      id: this.id,
      version: this.version,
      headHash: this.#headHash,
      ...(this.#td !== undefined ? { td: this.#td } : {}),
      ...(this.#range !== undefined ? { blockRange: { ...this.#range } } : {}),
      remoteAddress: this.conn.remoteAddress,
    }
  }
}

function pooledHashes(txs: readonly Transaction[]): EthMessage {
  return {
    name: 'NewPooledTransactionHashes',
    hashes: txs.map((t) => t.hash),
    types: txs.map((t) => t.type),
    sizes: txs.map((t) => t.size),
  }
}

function responseItems(msg: EthMessage): unknown[] {
  switch (msg.name) {
    case 'BlockHeaders':
      return msg.headers
    case 'BlockBodies':
      return msg.bodies
    case 'Receipts':
      return msg.receipts
    case 'NodeData':
      return msg.data
    case 'PooledTransactions':
      return msg.txs
    default:
      return []
  }
}
