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
  defaultInboundPerHostPerSecond,
  defaultListenAddrs,
  defaultMaxConnections,
  defaultMaxMessageSizeBytes,
  defaultMaxPendingInboundConnections,
  defaultPingIntervalMs,
  defaultPingTimeoutMs,
  defaultProtocolPrefix,
  maxPendingInbound,
  protocolSuffix,
} from './constants.js'
import { isTransportError, TransportError } from './errors.js'
import { createInboundRateLimiter, hostOfMultiaddr } from './inbound-limit.js'
import { loadLibp2pModules, loadTcp, loadWebSockets } from './modules.js'
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

/** An IP or DNS address with a TCP port, then the rest (`/ws`, `/p2p/<id>`, …). */
const tcpBasedAddress = /^\/(ip4|ip6|dns|dns4|dns6|dnsaddr)\/[^/]+\/tcp\/\d+((?:\/[^/]+)*)\/?$/
/** After the TCP port: WebSockets, plain (`/ws`) or secure (`/wss`, `/tls/ws`, `/tls/sni/<host>/ws`). */
const webSocketsSuffix = /^(\/tls(\/sni\/[^/]+)?)?\/wss?(\/|$)/

/** Which libp2p transport dials `address`, or undefined when neither would. */
export function libp2pTransportFor(address: string): Libp2pTransportKind | undefined {
  const m = tcpBasedAddress.exec(address)
  if (m === null) return undefined
  const rest = m[2] ?? ''
  if (webSocketsSuffix.test(rest)) return 'websockets'
  // Another transport stacked on TCP (`/tls` without ws, `/http`, …) is neither.
  if (rest === '' || rest.startsWith('/p2p/') || rest.startsWith('/p2p-circuit')) return 'tcp'
  return undefined
}

/**
 * The libp2p transports a transport can build its node with: `'tcp'` (`@libp2p/tcp`, Node only)
 * and `'websockets'` (`@libp2p/websockets`: listen on Node, dial on Node and in browsers).
 */
export type Libp2pTransportKind = 'tcp' | 'websockets'

/** True on Node (and Deno, Bun): where `@libp2p/tcp` works. */
const onNode = (): boolean =>
  typeof (globalThis as { process?: { versions?: { node?: unknown } } }).process?.versions?.node ===
  'string'

/** The default `transports`: TCP and WebSockets on Node, WebSockets elsewhere (a browser). */
export function defaultTransports(): Libp2pTransportKind[] {
  return onNode() ? ['tcp', 'websockets'] : ['websockets']
}

export interface ListenAddressesOptions {
  /** IPv4 or IPv6 address to listen on. Default `127.0.0.1`. */
  host?: string
  /** TCP port (0 = any free port); TCP is off when undefined and `wsPort` is set. Default 0. */
  port?: number
  /** WebSockets port (0 = any free port); WebSockets listening is off when undefined. */
  wsPort?: number
}

/**
 * The listen multiaddrs of a node with a TCP port and/or a WebSockets port on one host, what a
 * node's `--port` / `--ws.port` flags become:
 * `listenAddresses({ host: '127.0.0.1', port: 30304, wsPort: 8546 })` →
 * `['/ip4/127.0.0.1/tcp/30304', '/ip4/127.0.0.1/tcp/8546/ws']`.
 */
export function listenAddresses(options: ListenAddressesOptions = {}): string[] {
  const host = options.host ?? '127.0.0.1'
  const family = host.includes(':') ? 'ip6' : 'ip4'
  const out: string[] = []
  const port = options.port ?? (options.wsPort === undefined ? 0 : undefined)
  for (const p of [port, options.wsPort]) {
    if (p !== undefined && !(Number.isInteger(p) && p >= 0 && p <= 65_535))
      throw new RangeError(`not a port: ${p}`)
  }
  if (port !== undefined) out.push(`/${family}/${host}/tcp/${port}`)
  if (options.wsPort !== undefined) out.push(`/${family}/${host}/tcp/${options.wsPort}/ws`)
  return out
}

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

/** Closes a libp2p connection gracefully, aborting it when that takes more than `timeoutMs`. */
async function hangUp(connection: Connection, timeoutMs: number): Promise<void> {
  if (connection.status !== 'open') return
  const ac = new AbortController()
  const timer = setTimeout(
    () => ac.abort(new Error(`close timed out after ${timeoutMs} ms`)),
    timeoutMs,
  )
  try {
    await connection.close({ signal: ac.signal })
  } catch (err) {
    connection.abort(err instanceof Error ? err : new Error(String(err)))
  } finally {
    clearTimeout(timer)
  }
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
  /**
   * Listen multiaddrs when building the node: TCP (`/ip4/127.0.0.1/tcp/30304`) and/or WebSockets
   * (`/ip4/127.0.0.1/tcp/8546/ws`; see {@link listenAddresses}). Default `/ip4/127.0.0.1/tcp/0`
   * with `'tcp'` among the transports, else none (a browser dials only).
   */
  readonly listen?: readonly string[]
  /**
   * The libp2p transports to build the node with. Default {@link defaultTransports}: TCP and
   * WebSockets on Node, WebSockets in a browser (where TCP does not exist).
   */
  readonly transports?: readonly Libp2pTransportKind[]
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
  /**
   * Liveness of the libp2p node we build: a ping every `pingIntervalMs` (default 15 s) on each
   * connection, aborted when one is not answered within `pingTimeoutMs` (default 20 s, the floor
   * of libp2p's adaptive timeout).
   */
  readonly pingIntervalMs?: number
  readonly pingTimeoutMs?: number
  /** Inbound connection limits of the libp2p node we build (ignored for one passed in). */
  readonly inboundLimits?: Libp2pInboundLimits
}

