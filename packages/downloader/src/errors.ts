/**
 * Every way a sync can fail, and every reason the downloader drops a peer, is a
 * {@link DownloaderError} with a stable `code`. Switch on `code`, never on the message.
 */
export type DownloaderErrorCode =
  /** No peer registered under that id, or no useful peer left to continue the sync. */
  | 'ErrNoPeers'
  /** A sync is already running. */
  | 'ErrBusy'
  /** The sync was cancelled (`cancel()` or the caller's AbortSignal). */
  | 'ErrCancelled'
  /** The downloader was terminated; it accepts no more syncs. */
  | 'ErrTerminated'
  /** The common ancestor is deeper than the maximum fork ancestry, or none was found. */
  | 'ErrInvalidAncestor'
  /** A request to the master peer, or too many requests to a peer, expired. */
  | 'ErrTimeout'
  /** A peer's response does not fit what was asked (wrong numbers, broken links, bad hash). */
  | 'ErrBadPeer'
  /** A peer answered an essential request with nothing. */
  | 'ErrEmptyHeaderSet'
  /** A peer delivered items that were not requested. */
  | 'ErrUnrequestedData'
  /** A block body does not match its header's roots. */
  | 'ErrInvalidBody'
  /** Receipts that do not match their header's receipts root (fast sync). */
  | 'ErrInvalidReceipts'
  /** State nodes refused by the trie-sync scheduler: one hashes to no requested key (fast sync). */
  | 'ErrInvalidState'
  /** The local chain rejected a downloaded block. */
  | 'ErrInvalidChain'
  /**
   * The local chain failed to import for a reason of its own (a storage failure, no state to
   * execute on): its error had `local: true`. No peer is blamed or dropped.
   */
  | 'ErrLocalChain'
  /** The peer is already registered. */
  | 'ErrAlreadyRegistered'

export class DownloaderError extends Error {
  override readonly name = 'DownloaderError'
  readonly code: DownloaderErrorCode
  /** The peer the error is about, when there is one. */
  readonly peerId?: string

  constructor(
    code: DownloaderErrorCode,
    message: string,
    opts: { cause?: unknown; peerId?: string } = {},
  ) {
    super(`${code}: ${message}`, opts.cause === undefined ? undefined : { cause: opts.cause })
    this.code = code
    if (opts.peerId !== undefined) this.peerId = opts.peerId
  }
}

/**
 * Whether `err` is a {@link DownloaderError} (with that `code`, when given). Checks the `name`
 * and `code` brand, not `instanceof`: the package ships ESM and CJS, and two copies of the class
 * can meet in one process.
 */
export function isDownloaderError(
  err: unknown,
  code?: DownloaderErrorCode,
): err is DownloaderError {
  if (typeof err !== 'object' || err === null) return false
  const e = err as { name?: unknown; code?: unknown }
  return (
    e.name === 'DownloaderError' &&
    typeof e.code === 'string' &&
    (code === undefined || e.code === code)
  )
}
