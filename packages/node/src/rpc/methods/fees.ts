/**
 * `eth_*` fee methods: `eth_baseFee` (the next block's), `eth_blobBaseFee` (the head's) and
 * `eth_feeHistory` (go-ethereum's `gasprice.Oracle.FeeHistory`: per block the reward percentiles
 * of the effective tips weighted by gas used, the base fee including the next block's, the gas
 * used ratio, and the blob base fee and blob gas used ratio).
 */
import {
  blobScheduleAt,
  type ChainConfig,
  calcBaseFee,
  calcExcessBlobGas,
  isLondon,
} from '@ethwire/chain'
import { fakeExponential } from '@ethwire/executor'
import type { BlockHeader, Transaction } from '@ethwire/rlp-wire'
import type { Backend } from '../backend.js'
import { RpcError, RpcErrorCode, type RpcMethods } from '../dispatch.js'
import { blockNumberParam, invalid, param, qty } from '../params.js'
import { heightOf } from './refs.js'

/** go-ethereum's limits: blocks per query, and percentiles per query. */
const feeHistoryMaxBlocks = 1024
const feeHistoryMaxPercentiles = 100
const blobGasPerBlob = 131_072n
const minBlobBaseFeeWei = 1n

const configOf = (b: Backend) => b.chainConfig as ChainConfig

/** The blob base fee of a block (wei per blob gas), undefined before Cancun. */
export function blobBaseFeeOf(b: Backend, header: BlockHeader): bigint | undefined {
  if (header.excessBlobGas === undefined) return undefined
  const s = blobScheduleAt(configOf(b), header.number, header.time)
  if (!s) return undefined
  return fakeExponential(minBlobBaseFeeWei, header.excessBlobGas, BigInt(s.baseFeeUpdateFraction))
}

/** The base fee of the block after `header` (0 before London). */
export function nextBaseFee(b: Backend, header: BlockHeader): bigint {
  const config = configOf(b)
  return isLondon(config, header.number + 1n) ? calcBaseFee(config, header) : 0n
}

/** The blob base fee of the block after `header` (built at the same time), 0 before Cancun. */
function nextBlobBaseFee(b: Backend, header: BlockHeader): bigint {
  if (header.excessBlobGas === undefined) return 0n
  const config = configOf(b)
  const s = blobScheduleAt(config, header.number + 1n, header.time)
  if (!s) return 0n
  const excess = calcExcessBlobGas(config, header, header.time)
  return fakeExponential(minBlobBaseFeeWei, excess, BigInt(s.baseFeeUpdateFraction))
}

/** The tip a transaction pays above the base fee (go-ethereum's `EffectiveGasTip`). */
function effectiveTip(tx: Transaction, baseFee: bigint | undefined): bigint {
  const tipCap =
    tx.type === 0 || tx.type === 1 ? (tx.gasPrice ?? 0n) : (tx.maxPriorityFeePerGas ?? 0n)
  const feeCap = tx.type === 0 || tx.type === 1 ? (tx.gasPrice ?? 0n) : (tx.maxFeePerGas ?? 0n)
  if (baseFee === undefined) return tipCap
  const room = feeCap - baseFee
  return room < tipCap ? room : tipCap
}

/** A block count as go-ethereum's `math.HexOrDecimal64` reads it. */
function blockCountParam(v: unknown): bigint {
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return BigInt(v)
  if (typeof v === 'string') {
    if (/^0x[0-9a-fA-F]{1,16}$/.test(v)) return BigInt(v)
    if (/^[0-9]{1,20}$/.test(v)) return BigInt(v)
  }
  invalid('invalid argument 0: block count: hex or decimal number expected')
}

function percentilesParam(v: unknown): number[] | undefined {
  if (v === undefined || v === null) return undefined
  if (!Array.isArray(v)) invalid('invalid argument 2: list of percentiles expected')
  if (v.length > feeHistoryMaxPercentiles)
    invalid(`invalid argument 2: over the query limit ${feeHistoryMaxPercentiles}`)
  let prev = -1
  for (const p of v) {
    if (typeof p !== 'number' || !Number.isFinite(p) || p < 0 || p > 100)
      throw new RpcError(RpcErrorCode.InvalidParams, `invalid reward percentile: ${String(p)}`)
    if (p < prev)
      throw new RpcError(
        RpcErrorCode.InvalidParams,
        `invalid reward percentile: #${v.indexOf(p) - 1}:${prev} >= #${v.indexOf(p)}:${p}`,
      )
    prev = p
  }
  return v as number[]
}

