/**
 * One RLPx connection: the ECIES handshake, the Hello exchange, then the running session that
 * multiplexes capabilities over frames, answers Pings, keeps the peer alive and handles
 * Disconnect both ways.
 */
import type { Clock } from '@ethwire/interface'
import { equalBytes, toHex } from './bytes.js'
import {
  baseProtocolLength,
  maxBaseMessageSizeBytes,
  maxHandshakeMessageBytes,
  p2pProtocolVersion,
  readQueueHighWaterBytes,
  snappyMinP2pVersion,
} from './constants.js'
import type { CryptoBackend } from './crypto.js'
import { publicKeyOf, randomSecretKey } from './ecies.js'
import { RlpxError, refusalCode } from './errors.js'
import { FrameCodec, type RawFrame } from './frame.js'
import {
  createAck,
  createAuth,
  deriveSecrets,
  HandshakeReader,
  readAck,
  readAuth,
} from './handshake.js'
import {
  type CapabilitySpec,
  decodeDisconnect,
  decodeHello,
  emptyList,
  encodeDisconnect,
  encodeHello,
  type Hello,
  matchCapabilities,
  P2pCode,
  type SharedCapability,
} from './p2p.js'
import { isSnappyTooLarge, snappyCompress, snappyUncompress } from './snappy.js'
import type { RandomBytes, RlpxSocket } from './types.js'
import {
  type CloseInfo,
  type Direction,
  DisconnectReason,
  disconnectReasonName,
  type EthConnection,
  type Msg,
  WireError,
} from './wire.js'

export interface SessionOptions {
  readonly nodeKey: Uint8Array
  readonly clientId: string
  readonly listenPort: number
  readonly capabilities: readonly CapabilitySpec[]
  readonly backend: CryptoBackend
  readonly clock: Clock
  readonly random: RandomBytes
  readonly handshakeTimeoutMs: number
  readonly pingIntervalMs: number
  readonly pongTimeoutMs: number
  readonly disconnectGraceMs: number
  readonly maxMessageSizeBytes: number
  readonly maxFrameSizeBytes: number
}

export interface HandshakeParams extends SessionOptions {
  readonly role: 'initiator' | 'recipient'
  /** The node we dial (initiator only). */
  readonly remoteId?: Uint8Array
  /** How to name the peer in `remoteAddress`; derived from the socket when absent. */
  readonly remoteAddress?: string
  readonly signal?: AbortSignal
  /** Send the pre-EIP-8 auth form (to test the old format on receipt). */
  readonly legacyAuth?: boolean
  /**
   * Called with the remote node id once the encryption handshake is done, before Hello; return a
   * disconnect reason to refuse the peer (it is told the reason as its first frame, and the
   * handshake fails with `ErrTooManyPeers` / `ErrAlreadyConnected` / `ErrStopped` / `ErrIdentity`
   * / `ErrRefused`, see `refusalCode`, carrying the reason).
   */
  readonly admit?: (remoteId: string) => number | undefined
}

function abortError(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('The operation was aborted', 'AbortError')
}

/** Pulls chunks from a socket for the sequential handshake code. */
class ByteSource {
  private readonly chunks: Uint8Array[] = []
  private waiter: { resolve: (c: Uint8Array) => void; reject: (e: unknown) => void } | undefined
  private error: unknown
  private readonly onData = (c: Uint8Array) => {
    if (this.waiter) {
      const w = this.waiter
      this.waiter = undefined
      w.resolve(c)
    } else this.chunks.push(c)
  }
  private readonly onEnd = () =>
    this.fail(new RlpxError('ErrDisconnected', 'connection closed during the handshake'))
  private readonly onError = (e: Error) =>
    this.fail(new RlpxError('ErrNetwork', e.message, { cause: e }))

  constructor(private readonly socket: RlpxSocket) {
    socket.on('data', this.onData)
    socket.on('end', this.onEnd)
    socket.on('close', this.onEnd)
    socket.on('error', this.onError)
  }

