/**
 * The RLPx transport: a TCP listener and dialer that turn connections into running sessions and
 * hand each one up as an `EthConnection` for the negotiated eth version.
 */
import { createServer, connect as netConnect, type Server, type Socket } from 'node:net'
import type { AbortOptions, Clock, Startable } from '@ethwire/interface'
import { systemClock, TypedEmitter } from '@ethwire/interface/runtime'
import { toHex } from './bytes.js'
import {
  defaultClientId,
  dialTimeoutMs as defaultDialTimeoutMs,
  disconnectGraceMs as defaultDisconnectGraceMs,
  handshakeTimeoutMs as defaultHandshakeTimeoutMs,
  defaultMaxFrameSizeBytes,
  defaultMaxPeers,
  pingIntervalMs as defaultPingIntervalMs,
  pongTimeoutMs as defaultPongTimeoutMs,
} from './constants.js'
import { type CryptoBackend, type CryptoBackendKind, loadCryptoBackend } from './crypto.js'
import { isValidSecretKey, publicKeyOf } from './ecies.js'
import { type Enode, formatEnode, parseEnode } from './enode.js'
import { RlpxError, refusalCode } from './errors.js'
import type { CapabilitySpec } from './p2p.js'
import { handshake, type RlpxSession, type RlpxStream, type SessionOptions } from './session.js'
import { type RandomBytes, systemRandom } from './types.js'
import {
  DisconnectReason,
  type EthTransport,
  maxMessageSizeBytes,
  protocolLength,
  SUPPORTED_VERSIONS,
} from './wire.js'

/** The transport's name, also `EthConnection.transport` of its connections. */
export const rlpxTransportName = 'rlpx'

export interface RlpxTransportDeps {
  /** Time source and timers (handshake timeout, keep-alive). */
  readonly clock?: Clock
  /** Randomness for ephemeral keys, nonces, ECIES IVs and padding. */
  readonly random?: RandomBytes
  /** 'auto' (node:crypto AES + WASM keccak where available), 'pure', or a backend object. */
  readonly crypto?: CryptoBackendKind | CryptoBackend
}

export interface RlpxTransportOptions {
  /** Our static secp256k1 secret key (see `loadOrCreateNodeKey`). */
  readonly nodeKey: Uint8Array
  /** Where `listen()` binds. Default 0.0.0.0:30303. */
  readonly listen?: { readonly host?: string; readonly port?: number }
  /** Host to put in our enode URL when listening on a wildcard address. Default 127.0.0.1. */
  readonly announceHost?: string
  /** Client id announced in Hello. */
  readonly clientId?: string
  /** eth versions we offer; the highest shared one is used. Default: all of SUPPORTED_VERSIONS. */
  readonly ethVersions?: readonly number[]
  /** More capabilities to offer besides eth (e.g. snap); they get their own streams on the session. */
  readonly extraCapabilities?: readonly CapabilitySpec[]
  /** Connections in both directions together. Default 50. */
  readonly maxPeers?: number
  readonly handshakeTimeoutMs?: number
  readonly pingIntervalMs?: number
  readonly pongTimeoutMs?: number
  readonly disconnectGraceMs?: number
  readonly dialTimeoutMs?: number
  /** Largest decompressed message payload. Default 10 MiB. */
  readonly maxMessageSizeBytes?: number
  /** Largest incoming frame. */
  readonly maxFrameSizeBytes?: number
  /**
   * Called for every connection that completed the handshake with a shared eth version, inbound
   * and outbound (for outbound, before `dial()` resolves with the same object), with its session.
   * The `onConnection()` method subscribes the same way without the session.
   */
  readonly onConnection?: (conn: RlpxStream, session: RlpxSession) => void
  /**
   * Extra admission check, run with the remote node id right after the encryption handshake (and
   * again before `onConnection`): return a `DisconnectReason` to refuse the peer, e.g. to apply one
   * peer limit across several transports, or a ban list. Our own checks (self, already connected,
   * `maxPeers`) run first.
   */
  readonly admit?: (remoteId: string) => number | undefined
  /** Inbound connections that failed before becoming sessions (handshake errors, refusals). */
  readonly onInboundError?: (err: unknown, remoteAddress: string) => void
}

