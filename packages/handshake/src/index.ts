/**
 * @ethwire/handshake — the eth `Status` exchange for eth/62–72 with every rejection rule
 * (typed {@link HandshakeError}s mapped to devp2p disconnect reasons), EIP-2124 fork ids
 * (computation and the validation filter) and the DAO-fork challenge.
 *
 * @example
 * ```ts
 * import { handshake, isHandshakeError } from '@ethwire/handshake'
 * try {
 *   const { remote } = await handshake({ conn, local })
 *   console.log('peer head', remote)
 * } catch (err) {
 *   if (isHandshakeError(err)) console.log(err.code, err.disconnectReason) // connection already closed
 * }
 * ```
 */

export {
  type ChainlessHandshakeDeps,
  type ChainlessHandshakeOptions,
  type ChainlessHandshakeResult,
  type ChainlessNetwork,
  chainlessHandshake,
  networkFromGenesis,
} from './chainless.js'
export {
  daoChallengeTimeoutMs,
  daoForkExtraData,
  forkIdTimestampThreshold,
  handshakeTimeoutMs,
  maxStatusSizeBytes,
} from './constants.js'
export {
  type DaoChallengeDeps,
  type DaoChallengeOptions,
  type DaoChallengeResult,
  daoChallenge,
} from './dao.js'
export {
  disconnectReasonFor,
  type ForkIdRejection,
  HandshakeError,
  type HandshakeErrorCode,
  isHandshakeError,
} from './errors.js'
export {
  computeForkId,
  crc32,
  createForkFilter,
  decodeForkId,
  encodeForkId,
  type ForkConfig,
  type ForkFilter,
  type ForkHead,
  forkChecksumUpdate,
  forksFromGethConfig,
  formatForkId,
  gatherForks,
  validateForkId,
} from './forkid.js'
export {
  buildStatus,
  checkStatus,
  type HandshakeDeps,
  type HandshakeOptions,
  type HandshakeResult,
  handshake,
  type LocalStatus,
} from './handshake.js'
export type { ChallengeHeader, HeaderRequester } from './types.js'
