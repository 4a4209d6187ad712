/**
 * Dropping and scoring peers (go-ethereum's `handler.removePeer` and `eth/dropper.go`, reth's
 * reputation changes): every drop carries a typed error, is scored in the peer set's reputation
 * table, logged with the codes along its cause chain, counted, and sends the peer the disconnect
 * reason that fits what it did — a breach of the protocol, a useless peer, a timeout — instead of
 * one reason for everything. Offences that do not drop at once (timeouts, invalid or unsolicited
 * responses, floods) are reported here too and drop the peer once its score is below the ban
 * threshold.
 */
import type { DownloaderError, DownloaderErrorCode } from '@ethwire/downloader'
import type { FetcherError, FetcherErrorCode } from '@ethwire/fetcher'
import { errorCode, type TypedEmitter } from '@ethwire/interface/runtime'
import {
  type OffenceKind,
  offenceOf,
  type Peer,
  type PeerSet,
  type ReportOutcome,
} from '@ethwire/peerset'
import { DisconnectReason } from '@ethwire/rlp-wire'
import { isProtocolError, ProtocolError } from './errors.js'
import type { DropInfo, Logger, ProtocolManagerEvents, ProtocolManagerStats } from './types.js'

/**
 * The disconnect reason for a peer the downloader gave up on: a timeout is `Timeout`, data that
 * does not fit what was asked is a breach of the protocol (`ProtocolError`), a chain that is no
 * use to us (an empty or invalid chain, no common ancestor) is `UselessPeer`.
 */
const downloaderReasons: Record<DownloaderErrorCode, number> = {
  ErrTimeout: DisconnectReason.Timeout,
  ErrBadPeer: DisconnectReason.ProtocolError,
  ErrUnrequestedData: DisconnectReason.ProtocolError,
  ErrInvalidBody: DisconnectReason.ProtocolError,
  ErrInvalidReceipts: DisconnectReason.ProtocolError,
  ErrInvalidState: DisconnectReason.ProtocolError,
  ErrEmptyHeaderSet: DisconnectReason.UselessPeer,
  ErrInvalidAncestor: DisconnectReason.UselessPeer,
  ErrInvalidChain: DisconnectReason.UselessPeer,
  ErrLocalChain: DisconnectReason.UselessPeer, // never a drop: no peer is blamed
  ErrNoPeers: DisconnectReason.UselessPeer,
  ErrBusy: DisconnectReason.UselessPeer,
  ErrCancelled: DisconnectReason.UselessPeer,
  ErrTerminated: DisconnectReason.UselessPeer,
  ErrAlreadyRegistered: DisconnectReason.UselessPeer,
}

/**
 * The disconnect reason for a fetcher error: a header or block the chain rejects makes the peer
 * useless (`UselessPeer`, as go-ethereum); breaking a rule of the wire protocol (unrequested or
 * duplicate transactions, a blob transaction by broadcast, a delivery contradicting the peer's own
 * announcement, a header whose number differs from its announcement, a body that does not match
 * its header) is `ProtocolError`.
 */
const fetcherReasons: Record<FetcherErrorCode, number> = {
  ErrInvalidHeader: DisconnectReason.UselessPeer,
  ErrInvalidTx: DisconnectReason.UselessPeer,
  ErrHeaderNumberMismatch: DisconnectReason.ProtocolError,
  ErrInvalidBody: DisconnectReason.ProtocolError,
  ErrUnrequestedTx: DisconnectReason.ProtocolError,
  ErrDuplicateTx: DisconnectReason.ProtocolError,
  ErrBroadcastBlobTx: DisconnectReason.ProtocolError,
  ErrTxTypeMismatch: DisconnectReason.ProtocolError,
  ErrTxSizeMismatch: DisconnectReason.ProtocolError,
}

/** Our `ErrBadPeer` for a peer the downloader gave up on, with the reason its code calls for. */
export function fromDownloaderError(peerId: string, err: DownloaderError): ProtocolError {
  return new ProtocolError('ErrBadPeer', peerId, err.message, {
    cause: err,
    disconnectReason: downloaderReasons[err.code] ?? DisconnectReason.UselessPeer,
  })
}

/** Our `ErrBadPeer` for a peer a fetcher reported, with the reason its code calls for. */
export function fromFetcherError(peerId: string, err: FetcherError | Error): ProtocolError {
  const code = errorCode(err) as FetcherErrorCode | undefined
  return new ProtocolError('ErrBadPeer', peerId, err.message, {
    cause: err,
    disconnectReason:
      (code !== undefined ? fetcherReasons[code] : undefined) ?? DisconnectReason.UselessPeer,
  })
}

/** The codes along an error's cause chain (e.g. ErrBadPeer ← ErrInvalidHeader ← ErrUnauthorizedSigner). */
export function causeCodes(err: unknown): string[] {
  const out: string[] = []
  let c = (err as { cause?: unknown } | undefined)?.cause
  for (let i = 0; i < 5 && c !== undefined && c !== null; i++) {
    out.push(errorCode(c) ?? String((c as { message?: unknown }).message ?? c))
    c = (c as { cause?: unknown }).cause
  }
  return out
}

/** The first offence `offenceOf` finds along an error and its causes. */
function offenceInChain(err: unknown): OffenceKind | undefined {
  let c: unknown = err
  for (let i = 0; i < 6 && c !== undefined && c !== null; i++) {
    const k = offenceOf(c)
    if (k !== undefined) return k
    c = (c as { cause?: unknown }).cause
  }
  return undefined
}