export interface DialOptions extends AbortOptions {
  /** Send the old pre-EIP-8 auth (for interop tests of the old format). */
  readonly legacyAuth?: boolean
}

/**
 * The RLPx transport: an `EthTransport` (what a node needs to dial and accept without knowing
 * which transport it is) and `Startable`, plus RLPx extras (`nodeId`, `enode`, `sessions()`, the
 * bound address).
 */
export interface RlpxTransport extends EthTransport, Startable {
  /** `'rlpx'`. */
  readonly name: string
  /** Our node id, 128 hex chars. */
  readonly nodeId: string
  /** Our enode URL (port 0 until `listen()` has bound). */
  readonly enode: string
  /** Where the listener is bound, once `listen()` resolved. */
  readonly listenAddress: { readonly host: string; readonly port: number } | undefined
  /** Connected sessions (the same as `connectionCount`). */
  readonly peerCount: number
  /** Connected sessions, both directions. */
  readonly connectionCount: number
  sessions(): RlpxSession[]
  /** Binds the TCP listener; resolves with our enode URL (`EthTransport`). Idempotent. */
  listen(options?: AbortOptions): Promise<string[]>
  /** The enode URL to dial us at once listening; empty before. */
  addresses(): string[]
  /** True for an `enode://<128 hex>@host:port` URL. */
  canDial(address: string): boolean
  /** `listen()` under its `Startable` name. */
  start(): Promise<void>
  /**
   * Connects to `enode` and runs the handshake; resolves with the eth stream
   * (`direction: 'outbound'`). Dialing does not need `listen()` first.
   */
  dial(enode: string | Enode, opts?: DialOptions): Promise<RlpxStream>
  /** Every connection with a shared eth version, both directions; returns the unsubscribe function. */
  onConnection(listener: (connection: RlpxStream) => void): () => void
  /** Closes every session (ClientQuitting), the listener and pending handshakes. Idempotent. */
  stop(): Promise<void>
  /** `stop()` under its `EthTransport` name. */
  close(): Promise<void>
}

export function ethCapability(versions: readonly number[] = SUPPORTED_VERSIONS): CapabilitySpec {
  return { name: 'eth', versions: [...versions], length: protocolLength }
}

/**
 * Creates the transport. Nothing is bound or dialed until `listen()` / `dial()`.
 * `createRlpxTransport(options)` (default deps) works too.
 */
