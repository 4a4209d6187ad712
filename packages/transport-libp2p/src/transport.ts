/**
 * The libp2p transport: builds (or attaches to) a libp2p node with TCP + noise + yamux (+ identify,
 * ping), registers one protocol id per eth version, and turns every negotiated stream into a
 * {@link Libp2pEthConnection}.
 */
// Side effect first: Promise.withResolvers for Node 20 before libp2p runs.
import './polyfill.js'
import type { AbortOptions, Clock, Startable } from '@ethwire/interface'
import { TypedEmitter } from '@ethwire/interface/runtime'
import type { Connection, Libp2p, PrivateKey, Stream } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import { Libp2pEthConnection } from './connection.js'
import {
  closeTimeoutMs as defaultCloseTimeoutMs,
  dialTimeoutMs as defaultDialTimeoutMs,
  defaultListenAddrs,
  defaultMaxMessageSizeBytes,
  defaultProtocolPrefix,
  maxPendingInbound,
  protocolSuffix,
} from './constants.js'
import { isTransportError, TransportError } from './errors.js'
import { loadLibp2pModules } from './modules.js'
import { loadOrCreatePeerKey } from './peer-key.js'
import type { FrameStream } from './types.js'
import {
  type Direction,
  DisconnectReason,
  type EthConnection,
  type EthTransport,
  SUPPORTED_VERSIONS,
} from './wire.js'

/** The transport's name, also `EthConnection.transport` of its connections. */
export const libp2pTransportName = 'libp2p'

/** The multiaddrs this transport dials: an IP or DNS address with a TCP port. */
const dialableAddress = /^\/(ip4|ip6|dns|dns4|dns6|dnsaddr)\/[^/]+\/tcp\/\d+(\/|$)/

/** The `name` of an error-like value (libp2p's errors are told apart by it), or undefined. */
function errorName(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined
  const name = (err as { name?: unknown }).name
  return typeof name === 'string' ? name : undefined
}

function errorMessage(err: unknown): string {
  if (typeof err === 'object' && err !== null) {
    const message = (err as { message?: unknown }).message
    if (typeof message === 'string') return message
  }
  return String(err)
}

/** `/ethwire/eth/<version>/1.0.0` (or with another prefix). */
export function protocolId(version: number, prefix: string = defaultProtocolPrefix): string {
  return `${prefix}/${version}/${protocolSuffix}`
}

/** The eth version in a protocol id made by {@link protocolId}, or undefined. */
export function versionOfProtocol(
  protocol: string,
  prefix: string = defaultProtocolPrefix,
): number | undefined {
  if (!protocol.startsWith(`${prefix}/`) || !protocol.endsWith(`/${protocolSuffix}`))
    return undefined
  const v = Number(protocol.slice(prefix.length + 1, protocol.length - protocolSuffix.length - 1))
  return Number.isInteger(v) && v > 0 ? v : undefined
}

/**
 * libp2p 3.3's address manager debounces a peer-store update by 1 s on every 'transport:close',
 * which `node.stop()` itself emits, and never cancels it: a live timer after stop. Cancel it when
 * it is there (internal shape, hence the guarded access; harmless when libp2p changes).
 */
function cancelAddressDebounce(node: Libp2p): void {
  const update = (
    node as unknown as {
      components?: { addressManager?: { _updatePeerStoreAddresses?: { stop?: () => void } } }
    }
  ).components?.addressManager?._updatePeerStoreAddresses
  if (typeof update?.stop === 'function') update.stop()
}

export interface Libp2pTransportDeps {
  /** Attach to this libp2p node instead of building one. Its lifecycle stays the caller's. */
  readonly libp2p?: Libp2p
  /** Stamps `Msg.receivedAt` (only `now()` is used). Default the system clock. */
  readonly clock?: Pick<Clock, 'now'>
}

