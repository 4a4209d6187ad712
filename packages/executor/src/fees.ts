/** EIP-4844 fee arithmetic. */
import type { Rules } from './config.js'
import { minBlobBaseFeeWei } from './constants.js'

/** EIP-4844 `fake_exponential`. */
export function fakeExponential(factor: bigint, numerator: bigint, denominator: bigint): bigint {
  let i = 1n
  let output = 0n
  let acc = factor * denominator
  while (acc > 0n) {
    output += acc
    acc = (acc * numerator) / (denominator * i)
    i++
  }
  return output / denominator
}

/** The blob base fee of a block (wei per blob gas). */
export function blobBaseFee(rules: Rules, excessBlobGas: bigint): bigint {
  if (!rules.blob) return 0n
  return fakeExponential(minBlobBaseFeeWei, excessBlobGas, BigInt(rules.blob.baseFeeUpdateFraction))
}
