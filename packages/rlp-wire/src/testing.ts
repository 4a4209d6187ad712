/**
 * Test doubles and generators for packages built on rlp-wire: the in-memory `msgPipe()` pair and
 * seeded generators of random valid wire values.
 *
 * @example
 * ```ts
 * import { msgPipe } from '@ethwire/rlp-wire/testing'
 * const [a, b] = msgPipe({ version: 68 })
 * await a.writeMsg(0x03, payload)
 * const msg = await b.readMsg()
 * ```
 */

export {
  genBlobTxWithSidecar,
  genBlock,
  genBody,
  genCellMask,
  genHeader,
  genHeaderData,
  genLog,
  genMessage,
  genReceipt,
  genStatus,
  genTransaction,
  genTxData,
  genWithdrawal,
  headerShapes,
  messageNames,
  Rand,
} from './generators.js'
export { type MsgPipeOptions, msgPipe } from './pipe.js'
