/**
 * Dropping peers (go-ethereum's `handler.removePeer` and `eth/dropper.go`): every drop carries a
 * typed error, is logged with the codes along its cause chain, counted, and sends the peer the
 * disconnect reason that fits what it did — a breach of the protocol, a useless peer, a timeout —
 * instead of one reason for everything.
 */
import type { DownloaderError, DownloaderErrorCode } from '@ethwire/downloader'
import type { FetcherError, FetcherErrorCode } from '@ethwire/fetcher'
import { errorCode } from '@ethwire/interface/runtime'
import type { Peer } from '@ethwire/peerset'
import { DisconnectReason } from '@ethwire/rlp-wire'
import { isProtocolError, ProtocolError } from './errors.js'
import type { DropInfo, Logger, ProtocolManagerStats } from './types.js'

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

export interface DropperDeps {
  readonly stats: Pick<ProtocolManagerStats, 'peersDropped'>
  readonly log: Logger
}

export interface Dropper {
  /**
   * Disconnects `peer` for `err`: with `reason`, else the `ProtocolError`'s own reason, else
   * SubprotocolError. Once per peer; a closed peer is left alone.
   */
  drop(peer: Peer, err: Error, reason?: number): Promise<void>
  /** Why `peer` was dropped (for `peer:removed`), forgotten once read. */
  take(peer: Peer): DropInfo | undefined
}

export function createDropper(deps: DropperDeps): Dropper {
  const dropped = new Map<Peer, DropInfo>()
  return {
    async drop(peer, err, reason) {
      if (peer.closed) return
      const code = errorCode(err) ?? 'Error'
      const why =
        reason ?? (isProtocolError(err) ? err.disconnectReason : DisconnectReason.SubprotocolError)
      const causes = causeCodes(err)
      dropped.set(peer, {
        error: code,
        ...(causes[0] !== undefined ? { cause: causes[0] } : {}),
        reason: why,
      })
      deps.stats.peersDropped++
      deps.log.warn('dropping peer', {
        peer: peer.id,
        code,
        reason: why,
        error: err.message,
        ...(causes.length > 0 ? { causes } : {}),
      })
      await peer.disconnect(why)
    },
    take(peer) {
      const d = dropped.get(peer)
      dropped.delete(peer)
      return d
    },
  }
}