  next(): Promise<Uint8Array> {
    const c = this.chunks.shift()
    if (c) return Promise.resolve(c)
    if (this.error !== undefined) return Promise.reject(this.error)
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject }
    })
  }

  fail(err: unknown): void {
    if (this.error !== undefined) return
    this.error = err
    const w = this.waiter
    this.waiter = undefined
    w?.reject(err)
  }

  /** Stops listening; returns chunks not consumed yet. */
  detach(): Uint8Array[] {
    this.socket.removeListener('data', this.onData)
    this.socket.removeListener('end', this.onEnd)
    this.socket.removeListener('close', this.onEnd)
    this.socket.removeListener('error', this.onError)
    return this.chunks.splice(0)
  }
}

/** Half-closes the socket, then destroys it if the peer has not closed within `graceMs`. */
function endGracefully(socket: RlpxSocket, clock: Clock, graceMs: number): void {
  if (socket.destroyed) return
  const t = clock.setTimeout(() => socket.destroy(), graceMs)
  socket.on('close', () => clock.clearTimeout(t))
  try {
    socket.end()
  } catch {
    socket.destroy()
  }
}

function writeParts(socket: RlpxSocket, parts: Uint8Array[]): boolean {
  socket.cork?.()
  let ok = true
  for (const p of parts) ok = socket.write(p)
  socket.uncork?.()
  return ok
}

/**
 * Runs the whole handshake on a connected socket: ECIES auth/ack, secrets, Hello both ways,
 * capability matching. Resolves with the running session; rejects with an `RlpxError` (the socket
 * is then closed) or the signal's reason.
 */
