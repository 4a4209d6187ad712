/**
 * @ethwire/interface — the contracts every ethwire package shares, and nothing else: types only,
 * so importing it adds no code to a bundle. A package consumes these and declares anything more
 * specific it needs in its own `types.ts`.
 *
 * @example
 * ```ts
 * import type { Clock, EthConnection } from '@ethwire/interface'
 *
 * async function firstMessage(conn: EthConnection, clock: Clock, ms: number) {
 *   const ac = new AbortController()
 *   const timer = clock.setTimeout(() => ac.abort(), ms)
 *   try {
 *     return await conn.readMsg(ac.signal)
 *   } finally {
 *     clock.clearTimeout(timer)
 *   }
 * }
 * ```
 */
export type { Clock, RandomSource } from './clock.js'
export type { AbortOptions, Startable } from './lifecycle.js'
export type { LogContext, Logger } from './logger.js'
export type {
  CloseInfo,
  Direction,
  EthConnection,
  EthTransport,
  Msg,
  MsgReadWriter,
} from './transport.js'