export interface Libp2pTransportOptions {
  /** eth versions offered, any order (the highest common one wins). Default: all of rlp-wire's. */
  readonly versions?: readonly number[]
  /** Listen multiaddrs when building the node. Default `/ip4/127.0.0.1/tcp/0`. */
  readonly listen?: readonly string[]
  /** The node key. Default: loaded from (or created in) `datadir`, else a fresh Ed25519 key. */
  readonly privateKey?: PrivateKey
  /** Data directory holding the node key (`libp2p-node-key`). */
  readonly datadir?: string
  /** Payload cap in bytes. Default 10 MiB. */
  readonly maxMessageSizeBytes?: number
  /** Protocol id prefix. Default `/ethwire/eth`. */
  readonly protocolPrefix?: string
  /**
   * Called for every inbound eth connection (inbound only; the transport's `onConnection()`
   * listeners see both directions). With neither this nor an `onConnection()` listener, inbound
   * connections queue for `inbound()` / `accept()`.
   */
  readonly onInbound?: (conn: EthConnection) => void
  /** @deprecated `onInbound` under its old name (inbound only, unlike the `onConnection()` method). */
  readonly onConnection?: (conn: EthConnection) => void
  /** Close the libp2p connection once its eth stream is closed. Default true. */
  readonly hangUpOnClose?: boolean
  readonly closeTimeoutMs?: number
  readonly dialTimeoutMs?: number
}

export interface DialOptions extends AbortOptions {}

/**
 * The libp2p transport: an `EthTransport` (what a node needs to dial and accept without knowing
 * which transport it is) and `Startable`, plus libp2p-specific extras (`node`, `peerId`,
 * `multiaddrs`, `accept`, `inbound`).
 */
export interface Libp2pTransport extends EthTransport, Startable {
  /** `'libp2p'`. */
  readonly name: string
  /** The libp2p node (built by `start()` unless one was passed in). */
  readonly node: Libp2p
  /** Our peer id (available after `start()`). */
  readonly peerId: string
  /** The eth versions offered, highest first. */
  readonly versions: readonly number[]
  /** Addresses to dial us at, each ending in `/p2p/<peer id>` (after `start()`; throws before). */
  multiaddrs(): string[]
  /** Builds (or attaches to) the node and registers the eth protocols. Not restartable after `stop()`. */
  start(): Promise<void>
  /** Closes every eth connection (ClientQuitting) and, if we built the node, stops it. Idempotent. */
  stop(): Promise<void>
  /** `start()`, then the addresses to dial us at (`EthTransport`). */
  listen(options?: AbortOptions): Promise<string[]>
  /** The addresses to dial us at; empty before `start()` and after `stop()`. */
  addresses(): string[]
  /** True for an IP or DNS multiaddr with a TCP port (`/ip4/1.2.3.4/tcp/30303/p2p/…`). */
  canDial(address: string): boolean
  /**
   * Connects to `addr` (a multiaddr, ideally with `/p2p/<id>`) and opens an eth stream on the
   * highest version both sides speak (`direction: 'outbound'`). `onConnection()` listeners see it
   * before this resolves. Before `start()` it starts the transport first (libp2p dials from a
   * running node). Rejects with `TransportError('ErrNoCommonVersion')`,
   * `TransportError('ErrDial')`, `TransportError('ErrNotRunning')` (not started or stopped) or the
   * signal's reason.
   */
  dial(addr: string | Multiaddr, options?: DialOptions): Promise<EthConnection>
  /** Every new eth connection, inbound and outbound; returns the unsubscribe function. */
  onConnection(listener: (connection: EthConnection) => void): () => void
  /** Open eth connections, both directions. */
  readonly connectionCount: number
  /** `stop()` under its `EthTransport` name. */
  close(): Promise<void>
  /** The next inbound connection (when no `onConnection` callback is set). */
  accept(signal?: AbortSignal): Promise<EthConnection>
  /** Inbound connections as an async iterator; ends at `stop()`. */
  inbound(): AsyncIterable<EthConnection>
  /** Open eth connections (both directions). */
  readonly connections: ReadonlySet<EthConnection>
}