export async function handshake(socket: RlpxSocket, p: HandshakeParams): Promise<RlpxSession> {
  const src = new ByteSource(socket)
  const timer = p.clock.setTimeout(
    () =>
      src.fail(
        new RlpxError(
          'ErrHandshakeTimeout',
          `handshake not done within ${p.handshakeTimeoutMs} ms`,
        ),
      ),
    p.handshakeTimeoutMs,
  )
  const onAbort = () => src.fail(abortError(p.signal!))
  p.signal?.addEventListener('abort', onAbort, { once: true })
  if (p.signal?.aborted) onAbort()
  let codec: FrameCodec | undefined
  let snappy = false
  let refused = false
  /** Tells the peer why and closes (only once frames are possible). */
  const refuse = (reason: number) => {
    if (codec && !socket.destroyed) {
      refused = true
      const payload = encodeDisconnect(reason)
      writeParts(
        socket,
        codec.encodeMessage(P2pCode.Disconnect, snappy ? snappyCompress(payload) : payload),
      )
    }
  }
  try {
    const ephemeralKey = randomSecretKey(p.random)
    const nonce = p.random(32)
    let auth: Uint8Array
    let ack: Uint8Array
    let remoteId: Uint8Array
    let remoteEphemeralId: Uint8Array
    let initiatorNonce: Uint8Array
    let recipientNonce: Uint8Array
    let reader: HandshakeReader
    if (p.role === 'initiator') {
      if (!p.remoteId) throw new RlpxError('ErrHandshake', 'initiator needs the remote node id')
      remoteId = p.remoteId
      auth = createAuth({
        nodeKey: p.nodeKey,
        remoteId,
        ephemeralKey,
        nonce,
        random: p.random,
        legacy: p.legacyAuth ?? false,
      })
      socket.write(auth)
      reader = HandshakeReader.forAck(maxHandshakeMessageBytes, (pkt) => {
        try {
          readAck(p.nodeKey, pkt, false)
          return true
        } catch {
          return false
        }
      })
      let got = reader.take()
      while (!got) {
        reader.push(await src.next())
        got = reader.take()
      }
      ack = got.packet
      const info = readAck(p.nodeKey, ack, got.eip8)
      remoteEphemeralId = info.remoteEphemeralId
      initiatorNonce = nonce
      recipientNonce = info.recipientNonce
    } else {
      reader = HandshakeReader.forAuth(maxHandshakeMessageBytes, (pkt) => {
        try {
          readAuth(p.nodeKey, pkt, false)
          return true
        } catch {
          return false
        }
      })
      let got = reader.take()
      while (!got) {
        reader.push(await src.next())
        got = reader.take()
      }
      auth = got.packet
      const info = readAuth(p.nodeKey, auth, got.eip8)
      remoteId = info.initiatorId
      remoteEphemeralId = info.remoteEphemeralId
      initiatorNonce = info.initiatorNonce
      recipientNonce = nonce
      ack = createAck({ remoteId, ephemeralKey, nonce, random: p.random, legacy: !got.eip8 })
      socket.write(ack)
    }
    const secrets = deriveSecrets({
      initiator: p.role === 'initiator',
      ephemeralKey,
      remoteEphemeralId,
      initiatorNonce,
      recipientNonce,
      auth,
      ack,
    })
    codec = await FrameCodec.create(secrets, p.backend, { maxFrameSizeBytes: p.maxFrameSizeBytes })
    codec.push(reader.rest())

    // Like geth, refuse (too many peers, already connected) right after the encryption
    // handshake: the Disconnect is then the first frame the peer reads, instead of our Hello.
    const remoteHex = toHex(remoteId)
    const verdict = p.admit?.(remoteHex)
    if (verdict !== undefined) {
      refuse(verdict)
      throw new RlpxError(refusalCode(verdict), `peer refused: ${disconnectReasonName(verdict)}`, {
        reason: verdict,
      })
    }

    const ourId = publicKeyOf(p.nodeKey)
    const ourHello: Hello = {
      protocolVersion: p2pProtocolVersion,
      clientId: p.clientId,
      capabilities: p.capabilities.flatMap((c) =>
        c.versions.map((version) => ({ name: c.name, version })),
      ),
      listenPort: p.listenPort,
      nodeId: ourId,
    }
    writeParts(socket, codec.encodeMessage(P2pCode.Hello, encodeHello(ourHello)))

    let frame: RawFrame | undefined = codec.next()
    while (!frame) {
      codec.push(await src.next())
      frame = codec.next()
    }
    if (frame.code === P2pCode.Disconnect) {
      const reason = decodeDisconnectLenient(frame.data) ?? DisconnectReason.Requested
      throw new RlpxError(
        'ErrDisconnected',
        `peer disconnected during the handshake: ${disconnectReasonName(reason)}`,
        {
          reason,
        },
      )
    }
    if (frame.code !== P2pCode.Hello) {
      refuse(DisconnectReason.ProtocolError)
      throw new RlpxError('ErrProtocol', `expected Hello, got message id ${frame.code}`)
    }
    if (frame.data.length > maxBaseMessageSizeBytes) {
      refuse(DisconnectReason.ProtocolError)
      throw new RlpxError('ErrProtocol', 'Hello too large')
    }
    let hello: Hello
    try {
      hello = decodeHello(frame.data)
    } catch (err) {
      refuse(DisconnectReason.ProtocolError)
      throw err
    }
    snappy = hello.protocolVersion >= snappyMinP2pVersion
    if (!equalBytes(hello.nodeId, remoteId)) {
      refuse(DisconnectReason.UnexpectedIdentity)
      throw new RlpxError('ErrIdentity', 'the node id in Hello is not the one from the handshake')
    }
    if (equalBytes(hello.nodeId, ourId)) {
      refuse(DisconnectReason.ConnectedToSelf)
      throw new RlpxError('ErrIdentity', 'connected to self')
    }
    const shared = matchCapabilities(p.capabilities, hello.capabilities)
    if (shared.length === 0) {
      refuse(DisconnectReason.UselessPeer)
      throw new RlpxError('ErrUselessPeer', 'no shared capability')
    }
    const leftover = src.detach()
    for (const c of leftover) codec.push(c)
    const remoteAddress = p.remoteAddress ?? describeRemote(socket, remoteHex, hello.listenPort)
    return new RlpxSession(socket, codec, p, {
      direction: p.role === 'initiator' ? 'outbound' : 'inbound',
      hello,
      remoteId: remoteHex,
      remoteAddress,
      shared,
      snappy,
    })
  } catch (err) {
    src.detach()
    if (!socket.destroyed) {
      // After a refusal the peer gets the grace period to read our Disconnect.
      if (refused) endGracefully(socket, p.clock, p.disconnectGraceMs)
      else socket.destroy()
    }
    throw err
  } finally {
    p.clock.clearTimeout(timer)
    p.signal?.removeEventListener('abort', onAbort)
  }
}

