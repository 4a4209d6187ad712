/** Errors of the node and CLI, typed with a code. */
import { errorCode, isCodedError } from '@ethwire/interface/runtime'

export type NodeErrorCode =
  | 'ErrUnsupportedEngine'
  | 'ErrNoGenesis'
  | 'ErrDatadirLocked'
  | 'ErrBadKeyFile'
  | 'ErrNotDevDatadir'
  | 'ErrDevchainFuture'
  | 'ErrBadPeerAddress'
  | 'ErrNotConnected'
  | 'ErrNotRunning'
  | 'ErrUsage'
  | 'ErrRootPoolClosed'

export class NodeError extends Error {
  override readonly name = 'NodeError'
  constructor(
    readonly code: NodeErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options)
  }
}

/** Brand check (`name` and `code`), so a NodeError of a second copy of this package counts too. */
export const isNodeError = (e: unknown, code?: NodeErrorCode): e is NodeError =>
  isCodedError<NodeError>(e, 'NodeError', code)

/** The message of an error-like value (a thrown non-Error becomes its string form). */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message
  if (typeof err === 'object' && err !== null) {
    const m = (err as { message?: unknown }).message
    if (typeof m === 'string') return m
  }
  return String(err)
}

/** The `code` of an error's `cause`, if both are objects (LevelDB wraps its lock error). */
export function causeCode(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined
  return errorCode((err as { cause?: unknown }).cause)
}
