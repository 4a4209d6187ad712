/**
 * One peer's life (go-ethereum's `handler.runEthPeer` and `eth/protocols/eth/handler.go`
 * `Handle`): admission (`maxPeers`), the Status handshake, registration in the peer set and the
 * parts (downloader, txsync, …), the read loop dispatching every message through the handler
 * table of the peer's version, and — however it ends — unregistration everywhere.
 */
import {
  type createForkFilter,
  handshake,
  isHandshakeError,
  type LocalStatus,
} from '@ethwire/handshake'
import type { Clock } from '@ethwire/interface'
import { errorCode, type TypedEmitter } from '@ethwire/interface/runtime'
import { isPeerError, Peer, type PeerSet } from '@ethwire/peerset'
import {
  bytesToHex,
  DisconnectReason,
  type EthConnection,
  isWireError,
  type Msg,
  MsgCode,
} from '@ethwire/rlp-wire'
import { hasBlockAnnouncements } from './broadcast.js'
import { maxMessageSizeBytes } from './constants.js'
import type { Dropper } from './drop.js'
import { isProtocolError, ProtocolError, ProtocolManagerError } from './errors.js'
import { handlerTable, type MsgHandler } from './handlers.js'
import type {
  HandlerContext,
  Logger,
  PeerInfo,
  ProtocolManagerEvents,
  ProtocolManagerStats,
  RandomSource,
} from './types.js'

export interface PeerLoopDeps {
  readonly peers: PeerSet<Peer>
  readonly clock: Clock
  readonly random: RandomSource
  readonly log: Logger
  readonly stats: Pick<ProtocolManagerStats, 'bytesSent' | 'bytesReceived'>
  readonly events: TypedEmitter<ProtocolManagerEvents>
  readonly dropper: Dropper
  readonly handlers: HandlerContext
  /** Our Status for the handshake. */
  readonly localStatus: () => Promise<LocalStatus>
  /** The fork-id filter of the handshake (shared by all peers). */
  readonly forkFilter: ReturnType<typeof createForkFilter>
  /** Resolves to true once the manager runs, to false once it is stopped. */
  readonly admitted: () => Promise<boolean>
  /** Aborts the handshakes in progress (the manager stops). */
  readonly signal: AbortSignal
  /** A registered peer joins the parts (downloader, txsync, syncer). */
  readonly joined: (peer: Peer) => void
  /** A peer leaves the parts (after it was unregistered from the peer set). */
  readonly left: (peer: Peer) => void
}

export interface PeerLoopOptions {
  readonly maxPeers: number
  readonly handshakeTimeoutMs: number
}

export interface PeerLoop {
  /** See `ProtocolManager.handle`: resolves when the peer is gone; never rejects. */
  handle(conn: EthConnection): Promise<void>
  /** Resolves when every `handle` in progress has returned. */
  settled(): Promise<void>
}

/** A peer as admin APIs and events show it. */
export function peerInfo(p: Peer): PeerInfo {
  const i = p.info()
  return {
    id: p.id,
    version: p.version,
    transport: p.conn.transport,
    remoteAddress: i.remoteAddress,
    inbound: p.conn.direction === 'inbound',
    head: bytesToHex(i.headHash),
    ...(i.td !== undefined ? { td: i.td } : {}),
    ...(i.blockRange !== undefined
      ? { earliest: i.blockRange.earliestBlock, latest: i.blockRange.latestBlock }
      : {}),
  }
}

/**
 * `conn` as the manager writes to it: counting the payload bytes written into `stats.bytesSent`,
 * and refusing block announcements (`NewBlock`, `NewBlockHashes`) on eth/69+, whoever queued them
 * (a refused broadcast counts as dropped by the peer's queue; the peer stays).
 */
function outgoingConn(
  conn: EthConnection,
  stats: Pick<ProtocolManagerStats, 'bytesSent'>,
): EthConnection {
  return {
    get version() {
      return conn.version
    },
    get direction() {
      return conn.direction
    },
    get remoteId() {
      return conn.remoteId
    },
    get remoteAddress() {
      return conn.remoteAddress
    },
    get transport() {
      return conn.transport
    },
    get closeInfo() {
      return conn.closeInfo
    },
    readMsg: (signal) => conn.readMsg(signal),
    writeMsg: (code, payload) => {
      if (
        (code === MsgCode.NewBlock || code === MsgCode.NewBlockHashes) &&
        !hasBlockAnnouncements(conn.version)
      ) {
        return Promise.reject(
          new ProtocolManagerError(
            'ErrBlockAnnounceForbidden',
            `eth/${conn.version} has no block announcements (0x${code.toString(16)} not sent)`,
          ),
        )
      }
      stats.bytesSent += payload.length
      return conn.writeMsg(code, payload)
    },
    close: (reason) => conn.close(reason),
  }
}

