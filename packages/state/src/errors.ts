/** Errors of the state database, each with a stable string `code`. */
export type StateErrorCode =
  /** A trie node the walk needs is not in the store (the root is not stored, or its write was lost). */
  | 'ErrMissingNode'
  /** Contract code asked for by hash is not in the store. */
  | 'ErrMissingCode'
  /** Bytes stored or delivered as a trie node do not decode as one. */
  | 'ErrBadNode'
  /** A Merkle proof does not lead from its root to its key. */
  | 'ErrBadProof'
  /** Trie sync: a delivered item hashes to nothing that was requested (drop the peer that sent it). */
  | 'ErrNotRequested'
  /** Argument of the wrong length (address 20 bytes, slot and value 32). */
  | 'ErrInvalidArgument'

export class StateError extends Error {
  override readonly name = 'StateError'
  readonly code: StateErrorCode
  /** The node or code hash concerned, when there is one. */
  readonly hash: Uint8Array | undefined

  constructor(
    code: StateErrorCode,
    message: string,
    opts: { cause?: unknown; hash?: Uint8Array } = {},
  ) {
    super(`${code}: ${message}`, opts.cause === undefined ? undefined : { cause: opts.cause })
    this.code = code
    this.hash = opts.hash
  }
}

/** Brand check (not `instanceof`: ESM and CJS copies of the class can meet in one process). */
export function isStateError(err: unknown, code?: StateErrorCode): err is StateError {
  if (typeof err !== 'object' || err === null) return false
  const e = err as { name?: unknown; code?: unknown }
  return (
    e.name === 'StateError' && typeof e.code === 'string' && (code === undefined || e.code === code)
  )
}