function describeRemote(socket: RlpxSocket, idHex: string, listenPort: number): string {
  const host = socket.remoteAddress ?? 'unknown'
  const h = host.includes(':') ? `[${host}]` : host
  return `enode://${idHex}@${h}:${listenPort > 0 ? listenPort : (socket.remotePort ?? 0)}`
}

/** Disconnect as sent before or without snappy, or compressed: take whichever decodes. */
function decodeDisconnectLenient(data: Uint8Array): number | undefined {
  const plain = decodeDisconnect(data)
  if (plain !== undefined) return plain
  try {
    return decodeDisconnect(snappyUncompress(data, maxBaseMessageSizeBytes))
  } catch {
    return undefined
  }
}

/** What a session is built from: the negotiated secrets, the remote's identity and hello. */
export interface SessionInit {
  /** `outbound` when we ran the handshake as initiator (we dialed). */
  readonly direction: Direction
  readonly hello: Hello
  readonly remoteId: string
  readonly remoteAddress: string
  readonly shared: SharedCapability[]
  readonly snappy: boolean
}

/**
 * One capability's message stream on a session: codes are relative to the capability's offset.
 * For `eth` this is the `EthConnection` handed to the protocol layer.
 */
export class RlpxStream implements EthConnection {
  readonly transport = 'rlpx' as const
  private readonly queue: Msg[] = []
  private readonly waiters: { resolve: (m: Msg) => void; reject: (e: unknown) => void }[] = []

  constructor(
    readonly session: RlpxSession,
    readonly capability: SharedCapability,
  ) {}

  get version(): number {
    return this.capability.version
  }
  /** `outbound` when we dialed (were the handshake's initiator). */
  get direction(): Direction {
    return this.session.direction
  }
  get remoteId(): string {
    return this.session.remoteId
  }
  get remoteAddress(): string {
    return this.session.remoteAddress
  }
  get closeInfo(): CloseInfo | undefined {
    return this.session.closeInfo
  }

  /** @internal */
  deliver(msg: Msg): void {
    const w = this.waiters.shift()
    if (w) w.resolve(msg)
    else {
      this.queue.push(msg)
      this.session.queuedBytes += msg.payload.length
    }
  }

  /** @internal */
  failAll(err: unknown): void {
    // Like msgPipe: once closed, pending and later reads reject; unread messages are dropped.
    for (const m of this.queue.splice(0)) this.session.queuedBytes -= m.payload.length
    for (const w of this.waiters.splice(0)) w.reject(err)
  }

  /**
   * The next message not yet handed out. Concurrent calls queue and are served first come, first
   * served; an aborted signal rejects with its reason and takes no message.
   */
  readMsg(signal?: AbortSignal): Promise<Msg> {
    if (this.session.closeInfo) return Promise.reject(this.session.closedError())
    if (signal?.aborted) return Promise.reject(abortError(signal))
    const m = this.queue.shift()
    if (m) {
      this.session.queuedBytes -= m.payload.length
      this.session.maybeResume()
      return Promise.resolve(m)
    }
    return new Promise((resolve, reject) => {
      const w = {
        resolve: (msg: Msg) => {
          signal?.removeEventListener('abort', onAbort)
          resolve(msg)
        },
        reject: (e: unknown) => {
          signal?.removeEventListener('abort', onAbort)
          reject(e)
        },
      }
      const onAbort = () => {
        const i = this.waiters.indexOf(w)
        if (i >= 0) this.waiters.splice(i, 1)
        reject(abortError(signal!))
      }
      signal?.addEventListener('abort', onAbort, { once: true })
      this.waiters.push(w)
    })
  }