export function createPeerLoop(deps: PeerLoopDeps, options: PeerLoopOptions): PeerLoop {
  const { peers, clock, random, log, stats, events, dropper } = deps
  const active = new Set<Promise<void>>()
  const tables = new Map<number, Map<number, MsgHandler>>()
  const tableFor = (version: number) => {
    let t = tables.get(version)
    if (t === undefined) {
      t = handlerTable(version)
      tables.set(version, t)
    }
    return t
  }

  const dispatch = async (peer: Peer, msg: Msg): Promise<void> => {
    stats.bytesReceived += msg.size
    if (msg.size > maxMessageSizeBytes || msg.payload.length > maxMessageSizeBytes) {
      throw new ProtocolError(
        'ErrMsgTooLarge',
        peer.id,
        `message 0x${msg.code.toString(16)} of ${msg.size} bytes over ${maxMessageSizeBytes}`,
        { msgCode: msg.code },
      )
    }
    const handler = tableFor(peer.version).get(msg.code)
    if (handler === undefined) {
      throw new ProtocolError(
        'ErrInvalidMsgCode',
        peer.id,
        `eth/${peer.version} has no message 0x${msg.code.toString(16)}`,
        { msgCode: msg.code },
      )
    }
    await handler(deps.handlers, peer, msg)
  }

  const run = async (conn: EthConnection): Promise<void> => {
    // A connection that arrives before start() waits for it (transports may start first).
    if (!(await deps.admitted())) {
      await conn.close(DisconnectReason.ClientQuitting).catch(() => {})
      return
    }
    if (peers.size >= options.maxPeers) {
      log.debug('too many peers, refusing', { peer: conn.remoteId, max: options.maxPeers })
      await conn.close(DisconnectReason.TooManyPeers).catch(() => {})
      return
    }
    const counted = outgoingConn(conn, stats)
    let remote: Awaited<ReturnType<typeof handshake>>['remote']
    try {
      const res = await handshake(
        { conn: counted, local: await deps.localStatus(), clock },
        {
          timeoutMs: options.handshakeTimeoutMs,
          forkFilter: deps.forkFilter,
          signal: deps.signal,
        },
      )
      remote = res.remote
    } catch (err) {
      log.debug('handshake failed', {
        peer: conn.remoteId,
        code: isHandshakeError(err) ? err.code : String(err),
      })
      // The handshake closes on its own failures, not when aborted by stop().
      await conn.close(DisconnectReason.ClientQuitting).catch(() => {})
      return
    }
    // No peer-level request timeout: every requester (downloader, fetchers) owns its own.
    const peer = new Peer({ conn: counted, status: remote, clock, random })
    try {
      peers.register(peer)
    } catch (err) {
      log.debug('peer refused', { peer: peer.id, code: errorCode(err) ?? String(err) })
      await conn
        .close(isPeerError(err) ? err.disconnectReason : DisconnectReason.Requested)
        .catch(() => {})
      return
    }
    try {
      deps.joined(peer)
      log.debug('peer added', { peer: peer.id, version: peer.version })
      events.emit('peer:added', peerInfo(peer))
      for (;;) {
        let msg: Msg
        try {
          msg = await counted.readMsg()
        } catch (err) {
          if (isWireError(err, 'ErrMsgTooLarge'))
            throw new ProtocolError('ErrMsgTooLarge', peer.id, err.message, { cause: err })
          break // closed (by either side)
        }
        await dispatch(peer, msg)
      }
    } catch (err) {
      if (isProtocolError(err)) await dropper.drop(peer, err)
      else if (!peer.closed && conn.closeInfo === undefined && !isPeerError(err, 'ErrClosed')) {
        log.warn('peer handler failed', { peer: peer.id, error: String(err) })
        await dropper.drop(
          peer,
          err instanceof Error ? err : new Error(String(err)),
          DisconnectReason.SubprotocolError,
        )
      }
    } finally {
      const dropped = dropper.take(peer)
      if (peers.get(peer.id) === peer) peers.unregister(peer.id)
      deps.left(peer)
      peer.close()
      await conn.close(DisconnectReason.Requested).catch(() => {})
      log.debug('peer removed', { peer: peer.id, error: dropped?.error })
      events.emit('peer:removed', { ...peerInfo(peer), ...dropped })
    }
  }

  return {
    handle(conn) {
      const p = run(conn).catch((err) => {
        log.warn('peer task failed', { peer: conn.remoteId, error: String(err) })
      })
      active.add(p)
      void p.finally(() => active.delete(p))
      return p
    },
    async settled() {
      await Promise.allSettled([...active])
    },
  }
}