/**
 * What the libp2p node we build accepts, before any eth stream exists. The eth peer limit is the
 * node's own (it refuses extra peers with TooManyPeers); these are the transport's abuse bounds.
 */
export interface Libp2pInboundLimits {
  /** libp2p connections at most, both directions (`connectionManager.maxConnections`). Default 300. */
  readonly maxConnections?: number
  /**
   * Inbound connections in their noise/yamux upgrade at once; more are refused
   * (`connectionManager.maxIncomingPendingConnections`). Default 64.
   */
  readonly maxPending?: number
  /**
   * New inbound connections one remote host may open per second; more are refused. Default 5.
   * Loopback hosts are exempt unless `limitLoopback`.
   */
  readonly perHostPerSecond?: number
  /** Apply `perHostPerSecond` to loopback hosts too. Default false. */
  readonly limitLoopback?: boolean
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
  /**
   * True for an IP or DNS multiaddr with a TCP port (`/ip4/1.2.3.4/tcp/30303/p2p/…`) when TCP is
   * among the transports, and one with `/ws` or `/wss` after the port when WebSockets is (for a
   * transport attached to an existing node: either).
   */
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
  const kinds = new Set<Libp2pTransportKind>(
    ownsNode ? (options.transports ?? defaultTransports()) : ['tcp', 'websockets'],
  )
  for (const k of kinds)
    if (k !== 'tcp' && k !== 'websockets') throw new RangeError(`unknown libp2p transport ${k}`)
  if (kinds.size === 0) throw new RangeError('at least one libp2p transport is required')
  const listen = options.listen ?? (kinds.has('tcp') ? defaultListenAddrs : [])
  for (const k of ['pingIntervalMs', 'pingTimeoutMs'] as const) {
    const v = options[k]
    if (v !== undefined && !(Number.isInteger(v) && v >= 1))
      throw new RangeError(`${k} must be a positive integer, got ${v}`)
  }
  const limits = options.inboundLimits ?? {}
  for (const [k, v] of Object.entries(limits))
    if (typeof v === 'number' && !(Number.isInteger(v) && v >= 1))
      throw new RangeError(`inboundLimits.${k} must be a positive integer, got ${v}`)
  const inboundRate = createInboundRateLimiter({
    perSecond: limits.perHostPerSecond ?? defaultInboundPerHostPerSecond,
    limitLoopback: limits.limitLoopback ?? false,
    now,
  })

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
        void hangUp(connection, closeTimeoutMs)
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
      const transports = []
      if (kinds.has('tcp')) transports.push((await loadTcp()).tcp())
      if (kinds.has('websockets')) transports.push((await loadWebSockets()).webSockets())
      node = await m.libp2p.createLibp2p({
        ...(privateKey === undefined ? {} : { privateKey }),
        addresses: { listen: [...listen] },
        transports,
        // libp2p's browser default refuses private addresses and plain ws://: this transport
        // dials exactly the addresses it is given (a node's own bootnodes, a loopback dev node).
        connectionGater: {
          denyDialMultiaddr: () => false,
          denyInboundConnection: (maConn) => {
            const host = hostOfMultiaddr(maConn.remoteAddr.toString())
            return host !== undefined && !inboundRate.admit(host)
          },
        },
        connectionMonitor: {
          pingInterval: options.pingIntervalMs ?? defaultPingIntervalMs,
          pingTimeout: {
            minTimeout: options.pingTimeoutMs ?? defaultPingTimeoutMs,
            maxTimeout: Math.max(60_000, options.pingTimeoutMs ?? defaultPingTimeoutMs),
          },
        },
        connectionManager: {
          maxConnections: limits.maxConnections ?? defaultMaxConnections,
          maxIncomingPendingConnections: limits.maxPending ?? defaultMaxPendingInboundConnections,
          // the per-host rate is ours (the gater above), which can exempt loopback
          inboundConnectionThreshold: Number.MAX_SAFE_INTEGER,
        },
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
      const kind = libp2pTransportFor(address)
      return kind !== undefined && kinds.has(kind)
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
        // Hang up ourselves, each within closeTimeoutMs, before node.stop(): libp2p 3 over
        // WebSockets can wait for a close that never comes when both ends stop at once, and the
        // timeout libp2p puts on it (AbortSignal.timeout) does not keep the process alive.
        await Promise.all(node.getConnections().map((c) => hangUp(c, closeTimeoutMs)))
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
