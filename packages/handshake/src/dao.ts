import type { Clock } from '@ethwire/interface'
import { systemClock } from '@ethwire/interface/runtime'
import { equalBytes } from '@ethwire/rlp-wire'
import { daoChallengeTimeoutMs, daoForkExtraData } from './constants.js'
import { HandshakeError, isHandshakeError } from './errors.js'
import type { HeaderRequester } from './types.js'

export interface DaoChallengeDeps {
  /** The peer to challenge (e.g. an `@ethwire/peerset` `Peer`). */
  peer: HeaderRequester
  clock?: Clock
}

export interface DaoChallengeOptions {
  /** The DAO fork block (mainnet 1,920,000). */
  forkBlock: bigint
  /** Whether our chain took the DAO fork (mainnet: true; ETC: false). */
  support: boolean
  /** Default {@link daoChallengeTimeoutMs} (15 s). */
  timeoutMs?: number
  signal?: AbortSignal
}

/** What the challenge found out. */
export type DaoChallengeResult =
  /** The peer sent the fork block and it is on our side of the fork. */
  | 'verified'
  /** The peer does not have the fork block yet (answered with no header); keep it. */
  | 'peer-behind'

/**
 * The DAO-fork challenge: asks the peer for the fork block's header and checks its extra-data
 * (`"dao-hard-fork"` on the pro-fork chain, anything else on the no-fork chain). Throws
 * `HandshakeError('ErrDaoChallengeTimeout')` when no answer comes in time (or the request
 * fails), `HandshakeError('ErrDaoForkMismatch')` when the header is on the other side of the fork
 * or is not the block asked for; the caller drops the peer with `err.disconnectReason`.
 */
export async function daoChallenge(
  deps: DaoChallengeDeps,
  options: DaoChallengeOptions,
): Promise<DaoChallengeResult> {
  const clock = deps.clock ?? systemClock
  const timeoutMs = options.timeoutMs ?? daoChallengeTimeoutMs
  options.signal?.throwIfAborted()
  const ac = new AbortController()
  const onAbort = () => ac.abort(options.signal?.reason)
  options.signal?.addEventListener('abort', onAbort, { once: true })
  let timedOut = false
  let onTimeout: () => void = () => {}
  const timeout = new Promise<never>((_, reject) => {
    onTimeout = () => {
      timedOut = true
      reject(
        new HandshakeError('ErrDaoChallengeTimeout', `no DAO fork header within ${timeoutMs} ms`),
      )
      ac.abort()
    }
  })
  timeout.catch(() => {})
  const timer = clock.setTimeout(() => onTimeout(), timeoutMs)
  try {
    const request = deps.peer.requestHeadersByNumber(
      { number: options.forkBlock, amount: 1 },
      { signal: ac.signal },
    )
    request.catch(() => {})
    let headers: readonly { number: bigint; extra: Uint8Array }[]
    try {
      headers = await Promise.race([request, timeout])
    } catch (err) {
      if (isHandshakeError(err)) throw err
      if (options.signal?.aborted) throw options.signal.reason ?? err
      if (timedOut) throw new HandshakeError('ErrDaoChallengeTimeout', 'DAO challenge timed out')
      throw new HandshakeError('ErrDaoChallengeTimeout', 'DAO fork header request failed', {
        cause: err,
      })
    }
    if (headers.length === 0) return 'peer-behind'
    const h = headers[0]!
    if (headers.length !== 1 || h.number !== options.forkBlock) {
      throw new HandshakeError(
        'ErrDaoForkMismatch',
        `asked for header ${options.forkBlock}, got ${headers.length} header(s) from ${h.number}`,
      )
    }
    const proFork = equalBytes(h.extra, daoForkExtraData)
    if (proFork !== options.support) {
      throw new HandshakeError(
        'ErrDaoForkMismatch',
        options.support ? 'peer is on the no-fork chain' : 'peer is on the pro-fork chain',
      )
    }
    return 'verified'
  } finally {
    clock.clearTimeout(timer)
    options.signal?.removeEventListener('abort', onAbort)
  }
}