  writeMsg(code: number, payload: Uint8Array): Promise<void> {
    if (!Number.isInteger(code) || code < 0 || code >= this.capability.length) {
      return Promise.reject(
        new WireError(
          'ErrUnknownCode',
          `code ${code} is outside ${this.capability.name}/${this.capability.version}`,
        ),
      )
    }
    return this.session.send(this.capability.offset + code, payload)
  }

  close(reason: number = DisconnectReason.Requested): Promise<void> {
    return this.session.close(reason)
  }
}

/** A running RLPx connection after a successful handshake. */
export class RlpxSession {
  /** `outbound` when we dialed (were the handshake's initiator), `inbound` when we accepted. */
  readonly direction: Direction
  readonly hello: Hello
  /** Remote node id, 128 hex chars. */
  readonly remoteId: string
  readonly remoteAddress: string
  readonly capabilities: readonly SharedCapability[]
  /** Whether message data is snappy-compressed (both sides speak p2p v5+). */
  readonly snappy: boolean
  /** The typed error that ended the session, if one did. */
  error: unknown
  /** @internal bytes waiting unread in the streams' queues */
  queuedBytes = 0

  private readonly streams = new Map<string, RlpxStream>()
  private info: CloseInfo | undefined
  private pingTimer: unknown
  private pongTimer: unknown
  private readonly pongWaiters: (() => void)[] = []
  private paused = false
  private readonly closedPromise: Promise<CloseInfo>
  private resolveClosed!: (c: CloseInfo) => void
  private socketClosed = false
  private readonly socketClosedPromise: Promise<void>
  private readonly closeListeners: ((info: CloseInfo) => void)[] = []

  constructor(
    private readonly socket: RlpxSocket,
    private readonly codec: FrameCodec,
    private readonly opts: SessionOptions,
    init: SessionInit,
  ) {
    this.direction = init.direction
    this.hello = init.hello
    this.remoteId = init.remoteId
    this.remoteAddress = init.remoteAddress
    this.capabilities = init.shared
    this.snappy = init.snappy
    for (const c of init.shared) this.streams.set(c.name, new RlpxStream(this, c))
    this.closedPromise = new Promise((r) => {
      this.resolveClosed = r
    })
    this.socketClosedPromise = new Promise((r) => {
      socket.on('close', () => {
        this.socketClosed = true
        this.onSocketGone()
        r()
      })
    })
    socket.on('data', (c) => this.onData(c))
    socket.on('end', () => this.onSocketGone())
    socket.on('error', (e) => {
      if (!this.info) this.error = new RlpxError('ErrNetwork', e.message, { cause: e })
      this.onSocketGone()
    })
    this.schedulePing()
    // Frames that arrived together with Hello.
    queueMicrotask(() => this.drain())
  }

  /** The stream of one shared capability (`'eth'` → the EthConnection). */
  stream(name: string): RlpxStream | undefined {
    return this.streams.get(name)
  }

  /** The eth stream, if eth was negotiated. */
  get eth(): RlpxStream | undefined {
    return this.streams.get('eth')
  }

  get closeInfo(): CloseInfo | undefined {
    return this.info
  }

  /** Resolves once the session is closed (either side), with why. */
  get closed(): Promise<CloseInfo> {
    return this.closedPromise
  }

  /** Resolves once the TCP socket is fully closed (nothing left running for this session). */
  get socketClosedDone(): Promise<void> {
    return this.socketClosedPromise
  }

  /** Calls `fn` once the session closes (at once if it is closed). Returns an unsubscribe function. */
  onClose(fn: (info: CloseInfo) => void): () => void {
    if (this.info) {
      fn(this.info)
      return () => {}
    }
    this.closeListeners.push(fn)
    return () => {
      const i = this.closeListeners.indexOf(fn)
      if (i >= 0) this.closeListeners.splice(i, 1)
    }
  }

