import { isCodedError } from '@ethwire/interface/runtime'

/** Typed errors of @ethwire/chain. Every rejection of a block or header carries a stable `code`. */
export type ChainErrorCode =
  | 'ErrUnknownParent'
  | 'ErrInvalidNumber'
  | 'ErrInvalidTimestamp'
  | 'ErrInvalidGasLimit'
  | 'ErrInvalidGasUsed'
  | 'ErrExtraDataTooLong'
  | 'ErrInvalidBaseFee'
  | 'ErrInvalidBlobGas'
  | 'ErrForkFieldMissing'
  | 'ErrForkFieldForbidden'
  | 'ErrInvalidBody'
  | 'ErrInvalidDifficulty'
  | 'ErrInvalidNonce'
  | 'ErrInvalidUncles'
  | 'ErrInvalidMixDigest'
  | 'ErrInvalidSeal'
  | 'ErrUnauthorizedSigner'
  | 'ErrRecentlySigned'
  | 'ErrInvalidCheckpoint'
  | 'ErrCliqueVoteUnsupported'
  | 'ErrGenesisMismatch'
  | 'ErrNoGenesis'
  | 'ErrInvalidGenesis'
  | 'ErrUnsupportedEngine'
  | 'ErrUnknownBlock'
  | 'ErrNotLinked'
  | 'ErrClosed'
  | 'ErrBadBlock'
  | 'ErrMissingState'
  | 'ErrInvalidReceipts'
  | 'ErrDatabaseVersion'
  | 'ErrIncompatibleConfig'
  /** A log query's filter is contradictory or out of range (JSON-RPC -32602). */
  | 'ErrLogsFilter'
  /** A log query spans more blocks than allowed. */
  | 'ErrLogsRange'
  /** A log query found more logs than allowed. */
  | 'ErrLogsLimit'
  /** The data directory cannot be written (read-only mount, permissions): at open, or a write later. */
  | 'ErrDatadirReadOnly'
  /** A write failed for want of space (ENOSPC, EDQUOT); the chain refuses writes until reopened. */
  | 'ErrDiskFull'
  /** Another write failure (an I/O error); the chain refuses writes until reopened. */
  | 'ErrWrite'
  /**
   * The chain has no state at its head (a header-only genesis, before a fast sync committed a
   * pivot with its state): blocks cannot be executed.
   */
  | 'ErrStateNotSynced'

export class ChainError extends Error {
  override readonly name = 'ChainError'
  constructor(
    readonly code: ChainErrorCode,
    message: string,
    /** Number of the offending block, when there is one. */
    readonly blockNumber?: bigint,
    /** `ErrBadBlock`: the header field the execution did not reproduce (or `transactions`). */
    readonly field?: string,
    /** `cause`: the underlying error (a storage failure's LevelDB or OS error). */
    options?: { cause?: unknown },
  ) {
    super(
      `${code}: ${message}`,
      options?.cause === undefined ? undefined : { cause: options.cause },
    )
  }

  /**
   * True when the failure is ours, not the block's: the database cannot be written, is closed,
   * or has no state to execute on. A syncing downloader ends the sync without blaming the peer
   * that sent the block (see `DownloaderChain.insertChain` of `@ethwire/downloader`).
   */
  get local(): boolean {
    return localCodes.has(this.code)
  }
}

const localCodes: ReadonlySet<ChainErrorCode> = new Set<ChainErrorCode>([
  'ErrDatadirReadOnly',
  'ErrDiskFull',
  'ErrWrite',
  'ErrClosed',
  'ErrStateNotSynced',
])

/**
 * Whether `err` is a {@link ChainError} (with `code`, when given), by its `name` brand and string
 * `code`, not `instanceof` (a second copy of the package makes errors `instanceof` misses).
 */
export function isChainError(err: unknown, code?: ChainErrorCode): err is ChainError {
  return isCodedError<ChainError>(err, 'ChainError', code)
}