export function createLibp2pTransport(
  deps: Libp2pTransportDeps = {},
  options: Libp2pTransportOptions = {},
): Libp2pTransport {
  const clock = deps.clock
  const now = clock !== undefined ? () => clock.now() : Date.now
  const onInbound = options.onInbound ?? options.onConnection
  const prefix = options.protocolPrefix ?? defaultProtocolPrefix
  const versions = [...new Set(options.versions ?? SUPPORTED_VERSIONS)].sort((a, b) => b - a)
  if (versions.length === 0) throw new RangeError('at least one eth version is required')
  const protocols = versions.map((v) => protocolId(v, prefix))
  const maxMessageSizeBytes = options.maxMessageSizeBytes ?? defaultMaxMessageSizeBytes
  const closeTimeoutMs = options.closeTimeoutMs ?? defaultCloseTimeoutMs
  const dialTimeoutMs = options.dialTimeoutMs ?? defaultDialTimeoutMs
  const hangUpOnClose = options.hangUpOnClose ?? true
  const ownsNode = deps.libp2p === undefined

  let node: Libp2p | undefined = deps.libp2p
  let running = false
  let stopped = false
  let starting: Promise<void> | undefined
  const events = new TypedEmitter<{ connection: EthConnection }>()
  const open = new Set<EthConnection>()
  const pending: EthConnection[] = []
  const acceptors: Array<{ resolve(c: EthConnection): void; reject(err: unknown): void }> = []

  function wrap(stream: Stream, connection: Connection, direction: Direction): Libp2pEthConnection {
    const version = versionOfProtocol(stream.protocol, prefix)
    if (version === undefined)
      throw new TransportError('ErrNoCommonVersion', `unexpected protocol ${stream.protocol}`)
    const conn: Libp2pEthConnection = new Libp2pEthConnection({
      stream: stream as unknown as FrameStream,
      version,
      direction,
      remoteId: connection.remotePeer.toString(),
      remoteAddress: connection.remoteAddr.toString(),
      maxMessageSizeBytes,
      now,
      closeTimeoutMs,
      onClosed: () => {
        open.delete(conn)
        if (!hangUpOnClose || connection.status !== 'open') return
        for (const other of open)
          if ((other as Libp2pEthConnection).remoteId === conn.remoteId) return
        const ac = new AbortController()
        const timer = setTimeout(() => ac.abort(), closeTimeoutMs)
        connection
          .close({ signal: ac.signal })
          .catch((err: unknown) =>
            connection.abort(err instanceof Error ? err : new Error(String(err))),
          )
          .finally(() => clearTimeout(timer))
      },
    })
    open.add(conn)
    return conn
  }

  const handler = (stream: Stream, connection: Connection): void => {
    if (!running) {
      stream.abort(new Error('transport stopped'))
      return
    }
    const conn = wrap(stream, connection, 'inbound')
    events.emit('connection', conn)
    if (onInbound !== undefined) {
      onInbound(conn)
      return
    }
    // Someone takes connections through onConnection(): nobody would drain the accept queue.
    if (events.listenerCount('connection') > 0) return
    const acceptor = acceptors.shift()
    if (acceptor !== undefined) {
      acceptor.resolve(conn)
      return
    }
    if (pending.length >= maxPendingInbound) {
      void conn.close(DisconnectReason.TooManyPeers)
      return
    }
    pending.push(conn)
  }

  function requireNode(): Libp2p {
    if (node === undefined || !running)
      throw new TransportError(
        'ErrNotRunning',
        stopped ? 'transport is stopped' : 'transport is not started',
      )
    return node
  }

  async function startOnce(): Promise<void> {
    if (node === undefined) {
      const privateKey =
        options.privateKey ??
        (options.datadir !== undefined ? await loadOrCreatePeerKey(options.datadir) : undefined)
      const m = await loadLibp2pModules()
      node = await m.libp2p.createLibp2p({
        ...(privateKey === undefined ? {} : { privateKey }),
        addresses: { listen: [...(options.listen ?? defaultListenAddrs)] },
        transports: [m.tcp.tcp()],
        connectionEncrypters: [m.noise.noise()],
        streamMuxers: [m.yamux.yamux()],
        services: { identify: m.identify.identify(), ping: m.ping.ping() },
        start: false,
      })
    }
    for (const p of protocols)
      await node.handle(p, handler, { maxInboundStreams: 1, maxOutboundStreams: 1 })
    if (ownsNode) await node.start()
    running = true
  }

  const transport: Libp2pTransport = {
    name: libp2pTransportName,
    get connectionCount() {
      return open.size
    },
    get node() {
      if (node === undefined)
        throw new TransportError('ErrNotRunning', 'the libp2p node is built by start()')
      return node
    },
    get peerId() {
      return transport.node.peerId.toString()
    },
    versions,
    connections: open,

    multiaddrs() {
      return transport.node.getMultiaddrs().map((ma) => ma.toString())
    },

    async start() {
      if (stopped) throw new TransportError('ErrNotRunning', 'transport is stopped')
      if (running) return
      starting ??= startOnce().finally(() => {
        starting = undefined
      })
      await starting
    },

    async listen(listenOptions = {}) {
      listenOptions.signal?.throwIfAborted()
      await transport.start()
      listenOptions.signal?.throwIfAborted()
      return transport.multiaddrs()
    },

    addresses() {
      return running && node !== undefined ? transport.multiaddrs() : []
    },

    canDial(address) {
      return dialableAddress.test(address)
    },

    onConnection(listener) {
      return events.on('connection', listener)
    },

    close() {
      return transport.stop()
    },

    async stop() {
      if (stopped) return
      stopped = true
      if (starting !== undefined) await starting.catch(() => {})
      if (!running || node === undefined) return
      running = false
      for (const a of acceptors.splice(0))
        a.reject(new TransportError('ErrNotRunning', 'transport stopped while accepting'))
      pending.length = 0
      await node.unhandle(protocols)
      await Promise.all([...open].map((c) => c.close(DisconnectReason.ClientQuitting)))
      if (ownsNode) {
        await node.stop()
        cancelAddressDebounce(node)
      }
    },

    async dial(addr, dialOptions = {}) {
      dialOptions.signal?.throwIfAborted()
      // libp2p dials from a running node: dialing before listen() starts it (binding the listen
      // addresses too), so a node may dial through the EthTransport interface in any order.
      if (!running && !stopped) await transport.start()
      const n = requireNode()
      let ma: Multiaddr
      try {
        ma = typeof addr === 'string' ? (await loadLibp2pModules()).multiaddr.multiaddr(addr) : addr
      } catch (err) {
        throw new TransportError('ErrDial', `not a multiaddr: ${String(addr)}`, { cause: err })
      }
      const ac = new AbortController()
      const timer = setTimeout(
        () => ac.abort(new Error(`dial timed out after ${dialTimeoutMs} ms`)),
        dialTimeoutMs,
      )
      const onAbort = (): void => ac.abort(dialOptions.signal?.reason)
      dialOptions.signal?.addEventListener('abort', onAbort, { once: true })
      try {
        if (dialOptions.signal?.aborted) throw dialOptions.signal.reason
        let connection = await n.dial(ma, { signal: ac.signal })
        let stream: Stream
        try {
          stream = await connection.newStream(protocols, { signal: ac.signal })
        } catch (err) {
          // A reused connection may be closing (hung up after its last eth stream closed): retry
          // once on a fresh connection. Anything else (no common protocol, abort) is final.
          if (ac.signal.aborted || errorName(err) !== 'ConnectionClosedError') throw err
          connection = await n.dial(ma, { signal: ac.signal, force: true })
          stream = await connection.newStream(protocols, { signal: ac.signal })
        }
        const conn = wrap(stream, connection, 'outbound')
        events.emit('connection', conn)
        return conn
      } catch (err) {
        if (isTransportError(err)) throw err
        if (dialOptions.signal?.aborted) throw dialOptions.signal.reason
        if (errorName(err) === 'UnsupportedProtocolError')
          throw new TransportError(
            'ErrNoCommonVersion',
            `${ma.toString()} speaks none of eth/${versions.join(',')}`,
            {
              cause: err,
            },
          )
        throw new TransportError(
          'ErrDial',
          `dialling ${ma.toString()} failed: ${errorMessage(err)}`,
          {
            cause: err,
          },
        )
      } finally {
        clearTimeout(timer)
        dialOptions.signal?.removeEventListener('abort', onAbort)
      }
    },

    accept(signal) {
      if (!running)
        return Promise.reject(
          new TransportError(
            'ErrNotRunning',
            stopped ? 'transport is stopped' : 'transport is not started',
          ),
        )
      const next = pending.shift()
      if (next !== undefined) return Promise.resolve(next)
      if (signal?.aborted) return Promise.reject(signal.reason)
      return new Promise<EthConnection>((resolve, reject) => {
        const entry = {
          resolve: (c: EthConnection) => {
            signal?.removeEventListener('abort', onAbort)
            resolve(c)
          },
          reject: (err: unknown) => {
            signal?.removeEventListener('abort', onAbort)
            reject(err)
          },
        }
        const onAbort = (): void => {
          const i = acceptors.indexOf(entry)
          if (i >= 0) acceptors.splice(i, 1)
          reject(signal?.reason)
        }
        signal?.addEventListener('abort', onAbort, { once: true })
        acceptors.push(entry)
      })
    },

    async *inbound() {
      while (running) {
        try {
          yield await transport.accept()
        } catch (err) {
          if (isTransportError(err, 'ErrNotRunning')) return
          throw err
        }
      }
    },
  }
  return transport
}