  /** @internal */
  closedError(): WireError {
    const info = this.info!
    return new WireError('ErrClosed', `connection closed: ${disconnectReasonName(info.reason)}`, {
      reason: info.reason,
      remote: info.remote,
      ...(this.error === undefined ? {} : { cause: this.error }),
    })
  }

  /** Sends a Ping and resolves with the round-trip time in ms when the Pong arrives. */
  async ping(signal?: AbortSignal): Promise<number> {
    const start = this.opts.clock.now()
    const got = new Promise<void>((resolve, reject) => {
      const done = () => {
        signal?.removeEventListener('abort', onAbort)
        unsubscribe()
        resolve()
      }
      const onAbort = () => {
        const i = this.pongWaiters.indexOf(done)
        if (i >= 0) this.pongWaiters.splice(i, 1)
        unsubscribe()
        reject(abortError(signal!))
      }
      signal?.addEventListener('abort', onAbort, { once: true })
      this.pongWaiters.push(done)
      const unsubscribe = this.onClose(() => reject(this.closedError()))
    })
    await this.sendBase(P2pCode.Ping, emptyList)
    await got
    return this.opts.clock.now() - start
  }

  /** Sends message `code` (absolute id) with `payload` (uncompressed RLP). */
  send(code: number, payload: Uint8Array): Promise<void> {
    if (this.info) return Promise.reject(this.closedError())
    if (payload.length > this.opts.maxMessageSizeBytes) {
      return Promise.reject(
        new WireError(
          'ErrMsgTooLarge',
          `message of ${payload.length} bytes exceeds ${this.opts.maxMessageSizeBytes}`,
        ),
      )
    }
    return this.sendBase(code, payload)
  }

  private sendBase(code: number, payload: Uint8Array): Promise<void> {
    if (this.info || this.socket.destroyed) return Promise.reject(this.closedError())
    let parts: Uint8Array[]
    try {
      parts = this.codec.encodeMessage(code, this.snappy ? snappyCompress(payload) : payload)
    } catch (err) {
      return Promise.reject(err)
    }
    if (writeParts(this.socket, parts)) return Promise.resolve()
    return new Promise((resolve, reject) => {
      const onDrain = () => {
        this.socket.removeListener('drain', onDrain)
        unsubscribe()
        resolve()
      }
      this.socket.on('drain', onDrain)
      const unsubscribe = this.onClose(() => {
        this.socket.removeListener('drain', onDrain)
        reject(this.closedError())
      })
    })
  }

  /**
   * Tells the peer `reason` with a Disconnect, then closes. Pending and later reads reject with
   * `WireError('ErrClosed')`. Resolves when the socket is closed (at most the grace period).
   */
  async close(reason: number = DisconnectReason.Requested): Promise<void> {
    if (!this.info) {
      if (!this.socket.destroyed) {
        try {
          const payload = encodeDisconnect(reason)
          writeParts(
            this.socket,
            this.codec.encodeMessage(
              P2pCode.Disconnect,
              this.snappy ? snappyCompress(payload) : payload,
            ),
          )
        } catch {
          // the socket is going away anyway
        }
      }
      this.finish({ reason, remote: false })
      endGracefully(this.socket, this.opts.clock, this.opts.disconnectGraceMs)
    }
    if (!this.socketClosed) await this.socketClosedPromise
  }

  /** Ends the session because of a typed error (`err` is kept as the cause). */
  private fatal(err: unknown, reason: number): void {
    if (this.info) return
    this.error = err
    void this.close(reason)
  }

  private finish(info: CloseInfo): void {
    if (this.info) return
    this.info = info
    this.opts.clock.clearTimeout(this.pingTimer)
    this.opts.clock.clearTimeout(this.pongTimer)
    const err = this.closedError()
    for (const s of this.streams.values()) s.failAll(err)
    this.pongWaiters.length = 0
    this.resolveClosed(info)
    for (const fn of this.closeListeners.splice(0)) fn(info)
    if (this.paused) this.socket.resume()
  }

