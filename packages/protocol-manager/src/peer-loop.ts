/**
 * One peer's life (go-ethereum's `handler.runEthPeer` and `eth/protocols/eth/handler.go`
 * `Handle`): admission (a banned id is refused first, then `maxPeers`, which a trusted peer passes
 * by evicting the lowest-scored peer), the Status handshake, registration in the peer set and the
 * parts (downloader, txsync, …), the read loop dispatching every message through the handler
 * table of the peer's version, the peer's serving queue, and — however it ends — unregistration
 * everywhere.
 */
import {
  type createForkFilter,
  handshake,
  isHandshakeError,
  type LocalStatus,
} from '@ethwire/handshake'
import type { Clock } from '@ethwire/interface'
import { errorCode, type TypedEmitter } from '@ethwire/interface/runtime'
import { isPeerError, offenceOf, Peer, PeerError, type PeerSet } from '@ethwire/peerset'
import {
  bytesToHex,
  DisconnectReason,
  type EthConnection,
  isWireError,
  type Msg,
  MsgCode,
} from '@ethwire/rlp-wire'
import { hasBlockAnnouncements } from './broadcast.js'
import { maxMessageSizeBytes, maxQueuedServeRequests } from './constants.js'
import type { Dropper } from './drop.js'
import { isProtocolError, ProtocolError, ProtocolManagerError } from './errors.js'
import { handlerTable, type MsgHandler } from './handlers.js'
import { createServeLane, type ServeLane, type ServeWork } from './serve-lane.js'
import type {
  HandlerContext,
  Logger,
  PeerInfo,
  ProtocolManagerEvents,
  ProtocolManagerStats,
  RandomSource,
  RefusedInfo,
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
  /** Requests of one peer waiting to be served before its read loop waits (default 16). */
  readonly maxQueuedServeRequests?: number
}

export interface PeerLoop {
  /** See `ProtocolManager.handle`: resolves when the peer is gone; never rejects. */
  handle(conn: EthConnection): Promise<void>
  /** Resolves when every `handle` in progress has returned. */
  settled(): Promise<void>
  /**
   * Queues the serving of one request of `peer` after its earlier ones (`HandlerContext.schedule`);
   * resolves once queued. For a peer this loop does not run (gone) the work is dropped.
   */
  schedule(peer: Peer, work: ServeWork): Promise<void>
}

/** A peer as admin APIs and events show it (with its reputation when `peers` is given). */
export function peerInfo(p: Peer, peers?: Pick<PeerSet<Peer>, 'scores'>): PeerInfo {
  const i = p.info()
  const rep = peers?.scores.info(p.id)
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
    ...(rep !== undefined
      ? {
          score: rep.score,
          kind: rep.kind,
          offences: rep.offences,
          ...(rep.lastOffence !== undefined ? { lastOffence: rep.lastOffence } : {}),
        }
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
  onClose: () => void,
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
    close: (reason) => {
      onClose()
      return conn.close(reason)
    },
  }
}