async function rewardsOf(b: Backend, header: BlockHeader, percentiles: number[]) {
  const zero = percentiles.map(() => 0n)
  if (header.gasUsed === 0n) return zero
  const block = await b.blockByHash(header.hash)
  const receipts = block ? await b.receipts(header.hash) : undefined
  if (!block || !receipts || receipts.length !== block.transactions.length) return zero
  const sorter = block.transactions.map((tx, i) => ({
    gasUsed:
      (receipts[i]?.cumulativeGasUsed ?? 0n) -
      (i > 0 ? (receipts[i - 1]?.cumulativeGasUsed ?? 0n) : 0n),
    reward: effectiveTip(tx, header.baseFee),
  }))
  if (sorter.length === 0) return zero
  sorter.sort((x, y) => (x.reward < y.reward ? -1 : x.reward > y.reward ? 1 : 0))
  let txIndex = 0
  let sum = sorter[0]?.gasUsed ?? 0n
  return percentiles.map((p) => {
    const threshold = BigInt(Math.floor((Number(header.gasUsed) * p) / 100))
    while (sum < threshold && txIndex < sorter.length - 1) {
      txIndex++
      sum += sorter[txIndex]?.gasUsed ?? 0n
    }
    return sorter[txIndex]?.reward ?? 0n
  })
}

export function feeMethods(b: Backend): RpcMethods {
  return {
    eth_baseFee: () => qty(nextBaseFee(b, b.currentHeader())),
    eth_blobBaseFee: () => {
      const fee = blobBaseFeeOf(b, b.currentHeader())
      return fee === undefined ? null : qty(fee)
    },
    eth_feeHistory: async (params) => {
      let count = blockCountParam(param(params, 0, 'blockCount'))
      const newestRef = blockNumberParam(params, 1)
      const percentiles = percentilesParam(params[2])
      const head = b.currentHeader().number
      const newest = heightOf(b, newestRef) ?? head
      if (newest > head)
        throw new RpcError(
          RpcErrorCode.Server,
          `request beyond head block: requested ${newest}, head ${head}`,
        )
      if (count > BigInt(feeHistoryMaxBlocks)) count = BigInt(feeHistoryMaxBlocks)
      if (count > newest + 1n) count = newest + 1n
      if (count === 0n) return { oldestBlock: '0x0', gasUsedRatio: null }
      const oldest = newest - count + 1n
      const baseFees: string[] = []
      const blobFees: string[] = []
      const gasUsedRatio: number[] = []
      const blobGasUsedRatio: number[] = []
      const reward: string[][] = []
      const config = configOf(b)
      let last: BlockHeader | undefined
      for (let n = oldest; n <= newest; n++) {
        const h = await b.headerByNumber(n)
        if (!h) break
        last = h
        baseFees.push(qty(h.baseFee ?? 0n))
        blobFees.push(qty(blobBaseFeeOf(b, h) ?? 0n))
        gasUsedRatio.push(h.gasLimit === 0n ? 0 : Number(h.gasUsed) / Number(h.gasLimit))
        const s = blobScheduleAt(config, h.number, h.time)
        const maxBlobGas = s ? BigInt(s.max) * blobGasPerBlob : 0n
        blobGasUsedRatio.push(
          maxBlobGas === 0n ? 0 : Number(h.blobGasUsed ?? 0n) / Number(maxBlobGas),
        )
        if (percentiles) reward.push((await rewardsOf(b, h, percentiles)).map(qty))
      }
      if (last) {
        baseFees.push(qty(nextBaseFee(b, last)))
        blobFees.push(qty(nextBlobBaseFee(b, last)))
      }
      return {
        oldestBlock: qty(oldest),
        ...(percentiles ? { reward } : {}),
        baseFeePerGas: baseFees,
        gasUsedRatio,
        baseFeePerBlobGas: blobFees,
        blobGasUsedRatio,
      }
    },
  }
}
