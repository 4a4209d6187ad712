/**
 * The priority-fee suggestion of eth_maxPriorityFeePerGas and eth_gasPrice, as go-ethereum's gas
 * price oracle (`eth/gasprice`): the lowest few effective tips of each of the last blocks (not
 * counting transactions the block's coinbase sent, nor tips under 2 wei), the 60th percentile of
 * them all, capped at 500 gwei. A block with no sample contributes the last answer. One answer per
 * head.
 */
import { recoverAddress } from '@ethwire/crypto'
import { type Block, type BlockHeader, bytesToHex, type Transaction } from '@ethwire/rlp-wire'
import { effectiveTipOf } from '@ethwire/txpool'
import {
  gpoBlocks,
  gpoDefaultTipWei,
  gpoIgnoreUnderWei,
  gpoMaxPriceWei,
  gpoPercentile,
  gpoSamplesPerBlock,
} from '../constants.js'

export interface GasPriceChain {
  currentHeader(): BlockHeader
  getBlockByNumber(n: bigint): Promise<Block | undefined>
}

export interface GasPriceOracle {
  suggestTip(): Promise<bigint>
}

const senderOf = (tx: Transaction): string | undefined => {
  try {
    return bytesToHex(recoverAddress(tx.sigHash(), tx.r, tx.s, tx.recovery))
  } catch {
    return undefined
  }
}

/** The lowest `limit` tips of a block's transactions, ascending, by go-ethereum's rules. */
export function blockTipSamples(block: Block, limit = gpoSamplesPerBlock): bigint[] {
  const baseFee = block.header.baseFee
  const coinbase = bytesToHex(block.header.coinbase)
  const sorted = block.transactions
    .map((tx) => ({ tx, tip: effectiveTipOf(tx, baseFee) }))
    .sort((a, b) => (a.tip < b.tip ? -1 : a.tip > b.tip ? 1 : 0))
  const out: bigint[] = []
  for (const { tx, tip } of sorted) {
    if (tip < gpoIgnoreUnderWei) continue
    const sender = senderOf(tx)
    if (sender === undefined || sender === coinbase) continue
    out.push(tip)
    if (out.length === limit) break
  }
  return out
}

export function createGasPriceOracle(deps: { chain: () => GasPriceChain }): GasPriceOracle {
  let lastHead: string | undefined
  let lastPrice = gpoDefaultTipWei
  let inFlight: Promise<bigint> | undefined
  const compute = async (head: BlockHeader): Promise<bigint> => {
    const samples: bigint[] = []
    for (let i = 0n; i < BigInt(gpoBlocks) && head.number - i >= 0n; i++) {
      const block = await deps.chain().getBlockByNumber(head.number - i)
      if (!block) break
      const s = blockTipSamples(block)
      samples.push(...(s.length ? s : [lastPrice]))
    }
    let price = lastPrice
    if (samples.length) {
      samples.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
      price = samples[Math.floor(((samples.length - 1) * gpoPercentile) / 100)] as bigint
    }
    if (price > gpoMaxPriceWei) price = gpoMaxPriceWei
    lastPrice = price
    lastHead = bytesToHex(head.hash)
    return price
  }
  return {
    suggestTip: async () => {
      const head = deps.chain().currentHeader()
      if (lastHead === bytesToHex(head.hash)) return lastPrice
      inFlight ??= compute(head).finally(() => {
        inFlight = undefined
      })
      return inFlight
    },
  }
}
