/** `eth_*`: chain, blocks, transactions, receipts. */

import { type ChainConfig, terminalTotalDifficulty } from '@ethwire/chain'
import { type Block, bytesToHex, encodeReceipt, type Transaction } from '@ethwire/rlp-wire'
import { isTxPoolError } from '@ethwire/txpool'
import type { Backend } from '../backend.js'
import { RpcError, RpcErrorCode, type RpcMethods } from '../dispatch.js'
import { formatBlock, formatTransaction, senderOf } from '../format.js'
import {
  type BlockRef,
  blockNumberParam,
  blockRefParam,
  boolParam,
  dataParam,
  hashParam,
  param,
  qty,
  quantity,
} from '../params.js'
import { formatReceipt } from '../receipt.js'
import { blobBaseFeeOf } from './fees.js'
import { blockOf, heightOf } from './refs.js'

export { blockOf, heightOf }

/** Every receipt of a block in eth_getTransactionReceipt's shape (undefined: receipts unknown). */
export async function blockReceipts(
  b: Backend,
  block: Block,
): Promise<Record<string, unknown>[] | undefined> {
  if (block.transactions.length === 0) return []
  const receipts = await b.receipts(block.hash)
  if (!receipts || receipts.length !== block.transactions.length) return undefined
  const blobFee = blobBaseFeeOf(b, block.header)
  return block.transactions.map((tx, i) =>
    formatReceipt(block, receipts, i, senderOf(tx) ?? null, blobFee),
  )
}

const indexParam = (params: unknown[], i: number) => quantity(param(params, i, 'index'), 'index')

export function ethMethods(b: Backend): RpcMethods {
  // totalDifficulty only on a chain that never merges (go-ethereum shows none once merged)
  const blockResult = async (block: Block | undefined, full: boolean) => {
    if (!block) return null
    const merges = terminalTotalDifficulty(b.chainConfig as ChainConfig) !== undefined
    return formatBlock(block, full, merges ? undefined : await b.td(block.hash))
  }
  const blockAt = (ref: BlockRef) => blockOf(b, ref)
  const txAt = (block: Block | undefined, index: bigint) => {
    if (!block || index >= BigInt(block.transactions.length)) return null
    const i = Number(index)
    return formatTransaction(block.transactions[i] as Transaction, undefined, {
      block: block.header,
      index: i,
    })
  }
  /**
   * What a batch's `prepareBatch` made for each eth_sendRawTransaction call, by its params: the
   * decoded bytes (so the call does not decode its hex a second time) and the backend's preparation.
   */
  const prepared = new WeakMap<unknown[], { raw: Uint8Array; ready: unknown }>()

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
    eth_getUncleCountByBlockNumber: async (params) => {
      const block = await blockAt(blockNumberParam(params, 0))
      return block ? qty(block.uncles.length) : null
    },
    eth_getUncleCountByBlockHash: async (params) => {
      const block = await b.blockByHash(hashParam(params, 0))
      return block ? qty(block.uncles.length) : null
    },
    eth_getTransactionByBlockHashAndIndex: async (params) => {
      const hash = hashParam(params, 0)
      return txAt(await b.blockByHash(hash), indexParam(params, 1))
    },
    eth_getTransactionByBlockNumberAndIndex: async (params) => {
      const ref = blockNumberParam(params, 0)
      return txAt(await blockAt(ref), indexParam(params, 1))
    },
    eth_sendRawTransaction: Object.assign(
      async (params: unknown[]) => {
        const done = prepared.get(params)
        prepared.delete(params)
        const raw = done?.raw ?? dataParam(params, 0)
        try {
          return await b.sendRawTransaction(raw, done?.ready)
        } catch (err) {
          if (isTxPoolError(err))
            throw new RpcError(RpcErrorCode.Server, err.message, { code: err.code })
          throw err
        }
      },
      {
        // a batch: every sender recovered at once in the recovery workers, each handed to its call
        // (by its params array, which the call gets next)
        prepareBatch: async (paramsList: unknown[][]) => {
          if (b.prepareRawTransactions === undefined) return
          const raws: Uint8Array[] = []
          const of: unknown[][] = []
          for (const params of paramsList) {
            try {
              raws.push(dataParam(params, 0))
              of.push(params)
            } catch {
              // the call itself reports it
            }
          }
          const out = await b.prepareRawTransactions(raws)
          for (let i = 0; i < of.length; i++)
            if (out[i] !== undefined)
              prepared.set(of[i] as unknown[], { raw: raws[i] as Uint8Array, ready: out[i] })
        },
      },
    ),
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
    eth_getTransactionReceipt: async (params) => {
      const hash = hashParam(params, 0)
      const mined = await b.minedTransaction(hash)
      if (!mined) return null
      const receipts = await b.receipts(mined.block.hash)
      if (!receipts || receipts.length <= mined.index) return null
      return formatReceipt(
        mined.block,
        receipts,
        mined.index,
        senderOf(mined.tx) ?? null,
        blobBaseFeeOf(b, mined.block.header),
      )
    },
    eth_getBlockReceipts: async (params) => {
      const block = await blockAt(blockRefParam(params, 0, true))
      if (!block) return null
      return (await blockReceipts(b, block)) ?? null
    },
    // ------------------------------------------------------------ debug_getRaw* (binary forms)
    debug_getRawHeader: async (params) => {
      const block = await blockAt(blockRefParam(params, 0, true))
      return block ? bytesToHex(block.header.encode()) : null
    },
    debug_getRawBlock: async (params) => {
      const block = await blockAt(blockRefParam(params, 0, true))
      return block ? bytesToHex(block.encode()) : null
    },
    debug_getRawReceipts: async (params) => {
      const block = await blockAt(blockRefParam(params, 0, true))
      if (!block) return null
      if (block.transactions.length === 0) return []
      const receipts = await b.receipts(block.hash)
      return receipts ? receipts.map((r) => bytesToHex(encodeReceipt(r))) : null
    },
    debug_getRawTransaction: async (params) => {
      const hash = hashParam(params, 0)
      const mined = await b.minedTransaction(hash)
      const tx = mined?.tx ?? b.poolTransaction(hash)?.tx
      return tx ? bytesToHex(tx.encode()) : '0x'
    },
  }
}