  private onSocketGone(): void {
    if (!this.info) this.finish({ reason: DisconnectReason.NetworkError, remote: true })
    if (!this.socket.destroyed && this.socketClosed === false) {
      // peer half-closed: we are done too
      this.socket.destroy()
    }
  }

  private schedulePing(): void {
    this.pingTimer = this.opts.clock.setTimeout(() => {
      if (this.info) return
      this.sendBase(P2pCode.Ping, emptyList).catch(() => {})
      if (this.pongTimer === undefined) {
        this.pongTimer = this.opts.clock.setTimeout(() => {
          this.fatal(
            new RlpxError('ErrProtocol', `no answer to Ping within ${this.opts.pongTimeoutMs} ms`),
            DisconnectReason.Timeout,
          )
        }, this.opts.pongTimeoutMs)
      }
      this.schedulePing()
    }, this.opts.pingIntervalMs)
  }

  /** @internal */
  maybeResume(): void {
    if (this.paused && this.queuedBytes < readQueueHighWaterBytes / 2) {
      this.paused = false
      this.socket.resume()
    }
  }

  private onData(chunk: Uint8Array): void {
    if (this.info) return
    this.codec.push(chunk)
    this.drain()
  }

  private drain(): void {
    while (!this.info) {
      let frame: RawFrame | undefined
      try {
        frame = this.codec.next()
      } catch (err) {
        this.fatal(err, DisconnectReason.ProtocolError)
        return
      }
      if (!frame) break
      if (this.pongTimer !== undefined) {
        this.opts.clock.clearTimeout(this.pongTimer)
        this.pongTimer = undefined
      }
      this.handleFrame(frame)
    }
    if (!this.paused && !this.info && this.queuedBytes >= readQueueHighWaterBytes) {
      this.paused = true
      this.socket.pause()
    }
  }

  private decompress(data: Uint8Array, limit: number): Uint8Array | undefined {
    if (!this.snappy) {
      if (data.length > limit) {
        this.fatal(
          new WireError('ErrMsgTooLarge', `message of ${data.length} bytes exceeds ${limit}`),
          DisconnectReason.ProtocolError,
        )
        return undefined
      }
      return data
    }
    try {
      return snappyUncompress(data, limit)
    } catch (err) {
      if (isSnappyTooLarge(err)) {
        this.fatal(
          new WireError(
            'ErrMsgTooLarge',
            `message of ${err.announced} bytes (decompressed) exceeds ${limit}`,
            { cause: err },
          ),
          DisconnectReason.ProtocolError,
        )
      } else this.fatal(err, DisconnectReason.ProtocolError)
      return undefined
    }
  }

  private handleFrame(frame: RawFrame): void {
    const { code } = frame
    if (code < baseProtocolLength) {
      if (code === P2pCode.Disconnect) {
        const reason = decodeDisconnectLenient(frame.data) ?? DisconnectReason.Requested
        this.finish({ reason, remote: true })
        this.socket.destroy()
        return
      }
      const data = this.decompress(frame.data, maxBaseMessageSizeBytes)
      if (!data) return
      switch (code) {
        case P2pCode.Ping:
          this.sendBase(P2pCode.Pong, emptyList).catch(() => {})
          return
        case P2pCode.Pong:
          for (const w of this.pongWaiters.splice(0)) w()
          return
        case P2pCode.Hello:
          this.fatal(new RlpxError('ErrProtocol', 'second Hello'), DisconnectReason.ProtocolError)
          return
        default:
          return // reserved p2p ids: ignore
      }
    }
    for (const s of this.streams.values()) {
      const c = s.capability
      if (code >= c.offset && code < c.offset + c.length) {
        const payload = this.decompress(frame.data, this.opts.maxMessageSizeBytes)
        if (!payload) return
        s.deliver({
          code: code - c.offset,
          size: payload.length,
          payload,
          receivedAt: this.opts.clock.now(),
        })
        return
      }
    }
    this.fatal(
      new RlpxError('ErrProtocol', `message id ${code} belongs to no shared capability`),
      DisconnectReason.ProtocolError,
    )
  }
}
