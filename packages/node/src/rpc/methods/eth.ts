/** `eth_*`: chain, blocks, transactions. */

import { isTxPoolError } from '@ethwire/txpool'
import type { Backend } from '../backend.js'
import { RpcError, RpcErrorCode, type RpcMethods } from '../dispatch.js'
import { formatBlock, formatTransaction } from '../format.js'
import { type BlockRef, blockNumberParam, boolParam, dataParam, hashParam, qty } from '../params.js'

/** The canonical height a tag or number names (pending/safe/finalized = the head: no finality here). */
export function heightOf(b: Backend, ref: BlockRef): bigint | undefined {
  if ('number' in ref) return ref.number
  if ('tag' in ref) return ref.tag === 'earliest' ? 0n : b.currentHeader().number
  return undefined
}

export function ethMethods(b: Backend): RpcMethods {
  const blockResult = async (block: Awaited<ReturnType<Backend['blockByHash']>>, full: boolean) =>
    block ? formatBlock(block, await b.td(block.hash), full) : null

  const blockAt = async (ref: BlockRef) => {
    const n = heightOf(b, ref)
    return n === undefined ? undefined : b.blockByNumber(n)
  }

  return {
    eth_chainId: () => qty(b.chainId),
    eth_blockNumber: () => qty(b.currentHeader().number),
    eth_syncing: () => {
      const s = b.syncing()
      if (!s) return false
      return {
        startingBlock: qty(s.startingBlock),
        currentBlock: qty(s.currentBlock),
        highestBlock: qty(s.highestBlock),
        // go-ethereum v1.8: state trie entries downloaded / known during a fast sync (0 in full)
        pulledStates: qty(s.pulledStates ?? 0),
        knownStates: qty(s.knownStates ?? 0),
      }
    },
    eth_getBlockByNumber: async (params) =>
      blockResult(await blockAt(blockNumberParam(params, 0)), boolParam(params, 1)),
    eth_getBlockByHash: async (params) =>
      blockResult(await b.blockByHash(hashParam(params, 0)), boolParam(params, 1)),
    eth_getBlockTransactionCountByNumber: async (params) => {
      const block = await blockAt(blockNumberParam(params, 0))
      return block ? qty(block.transactions.length) : null
    },
    eth_getBlockTransactionCountByHash: async (params) => {
      const block = await b.blockByHash(hashParam(params, 0))
      return block ? qty(block.transactions.length) : null
    },
    eth_sendRawTransaction: async (params) => {
      const raw = dataParam(params, 0)
      try {
        return await b.sendRawTransaction(raw)
      } catch (err) {
        if (isTxPoolError(err))
          throw new RpcError(RpcErrorCode.Server, err.message, { code: err.code })
        throw err
      }
    },
    eth_getTransactionByHash: async (params) => {
      const hash = hashParam(params, 0)
      const pooled = b.poolTransaction(hash)
      if (pooled) return formatTransaction(pooled.tx, pooled.senderHex)
      const mined = await b.minedTransaction(hash)
      if (!mined) return null
      return formatTransaction(mined.tx, undefined, {
        block: mined.block.header,
        index: mined.index,
      })
    },
  }
}