export function createRlpxTransport(options: RlpxTransportOptions): RlpxTransport
export function createRlpxTransport(
  deps: RlpxTransportDeps,
  options: RlpxTransportOptions,
): RlpxTransport
export function createRlpxTransport(
  depsOrOptions: RlpxTransportDeps | RlpxTransportOptions,
  maybeOptions?: RlpxTransportOptions,
): RlpxTransport {
  const options = maybeOptions ?? (depsOrOptions as RlpxTransportOptions)
  const deps: RlpxTransportDeps = maybeOptions ? (depsOrOptions as RlpxTransportDeps) : {}
  if (!isValidSecretKey(options.nodeKey))
    throw new RlpxError('ErrInvalidNodeKey', 'nodeKey is not a valid secp256k1 secret key')
  const clock = deps.clock ?? systemClock
  const random = deps.random ?? systemRandom
  const backendP: Promise<CryptoBackend> =
    typeof deps.crypto === 'object'
      ? Promise.resolve(deps.crypto)
      : loadCryptoBackend(deps.crypto ?? 'auto')
  const nodeId = publicKeyOf(options.nodeKey)
  const nodeIdHex = toHex(nodeId)
  const maxPeers = options.maxPeers ?? defaultMaxPeers
  const capabilities: CapabilitySpec[] = [
    ethCapability(options.ethVersions),
    ...(options.extraCapabilities ?? []),
  ]
  const listenHost = options.listen?.host ?? '0.0.0.0'
  const listenPortWanted = options.listen?.port ?? 30303
  const sessions = new Map<string, RlpxSession>()
  const sockets = new Set<Socket>()
  const trackSocket = (socket: Socket) => {
    // Errors are reported through the handshake / session listeners; this one only keeps a late
    // error (e.g. a reset while we wait out the Disconnect grace period) from being unhandled.
    socket.on('error', () => {})
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
  }
  const pending = new Set<Promise<unknown>>()
  const stopController = new AbortController()
  const events = new TypedEmitter<{ connection: RlpxStream }>()
  let server: Server | undefined
  let listening: Promise<{ host: string; port: number }> | undefined
  let boundPort = 0
  let stopped = false

  const sessionOptions = async (): Promise<SessionOptions> => ({
    nodeKey: options.nodeKey,
    clientId: options.clientId ?? defaultClientId,
    listenPort: boundPort,
    capabilities,
    backend: await backendP,
    clock,
    random,
    handshakeTimeoutMs: options.handshakeTimeoutMs ?? defaultHandshakeTimeoutMs,
    pingIntervalMs: options.pingIntervalMs ?? defaultPingIntervalMs,
    pongTimeoutMs: options.pongTimeoutMs ?? defaultPongTimeoutMs,
    disconnectGraceMs: options.disconnectGraceMs ?? defaultDisconnectGraceMs,
    maxMessageSizeBytes: options.maxMessageSizeBytes ?? maxMessageSizeBytes,
    maxFrameSizeBytes: options.maxFrameSizeBytes ?? defaultMaxFrameSizeBytes,
  })

  const admit = (remoteId: string): number | undefined => {
    if (stopped) return DisconnectReason.ClientQuitting
    if (remoteId === nodeIdHex) return DisconnectReason.ConnectedToSelf
    if (sessions.has(remoteId)) return DisconnectReason.AlreadyConnected
    if (sessions.size >= maxPeers) return DisconnectReason.TooManyPeers
    return options.admit?.(remoteId)
  }

  const register = async (session: RlpxSession): Promise<RlpxStream> => {
    const eth = session.eth
    if (!eth) {
      await session.close(DisconnectReason.UselessPeer)
      throw new RlpxError('ErrUselessPeer', 'no shared eth version')
    }
    // Re-check: another handshake with the same node may have finished meanwhile.
    const verdict = admit(session.remoteId)
    if (verdict !== undefined) {
      await session.close(verdict)
      throw new RlpxError(refusalCode(verdict), `peer refused: reason ${verdict}`, {
        reason: verdict,
      })
    }
    sessions.set(session.remoteId, session)
    session.onClose(() => {
      if (sessions.get(session.remoteId) === session) sessions.delete(session.remoteId)
    })
    options.onConnection?.(eth, session)
    events.emit('connection', eth)
    return eth
  }

  const track = <T>(p: Promise<T>): Promise<T> => {
    pending.add(p)
    const done = () => pending.delete(p)
    p.then(done, done)
    return p
  }

  const onInbound = (socket: Socket) => {
    if (stopped) {
      socket.destroy()
      return
    }
    trackSocket(socket)
    socket.setNoDelay(true)
    const remote = `${socket.remoteAddress}:${socket.remotePort}`
    const run = async () => {
      try {
        const session = await handshake(socket, {
          ...(await sessionOptions()),
          role: 'recipient',
          signal: stopController.signal,
          admit: (id) => admit(id),
        })
        await register(session)
      } catch (err) {
        options.onInboundError?.(err, remote)
      }
    }
    track(run())
  }

  const connectSocket = (e: Enode, signal: AbortSignal): Promise<Socket> =>
    new Promise((resolve, reject) => {
      const socket = netConnect({ host: e.host, port: e.port })
      const timeoutMs = options.dialTimeoutMs ?? defaultDialTimeoutMs
      const timer = clock.setTimeout(
        () => finish(new RlpxError('ErrNetwork', `connect timeout after ${timeoutMs} ms`)),
        timeoutMs,
      )
      const onAbort = () => finish(signal.reason ?? new RlpxError('ErrStopped', 'dial aborted'))
      const finish = (err?: unknown) => {
        clock.clearTimeout(timer)
        signal.removeEventListener('abort', onAbort)
        socket.removeListener('error', onError)
        socket.removeListener('connect', onConnect)
        if (err === undefined) resolve(socket)
        else {
          socket.destroy()
          reject(err)
        }
      }
      const onError = (err: Error) =>
        finish(new RlpxError('ErrNetwork', err.message, { cause: err }))
      const onConnect = () => finish()
      socket.once('error', onError)
      socket.once('connect', onConnect)
      signal.addEventListener('abort', onAbort, { once: true })
      if (signal.aborted) onAbort()
    })

  const bind = async (signal: AbortSignal | undefined): Promise<{ host: string; port: number }> => {
    const srv = createServer(onInbound)
    await new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        srv.close()
        reject(signal?.reason ?? new RlpxError('ErrStopped', 'listen aborted'))
      }
      signal?.addEventListener('abort', onAbort, { once: true })
      srv.once('error', (err) => {
        signal?.removeEventListener('abort', onAbort)
        reject(new RlpxError('ErrNetwork', err.message, { cause: err }))
      })
      srv.listen(listenPortWanted, listenHost, () => {
        signal?.removeEventListener('abort', onAbort)
        resolve()
      })
    })
    if (stopped) {
      srv.close()
      throw new RlpxError('ErrStopped', 'transport stopped')
    }
    server = srv
    const addr = srv.address()
    boundPort = typeof addr === 'object' && addr ? addr.port : listenPortWanted
    return { host: listenHost, port: boundPort }
  }

  const transport: RlpxTransport = {
    name: rlpxTransportName,
    nodeId: nodeIdHex,
    get enode() {
      const wildcard = listenHost === '0.0.0.0' || listenHost === '::'
      const host = options.announceHost ?? (wildcard ? '127.0.0.1' : listenHost)
      return formatEnode({ id: nodeId, host, port: boundPort })
    },
    get listenAddress() {
      return server ? { host: listenHost, port: boundPort } : undefined
    },
    get peerCount() {
      return sessions.size
    },
    get connectionCount() {
      return sessions.size
    },
    sessions: () => [...sessions.values()],

    async listen(listenOptions = {}) {
      const signal = listenOptions.signal
      if (stopped) throw new RlpxError('ErrStopped', 'transport stopped')
      signal?.throwIfAborted()
      if (!server) {
        listening ??= bind(signal).finally(() => {
          listening = undefined
        })
        await listening
      }
      return [transport.enode]
    },

    addresses() {
      return server && !stopped ? [transport.enode] : []
    },

    canDial(address) {
      if (!address.startsWith('enode://')) return false
      try {
        parseEnode(address)
        return true
      } catch {
        return false
      }
    },

    async start() {
      await transport.listen()
    },

    onConnection(listener) {
      return events.on('connection', listener)
    },

    close() {
      return transport.stop()
    },

    dial(target, opts = {}) {
      const run = async (): Promise<RlpxStream> => {
        if (stopped) throw new RlpxError('ErrStopped', 'transport stopped')
        const e = typeof target === 'string' ? parseEnode(target) : target
        const idHex = toHex(e.id)
        if (idHex === nodeIdHex) throw new RlpxError('ErrIdentity', 'refusing to dial ourselves')
        if (sessions.has(idHex))
          throw new RlpxError('ErrAlreadyConnected', `already connected to ${idHex.slice(0, 16)}…`)
        if (sessions.size >= maxPeers)
          throw new RlpxError('ErrTooManyPeers', `already ${sessions.size} peers`)
        const signal = opts.signal
          ? AbortSignal.any([opts.signal, stopController.signal])
          : stopController.signal
        const socket = await connectSocket(e, signal)
        trackSocket(socket)
        socket.setNoDelay(true)
        const session = await handshake(socket, {
          ...(await sessionOptions()),
          role: 'initiator',
          remoteId: e.id,
          remoteAddress: formatEnode(e),
          signal,
          legacyAuth: opts.legacyAuth ?? false,
          admit: (id) => admit(id),
        })
        return register(session)
      }
      return track(run())
    },

    async stop() {
      if (stopped) return
      stopped = true
      stopController.abort(new RlpxError('ErrStopped', 'transport stopped'))
      const closing = [...sessions.values()].map((s) => s.close(DisconnectReason.ClientQuitting))
      const srv = server
      server = undefined
      const serverClosed = srv ? new Promise<void>((r) => srv.close(() => r())) : Promise.resolve()
      await Promise.allSettled([...pending])
      await Promise.allSettled(closing)
      // sessions that completed while we were stopping
      await Promise.allSettled(
        [...sessions.values()].map((s) => s.close(DisconnectReason.ClientQuitting)),
      )
      await Promise.allSettled(
        [...sockets].map((s) =>
          s.destroyed && s.closed ? undefined : new Promise((r) => s.once('close', r)),
        ),
      )
      await serverClosed
    },
  }
  return transport
}