export function createPeerLoop(deps: PeerLoopDeps, options: PeerLoopOptions): PeerLoop {
  const { peers, clock, random, log, stats, events, dropper } = deps
  const active = new Set<Promise<void>>()
  const lanes = new Map<Peer, ServeLane>()
  // One listener for every lane (not one each on the shared signal): stopping closes them all.
  deps.signal.addEventListener(
    'abort',
    () => {
      for (const l of lanes.values()) l.close()
    },
    { once: true },
  )
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

  /** A handler (or a serving) failed: drop the peer for it, unless it is gone anyway. */
  const failed = async (peer: Peer, conn: EthConnection, err: unknown): Promise<void> => {
    if (isProtocolError(err)) await dropper.drop(peer, err)
    else if (!peer.closed && conn.closeInfo === undefined && !isPeerError(err, 'ErrClosed')) {
      log.warn('peer handler failed', { peer: peer.id, error: String(err) })
      await dropper.drop(
        peer,
        err instanceof Error ? err : new Error(String(err)),
        DisconnectReason.SubprotocolError,
      )
    }
  }

  const refuse = async (conn: EthConnection, info: Omit<RefusedInfo, 'id' | 'remoteAddress'>) => {
    log.debug('peer refused', { peer: conn.remoteId, code: info.error, detail: info.detail })
    await conn.close(info.reason).catch(() => {})
    events.emit('peer:refused', { id: conn.remoteId, remoteAddress: conn.remoteAddress, ...info })
  }

  const run = async (conn: EthConnection): Promise<void> => {
    // A connection that arrives before start() waits for it (transports may start first).
    if (!(await deps.admitted())) {
      await conn.close(DisconnectReason.ClientQuitting).catch(() => {})
      return
    }
    // A banned id is refused before anything else (before the handshake costs us anything).
    const ban = peers.scores.banOf(conn.remoteId)
    if (ban !== undefined) {
      const err = new PeerError('ErrBanned', `peer ${conn.remoteId} is banned: ${ban.reason}`)
      await refuse(conn, { error: err.code, reason: err.disconnectReason, detail: err.message })
      return
    }
    const trusted = peers.scores.kindOf(conn.remoteId) === 'trusted'
    if (peers.size >= options.maxPeers && !trusted) {
      log.debug('too many peers, refusing', { peer: conn.remoteId, max: options.maxPeers })
      await refuse(conn, {
        error: 'ErrTooManyPeers',
        reason: DisconnectReason.TooManyPeers,
        detail: `${peers.size} peers (max ${options.maxPeers})`,
      })
      return
    }
    let lane: ServeLane | undefined
    const counted = outgoingConn(conn, stats, () => lane?.close())
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
      const code = isHandshakeError(err) ? err.code : (errorCode(err) ?? String(err))
      log.debug('handshake failed', { peer: conn.remoteId, code })
      // The handshake closes on its own failures, not when aborted by stop().
      await conn.close(DisconnectReason.ClientQuitting).catch(() => {})
      // What is the peer's fault (no Status first, an undecodable one, no answer in time) is
      // scored; an incompatible chain (genesis, network, fork id) is not an offence.
      const kind = deps.signal.aborted ? undefined : offenceOf(err)
      if (kind !== undefined) {
        const detail = `handshake: ${err instanceof Error ? err.message : String(err)}`
        const out = peers.scores.report(conn.remoteId, kind, { detail })
        events.emit('peer:offence', {
          id: conn.remoteId,
          kind,
          detail,
          score: out.score,
          dropped: false,
        })
      }
      events.emit('peer:refused', {
        id: conn.remoteId,
        remoteAddress: conn.remoteAddress,
        error: code,
        reason: conn.closeInfo?.reason ?? DisconnectReason.ClientQuitting,
        ...(err instanceof Error ? { detail: err.message } : {}),
      })
      return
    }
    // No peer-level request timeout: every requester (downloader, fetchers) owns its own.
    const peer = new Peer({ conn: counted, status: remote, clock, random })
    // A trusted peer takes the slot of the lowest-scored peer that is neither trusted nor static.
    if (trusted && peers.size >= options.maxPeers && !peers.has(peer.id)) {
      const victim = peers.evictionCandidate()
      if (victim !== undefined) {
        peers.unregister(victim.id)
        void dropper.drop(
          victim,
          new ProtocolManagerError(
            'ErrEvicted',
            `evicted (score ${peers.scores.score(victim.id)}) for trusted peer ${peer.id}`,
          ),
          DisconnectReason.TooManyPeers,
        )
      }
    }
    try {
      peers.register(peer)
    } catch (err) {
      const reason = isPeerError(err) ? err.disconnectReason : DisconnectReason.Requested
      await refuse(conn, {
        error: errorCode(err) ?? String(err),
        reason,
        ...(err instanceof Error ? { detail: err.message } : {}),
      })
      return
    }
    lane = createServeLane({
      maxQueued: options.maxQueuedServeRequests ?? maxQueuedServeRequests,
      onError: (err) => void failed(peer, conn, err),
    })
    if (deps.signal.aborted) lane.close()
    lanes.set(peer, lane)
    try {
      deps.joined(peer)
      log.debug('peer added', { peer: peer.id, version: peer.version })
      events.emit('peer:added', peerInfo(peer, peers))
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
      await failed(peer, conn, err)
    } finally {
      lane.close()
      lanes.delete(peer)
      const dropped = dropper.take(peer)
      if (peers.get(peer.id) === peer) peers.unregister(peer.id)
      deps.left(peer)
      peer.close()
      await conn.close(DisconnectReason.Requested).catch(() => {})
      await lane.idle()
      // A serving that failed while winding down may have recorded a drop of its own.
      const late = dropper.take(peer)
      const why = dropped ?? late
      log.debug('peer removed', { peer: peer.id, error: why?.error })
      events.emit('peer:removed', { ...peerInfo(peer, peers), ...why })
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
    schedule(peer, work) {
      // A peer this loop no longer runs is gone: nothing to serve.
      return lanes.get(peer)?.push(work) ?? Promise.resolve()
    },
  }
}
