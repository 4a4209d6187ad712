/**
 * The transports part: libp2p and RLPx, both held as `EthTransport`s of `@ethwire/interface`.
 * Every connection either of them announces (inbound and outbound alike) goes to the protocol
 * manager; a dial picks the transport by the address scheme (`canDial`) and nothing else. Bootnodes
 * and `admin_addPeer` addresses are kept connected: dialed at start and redialed with backoff when
 * they drop.
 */
import type { Clock, EthConnection, EthTransport, Logger } from '@ethwire/interface'
import { systemClock } from '@ethwire/interface/runtime'
import { DisconnectReason } from '@ethwire/rlp-wire'
import {
  createLibp2pTransport,
  type Libp2pTransport,
  listenAddresses,
} from '@ethwire/transport-libp2p'
import {
  createRlpxTransport,
  loadOrCreateNodeKey,
  type RlpxTransport,
} from '@ethwire/transport-rlpx'
import {
  defaultListenHost,
  dialTimeoutMs,
  handlerDrainMs,
  libp2pConnectionHeadroom,
  redialInitialMs,
  redialMaxMs,
  redialResetAfterMs,
} from '../constants.js'
import { NodeError } from '../errors.js'
import type { Part } from '../lifecycle.js'
import { clientId } from '../version.js'

export interface PeerAddResult {
  transport: 'libp2p' | 'rlpx'
  remoteId: string
}

/** Where connections go: the protocol manager's `handle` and its peer count. */
export interface ConnectionHandler {
  handle(conn: EthConnection): Promise<void>
  readonly peerCount: number
}

export interface TransportsPartOptions {
  datadir: string
  /** eth versions offered on both transports; read at start (they may depend on the chain). */
  versions: () => number[]
  listenHost?: string
  /** Address put into our enode URL; default the listen address. */
  externalIp?: string
  /** libp2p TCP port (0 = any). */
  port?: number
  /** RLPx listening port; RLPx does not listen when undefined (enode dials still work). */
  rlpxPort?: number
  /** libp2p WebSockets port (`/ip4/<host>/tcp/<port>/ws`); none when undefined. */
  wsPort?: number
  /** Wraps every connection before the protocol manager gets it (metrics counting). */
  wrap?: (conn: EthConnection) => EthConnection
  maxPeers: number
  bootnodes?: readonly string[]
}

export interface TransportsPart extends Part {
  /** Both transports, libp2p first. */
  readonly transports: readonly EthTransport[]
  readonly libp2p: Libp2pTransport
  /** Created at start; listens only with `rlpxPort`. */
  readonly rlpx: RlpxTransport | undefined
  /** libp2p multiaddrs (empty when not running). */
  readonly multiaddrs: string[]
  /** Our enode URL when RLPx listens. */
  readonly enode: string | undefined
  /** Dials now and keeps the peer connected; resolves with the first attempt's outcome. */
  addPeer(address: string): Promise<PeerAddResult>
  /**
   * Dials once (no redial), for the discovery dialer: resolves with the connection (already handed
   * to the protocol manager) and `done`, which settles when its handler ended.
   */
  dial(address: string, signal?: AbortSignal): Promise<{ conn: EthConnection; done: Promise<void> }>
  /** Whether a connected peer (its remote id) is one we keep connected (bootnodes, admin_addPeer). */
  isStatic(remoteId: string): boolean
  /** The RLPx node key (after start). */
  readonly nodeKey: Uint8Array | undefined
  /** The RLPx TCP port we listen on (after start; undefined when RLPx does not listen). */
  readonly rlpxListenPort: number | undefined
}