/**
 * The offence a drop for `err` is scored as: a `ProtocolError` from the read loop is a bad
 * message (undecodable, too large, a code the version lacks, a second Status, a block announcement
 * on eth/69, an implausible NewBlock); a bad eth/70 receipts answer a bad response; `ErrBadPeer`
 * and `ErrDaoFork` by their cause (`offenceOf` of `@ethwire/peerset`: the fetchers' and the
 * downloader's codes), a bad response when the cause says nothing. `ErrReputation` is the outcome
 * of a score, not another offence; errors that are not the peer's (a failing chain read) are not
 * scored.
 */
export function offenceOfDrop(err: unknown): OffenceKind | undefined {
  if (!isProtocolError(err)) return undefined
  switch (err.code) {
    case 'ErrReputation':
      return undefined
    case 'ErrBadPeer':
    case 'ErrDaoFork':
      return offenceInChain(err.cause) ?? 'badResponse'
    case 'ErrInvalidReceipts':
      return 'badResponse'
    default:
      return 'badMessage'
  }
}

export interface DropperDeps {
  readonly stats: Pick<ProtocolManagerStats, 'peersDropped'>
  readonly log: Logger
  /**
   * The peer set whose reputation table (`peers.scores`) drops and offences are scored in.
   * Without it nothing is scored.
   */
  readonly peers?: Pick<PeerSet<Peer>, 'scores'>
  /** Where `peer:offence` goes. */
  readonly events?: Pick<TypedEmitter<ProtocolManagerEvents>, 'emit'>
}

export interface Dropper {
  /**
   * Disconnects `peer` for `err`: with `reason`, else the `ProtocolError`'s own reason, else
   * SubprotocolError. A `ProtocolError` is scored first (see {@link offenceOfDrop}). Once per
   * peer; a closed peer is left alone.
   */
  drop(peer: Peer, err: Error, reason?: number): Promise<void>
  /**
   * Reports an offence of `peer` that does not drop it at once (a timeout, an invalid or
   * unsolicited response, a flood): scored in the reputation table, emitted as `peer:offence`;
   * when the score falls below the ban threshold the id is banned and the peer dropped with
   * `ProtocolError('ErrReputation')` (`cause`, when given, behind it).
   */
  report(peer: Peer, kind: OffenceKind, detail: string, cause?: unknown): ReportOutcome | undefined
  /** Why `peer` was dropped (for `peer:removed`), forgotten once read. */
  take(peer: Peer): DropInfo | undefined
}

export function createDropper(deps: DropperDeps): Dropper {
  const dropped = new Map<Peer, DropInfo>()
  const scores = deps.peers?.scores

  const disconnect = async (
    peer: Peer,
    err: Error,
    why: number,
    scored: { kind: OffenceKind; outcome: ReportOutcome } | undefined,
    detail: string,
  ): Promise<void> => {
    const code = errorCode(err) ?? 'Error'
    const causes = causeCodes(err)
    dropped.set(peer, {
      error: code,
      ...(causes[0] !== undefined ? { cause: causes[0] } : {}),
      reason: why,
      detail,
      ...(scored !== undefined ? { offence: scored.kind } : {}),
    })
    deps.stats.peersDropped++
    deps.log.warn('dropping peer', {
      peer: peer.id,
      code,
      reason: why,
      error: err.message,
      ...(causes.length > 0 ? { causes } : {}),
      ...(scored !== undefined ? { offence: scored.kind, score: scored.outcome.score } : {}),
    })
    await peer.disconnect(why)
  }

  return {
    async drop(peer, err, reason) {
      if (peer.closed) return
      const why =
        reason ?? (isProtocolError(err) ? err.disconnectReason : DisconnectReason.SubprotocolError)
      const kind = scores !== undefined ? offenceOfDrop(err) : undefined
      let scored: { kind: OffenceKind; outcome: ReportOutcome } | undefined
      if (kind !== undefined && scores !== undefined) {
        const outcome = scores.report(peer.id, kind, { detail: err.message })
        scored = { kind, outcome }
        deps.events?.emit('peer:offence', {
          id: peer.id,
          kind,
          detail: err.message,
          score: outcome.score,
          dropped: true,
        })
      }
      await disconnect(peer, err, why, scored, err.message)
    },
    report(peer, kind, detail, cause) {
      if (scores === undefined) {
        deps.log.debug('peer offence', { peer: peer.id, kind, detail })
        return undefined
      }
      const outcome = scores.report(peer.id, kind, { detail })
      const drop = outcome.shouldDrop && !peer.closed && !dropped.has(peer)
      deps.log.debug('peer offence', { peer: peer.id, kind, detail, score: outcome.score })
      deps.events?.emit('peer:offence', {
        id: peer.id,
        kind,
        detail,
        score: outcome.score,
        dropped: drop,
      })
      if (drop) {
        const err = new ProtocolError('ErrReputation', peer.id, outcome.reason, {
          ...(cause !== undefined ? { cause } : {}),
          disconnectReason: outcome.disconnectReason,
        })
        void disconnect(peer, err, outcome.disconnectReason, { kind, outcome }, outcome.reason)
      }
      return outcome
    },
    take(peer) {
      const d = dropped.get(peer)
      dropped.delete(peer)
      return d
    },
  }
}
