/** Errors of the node and CLI, typed with a code. */
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

export class NodeError extends Error {
  override readonly name = 'NodeError'
  constructor(
    readonly code: NodeErrorCode,
    message: string,
  ) {
    super(message)
  }
}

export const isNodeError = (e: unknown, code?: NodeErrorCode): e is NodeError =>
  e instanceof NodeError && (code === undefined || e.code === code)
