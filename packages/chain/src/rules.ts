/** Header rules shared by every engine: gas limit, EIP-1559 base fee, EIP-4844 blob gas, fork fields. */
import type { BlockHeader } from '@ethwire/rlp-wire'
import {
  blobScheduleAt,
  type ChainConfig,
  isAmsterdam,
  isCancun,
  isLondon,
  isPrague,
  isShanghai,
  maxBlobGas,
} from './config.js'
import {
  baseFeeChangeDenominator,
  elasticityMultiplier,
  gasLimitBoundDivisor,
  gasPerBlob,
  initialBaseFeeWei,
  minGasLimit,
} from './constants.js'
import { ChainError } from './errors.js'

/** EIP-1559 base fee of the child of `parent`. */
export function calcBaseFee(config: ChainConfig, parent: BlockHeader): bigint {
  if (!isLondon(config, parent.number)) return initialBaseFeeWei
  const parentBase = parent.baseFee ?? initialBaseFeeWei
  const target = parent.gasLimit / elasticityMultiplier
  if (target === 0n || parent.gasUsed === target) return parentBase
  if (parent.gasUsed > target) {
    const delta = (parentBase * (parent.gasUsed - target)) / target / baseFeeChangeDenominator
    return parentBase + (delta > 1n ? delta : 1n)
  }
  const delta = (parentBase * (target - parent.gasUsed)) / target / baseFeeChangeDenominator
  const fee = parentBase - delta
  return fee > 0n ? fee : 0n
}

/** EIP-4844 (and EIP-7691 schedule) excess blob gas of a child at `time` of `parent`. */
export function calcExcessBlobGas(config: ChainConfig, parent: BlockHeader, time: bigint): bigint {
  let parentExcess = 0n
  let parentUsed = 0n
  if (isCancun(config, parent.number, parent.time)) {
    parentExcess = parent.excessBlobGas ?? 0n
    parentUsed = parent.blobGasUsed ?? 0n
  }
  const s = blobScheduleAt(config, parent.number + 1n, time)
  const target = BigInt(s?.target ?? 0) * gasPerBlob
  const sum = parentExcess + parentUsed
  return sum < target ? 0n : sum - target
}

/** Checks every engine-independent rule of `header` against its `parent`. */
export function verifyCommonHeader(
  config: ChainConfig,
  header: BlockHeader,
  parent: BlockHeader,
  maxExtra: number | undefined,
): void {
  const n = header.number
  const fail = (code: ConstructorParameters<typeof ChainError>[0], msg: string): never => {
    throw new ChainError(code, `block ${n}: ${msg}`, n)
  }
  if (n !== parent.number + 1n) fail('ErrInvalidNumber', `parent is ${parent.number}`)
  if (header.time <= parent.time)
    fail('ErrInvalidTimestamp', `time ${header.time} <= parent ${parent.time}`)
  if (maxExtra !== undefined && header.extra.length > maxExtra)
    fail('ErrExtraDataTooLong', `extra-data ${header.extra.length} bytes > ${maxExtra}`)
  if (header.gasUsed > header.gasLimit)
    fail('ErrInvalidGasUsed', `gas used ${header.gasUsed} > limit ${header.gasLimit}`)
  // Gas limit bounds (the London transition doubles the parent's limit).
  let parentLimit = parent.gasLimit
  if (isLondon(config, n) && !isLondon(config, parent.number)) parentLimit *= elasticityMultiplier
  const diff =
    header.gasLimit > parentLimit ? header.gasLimit - parentLimit : parentLimit - header.gasLimit
  if (diff >= parentLimit / gasLimitBoundDivisor || header.gasLimit < minGasLimit)
    fail('ErrInvalidGasLimit', `gas limit ${header.gasLimit} vs parent ${parentLimit}`)
  // EIP-1559
  if (isLondon(config, n)) {
    if (header.baseFee === undefined) fail('ErrForkFieldMissing', 'baseFee missing after London')
    const want = calcBaseFee(config, parent)
    if (header.baseFee !== want)
      fail('ErrInvalidBaseFee', `base fee ${header.baseFee}, want ${want}`)
  } else if (header.baseFee !== undefined) fail('ErrForkFieldForbidden', 'baseFee before London')
  // Shanghai
  const t = header.time
  if (isShanghai(config, n, t)) {
    if (!header.withdrawalsRoot)
      fail('ErrForkFieldMissing', 'withdrawalsRoot missing after Shanghai')
  } else if (header.withdrawalsRoot)
    fail('ErrForkFieldForbidden', 'withdrawalsRoot before Shanghai')
  // Cancun
  if (isCancun(config, n, t)) {
    if (header.blobGasUsed === undefined || header.excessBlobGas === undefined)
      fail('ErrForkFieldMissing', 'blob gas fields missing after Cancun')
    if (!header.parentBeaconRoot)
      fail('ErrForkFieldMissing', 'parentBeaconRoot missing after Cancun')
    const used = header.blobGasUsed as bigint
    if (used % gasPerBlob !== 0n || used > maxBlobGas(config, n, t))
      fail('ErrInvalidBlobGas', `blobGasUsed ${used}`)
    const want = calcExcessBlobGas(config, parent, t)
    if (header.excessBlobGas !== want)
      fail('ErrInvalidBlobGas', `excessBlobGas ${header.excessBlobGas}, want ${want}`)
  } else if (
    header.blobGasUsed !== undefined ||
    header.excessBlobGas !== undefined ||
    header.parentBeaconRoot !== undefined
  )
    fail('ErrForkFieldForbidden', 'blob fields before Cancun')
  // Prague
  if (isPrague(config, n, t)) {
    if (!header.requestsHash) fail('ErrForkFieldMissing', 'requestsHash missing after Prague')
  } else if (header.requestsHash) fail('ErrForkFieldForbidden', 'requestsHash before Prague')
  // Amsterdam: the block access list hash (EIP-7928) and slot number (EIP-7843). Their values are
  // not checked (no execution here), only that they are there exactly from Amsterdam on.
  if (isAmsterdam(config, n, t)) {
    if (!header.blockAccessListHash || header.slotNumber === undefined)
      fail('ErrForkFieldMissing', 'blockAccessListHash or slotNumber missing after Amsterdam')
  } else if (header.blockAccessListHash || header.slotNumber !== undefined)
    fail('ErrForkFieldForbidden', 'Amsterdam header fields before Amsterdam')
}