export function createTransportsPart(
  deps: {
    handler: () => ConnectionHandler
    log: Pick<Logger, 'info' | 'warn' | 'debug'>
    clock?: Clock
  },
  options: TransportsPartOptions,
): TransportsPart {
  const { log } = deps
  const clock = deps.clock ?? systemClock
  let libp2p: Libp2pTransport | undefined
  let rlpx: RlpxTransport | undefined
  let transports: EthTransport[] = []
  let running = false
  let nodeKey: Uint8Array | undefined
  const abort = new AbortController()
  const unsubscribe: Array<() => void> = []
  /** Addresses kept connected (bootnodes, admin_addPeer) → the current connection, if any. */
  const dialing = new Map<string, PeerAddResult | undefined>()
  const dialLoops = new Set<Promise<void>>()
  const handling = new Set<Promise<void>>()
  const handlerOf = new WeakMap<EthConnection, Promise<void>>()

  /** Hands a connection (either transport, either direction) to the protocol manager. */
  const handleConn = (conn: EthConnection): Promise<void> => {
    log.debug('Peer connected', {
      transport: conn.transport,
      version: conn.version,
      addr: conn.remoteAddress,
      direction: conn.direction,
    })
    const done = deps
      .handler()
      .handle(options.wrap ? options.wrap(conn) : conn)
      .catch((err) => log.debug('Peer handler failed', { err }))
      .finally(() => {
        handling.delete(done)
        log.debug('Peer gone', { transport: conn.transport, addr: conn.remoteAddress })
      })
    handling.add(done)
    handlerOf.set(conn, done)
    return done
  }

  const transportFor = (address: string): EthTransport => {
    const t = transports.find((x) => x.canDial(address))
    if (!t)
      throw new NodeError(
        'ErrBadPeerAddress',
        `not a multiaddr or enode URL any transport dials: ${address}`,
      )
    return t
  }

  /** Dials once; the transport's connection listener has started the handler before dial resolves. */
  const dialOnce = async (
    address: string,
    outer?: AbortSignal,
  ): Promise<{ conn: EthConnection; done: Promise<void> }> => {
    const signals = [abort.signal, AbortSignal.timeout(dialTimeoutMs)]
    if (outer) signals.push(outer)
    const signal = AbortSignal.any(signals)
    const conn = await transportFor(address).dial(address, { signal })
    return { conn, done: handlerOf.get(conn) ?? handleConn(conn) }
  }

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      if (abort.signal.aborted) return resolve()
      const onAbort = () => {
        clock.clearTimeout(t)
        resolve()
      }
      const t = clock.setTimeout(() => {
        abort.signal.removeEventListener('abort', onAbort)
        resolve()
      }, ms)
      abort.signal.addEventListener('abort', onAbort, { once: true })
    })

  /**
   * Keeps a peer connected: dial, wait until it is gone, redial with backoff (1 s doubling to
   * 30 s; reset after a connection that lasted 30 s). The first attempt's outcome is reported.
   */
  const keepConnected = (address: string): Promise<PeerAddResult> => {
    if (!running) return Promise.reject(new NodeError('ErrNotRunning', 'addPeer: not running'))
    transportFor(address)
    if (dialing.has(address)) {
      const current = dialing.get(address)
      if (current) return Promise.resolve(current)
      return Promise.reject(
        new NodeError('ErrNotConnected', `${address}: not connected yet, redialing with backoff`),
      )
    }
    dialing.set(address, undefined)
    let reportFirst:
      | { resolve: (r: PeerAddResult) => void; reject: (e: unknown) => void }
      | undefined
    const first = new Promise<PeerAddResult>((resolve, reject) => {
      reportFirst = { resolve, reject }
    })
    first.catch(() => {})
    const loop = (async () => {
      let backoff = redialInitialMs
      while (!abort.signal.aborted) {
        const startedAt = clock.now()
        try {
          const { conn, done } = await dialOnce(address)
          log.info('Dialed peer', { addr: address, version: conn.version })
          const current = {
            transport: conn.transport as PeerAddResult['transport'],
            remoteId: conn.remoteId,
          }
          dialing.set(address, current)
          reportFirst?.resolve(current)
          reportFirst = undefined
          await done
          dialing.set(address, undefined)
          if (abort.signal.aborted) break
          if (clock.now() - startedAt >= redialResetAfterMs) backoff = redialInitialMs
          log.info('Peer dropped, redialing', { addr: address, inMs: backoff })
        } catch (err) {
          if (abort.signal.aborted) break
          reportFirst?.reject(err)
          reportFirst = undefined
          log.debug('Dial failed', { addr: address, err, retryMs: backoff })
        }
        await sleep(backoff)
        backoff = Math.min(backoff * 2, redialMaxMs)
      }
      dialing.delete(address)
    })()
    dialLoops.add(loop)
    void loop.finally(() => dialLoops.delete(loop))
    return first
  }

  const start = async () => {
    const versions = options.versions()
    log.debug('eth versions offered', { versions: versions.join(',') })
    const host = options.listenHost ?? defaultListenHost
    libp2p = createLibp2pTransport(
      {},
      {
        datadir: options.datadir,
        versions,
        listen: listenAddresses({ host, port: options.port ?? 0, wsPort: options.wsPort }),
        // the eth peer limit is ours (the protocol manager's TooManyPeers); libp2p's own
        // connection bound sits above it, its per-host rate and pending-upgrade bounds stay
        inboundLimits: { maxConnections: options.maxPeers + libp2pConnectionHeadroom },
      },
    )
    nodeKey = await loadOrCreateNodeKey(options.datadir)
    rlpx = createRlpxTransport(
      {},
      {
        nodeKey,
        listen: { host, port: options.rlpxPort ?? 0 },
        announceHost:
          options.externalIp ?? (host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host),
        clientId,
        ethVersions: versions,
        maxPeers: options.maxPeers,
        admit: () =>
          deps.handler().peerCount >= options.maxPeers ? DisconnectReason.TooManyPeers : undefined,
        onInboundError: (err, addr) => log.debug('RLPx inbound failed', { addr, err }),
      },
    )
    transports = [libp2p, rlpx]
    for (const t of transports) unsubscribe.push(t.onConnection((conn) => void handleConn(conn)))
    running = true
    await libp2p.listen()
    if (options.rlpxPort !== undefined) await rlpx.listen()
    log.info('Started P2P networking', {
      libp2p: libp2p.addresses().join(','),
      ...(options.rlpxPort !== undefined ? { enode: rlpx.enode } : {}),
    })
    for (const b of options.bootnodes ?? []) {
      try {
        void keepConnected(b).catch((err) => log.warn('Bootnode dial failed', { addr: b, err }))
      } catch (err) {
        log.warn('Bad bootnode address', { addr: b, err })
      }
    }
  }

  const stop = async () => {
    running = false
    abort.abort()
    for (const t of transports) {
      try {
        await t.close()
      } catch (err) {
        log.warn(`Stopping ${t.name} failed`, { err })
      }
    }
    for (const off of unsubscribe.splice(0)) off()
    // handlers end once their connection is closed; a stuck one does not hold up the stop
    await Promise.race([
      Promise.allSettled([...handling]),
      new Promise((r) => setTimeout(r, handlerDrainMs).unref()),
    ])
    await Promise.allSettled([...dialLoops])
  }

  return {
    name: 'transports',
    start,
    stop,
    get transports() {
      return transports
    },
    get libp2p() {
      if (!libp2p) throw new NodeError('ErrNotRunning', 'libp2p: node not started')
      return libp2p
    },
    get rlpx() {
      return rlpx
    },
    get multiaddrs() {
      return libp2p && running ? libp2p.addresses() : []
    },
    get enode() {
      return options.rlpxPort !== undefined && rlpx && running ? rlpx.enode : undefined
    },
    addPeer: keepConnected,
    dial: (address, signal) => dialOnce(address, signal),
    isStatic: (remoteId) => {
      for (const r of dialing.values()) if (r?.remoteId === remoteId) return true
      return false
    },
    get nodeKey() {
      return nodeKey
    },
    get rlpxListenPort() {
      if (options.rlpxPort === undefined || !rlpx || !running) return undefined
      return rlpx.listenAddress?.port
    },
  }
}
