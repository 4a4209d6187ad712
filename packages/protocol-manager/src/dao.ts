/**
 * The DAO-fork challenge after the handshake (go-ethereum v1.8 `handler.handle`): when our chain
 * config has a DAO fork block, each new peer is asked for that block's header; a peer on the
 * other side of the fork (its extra-data says so), or one that does not answer in time, is
 * dropped. A peer that answers with no header has not reached the fork yet and is kept. The
 * challenge itself is `@ethwire/handshake`'s `daoChallenge`; this module wires it in.
 */
import { daoChallenge, isHandshakeError } from '@ethwire/handshake'
import type { Clock } from '@ethwire/interface'
import type { Peer } from '@ethwire/peerset'
import { ProtocolError } from './errors.js'
import type { DaoForkConfig, Logger, PmChain } from './types.js'

/**
 * The DAO fork of `option`, else of the chain's config (go-ethereum's `daoForkBlock` and
 * `daoForkSupport` keys, as a genesis.json has them); undefined when there is none.
 */
export function daoForkOf(
  option: DaoForkConfig | undefined,
  chain: Pick<PmChain, 'config'>,
): DaoForkConfig | undefined {
  if (option !== undefined) return option
  const c = chain.config
  const block = c?.daoForkBlock
  if (block === undefined || block === null) return undefined
  let n: bigint
  try {
    n = BigInt(block as string | number | bigint)
  } catch {
    return undefined
  }
  return { block: n, support: c?.daoForkSupport === true }
}

export interface DaoCheckDeps {
  readonly clock: Clock
  readonly log: Logger
  /** Drops a peer on the wrong side of the fork, or that did not answer in time. */
  readonly drop: (peer: Peer, err: ProtocolError) => void
}

/**
 * Runs the challenge against `peer` (concurrently with its read loop, which delivers the answer).
 * Resolves once it is decided; never rejects. `signal` ends it early (the manager stops).
 */
export async function checkDaoFork(
  deps: DaoCheckDeps,
  fork: DaoForkConfig,
  peer: Peer,
  signal: AbortSignal,
): Promise<void> {
  try {
    const result = await daoChallenge(
      { peer, clock: deps.clock },
      {
        forkBlock: fork.block,
        support: fork.support,
        ...(fork.timeoutMs !== undefined ? { timeoutMs: fork.timeoutMs } : {}),
        signal,
      },
    )
    deps.log.debug('DAO fork challenge', { peer: peer.id, result })
  } catch (err) {
    // The peer went away or the manager stopped: nothing to decide.
    if (peer.closed || signal.aborted) return
    if (isHandshakeError(err)) {
      deps.drop(
        peer,
        new ProtocolError('ErrDaoFork', peer.id, err.message, {
          cause: err,
          disconnectReason: err.disconnectReason,
        }),
      )
      return
    }
    deps.log.warn('DAO fork challenge failed', { peer: peer.id, error: String(err) })
  }
}
