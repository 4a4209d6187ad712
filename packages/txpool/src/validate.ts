import type { Transaction } from '@ethwire/rlp-wire'
import {
  baseFeeChangeDenominator,
  elasticityMultiplier,
  gasPerBlob,
  initCodeWordGas,
  maxInitCodeSizeBytes,
  maxTxGas,
  maxTxSizeBytes,
  minBlobGasPriceWei,
  perEmptyAccountCostGas,
  totalCostFloorPerTokenGas,
  txAccessListAddressGas,
  txAccessListStorageKeyGas,
  txDataNonZeroGas,
  txDataZeroGas,
  txGas,
  txGasContractCreation,
} from './constants.js'
import { TxPoolError } from './errors.js'

/** The rules a transaction is checked by without state, as of the pool's head. */
export interface StatelessRules {
  chainId: bigint
  blockGasLimit: bigint
  minGasPrice: bigint
  /** Accepted tx types. */
  types: ReadonlySet<number>
  /** Accept legacy transactions without EIP-155 replay protection. */
  allowUnprotected: boolean
  /** Prague at the head: the EIP-7623 calldata floor applies. */
  prague: boolean
  /**
   * Osaka at the head: EIP-7825 gas cap, cell-proof sidecars (version 1), 6 blobs per tx.
   * `undefined` when the fork schedule is not known: either sidecar version is accepted (and
   * verified its own way).
   */
  osaka: boolean | undefined
}

/** The gas a transaction costs before execution (Prague rules), and its EIP-7623 floor. */
export function intrinsicGas(
  tx: Pick<Transaction, 'data' | 'to' | 'accessList' | 'authorizationList'>,
): {
  gas: bigint
  floor: bigint
} {
  let zeros = 0n
  for (const b of tx.data) if (b === 0) zeros++
  const nonZeros = BigInt(tx.data.length) - zeros
  const create = tx.to === null
  let gas = create ? txGasContractCreation : txGas
  gas += zeros * txDataZeroGas + nonZeros * txDataNonZeroGas
  if (create) gas += BigInt(Math.ceil(tx.data.length / 32)) * initCodeWordGas
  for (const e of tx.accessList ?? []) {
    gas += txAccessListAddressGas + BigInt(e.storageKeys.length) * txAccessListStorageKeyGas
  }
  gas += BigInt(tx.authorizationList?.length ?? 0) * perEmptyAccountCostGas
  const tokens = zeros + nonZeros * 4n
  return { gas, floor: txGas + tokens * totalCostFloorPerTokenGas }
}

/** Fee cap (legacy: gas price) and priority fee (legacy: gas price) of a transaction. */
export function feeCapOf(tx: Transaction): bigint {
  return tx.type === 0 || tx.type === 1 ? (tx.gasPrice ?? 0n) : (tx.maxFeePerGas ?? 0n)
}
export function tipOf(tx: Transaction): bigint {
  return tx.type === 0 || tx.type === 1 ? (tx.gasPrice ?? 0n) : (tx.maxPriorityFeePerGas ?? 0n)
}

/**
 * The tip a miner earns per gas at `baseFee` (`min(tip, feeCap − baseFee)`, negative when the fee
 * cap is below the base fee); the tip itself when there is no base fee.
 */
export function effectiveTipOf(tx: Transaction, baseFee: bigint | undefined): bigint {
  if (baseFee === undefined) return tipOf(tx)
  const room = feeCapOf(tx) - baseFee
  const tip = tipOf(tx)
  // biome-ignore lint/complexity/useMathMinMax: bigints
  return tip < room ? tip : room
}

/** Most wei the transaction can take from its sender: value + gas × fee cap (+ blob gas × blob fee cap). */
export function costOf(tx: Transaction): bigint {
  let c = tx.value + tx.gasLimit * feeCapOf(tx)
  if (tx.type === 3) {
    c += BigInt(tx.blobVersionedHashes?.length ?? 0) * gasPerBlob * (tx.maxFeePerBlobGas ?? 0n)
  }
  return c
}

/**
 * The base fee of the block after `parent` (EIP-1559: elasticity 2, change denominator 8), or
 * undefined before London (no base fee in the parent).
 */
export function nextBaseFee(parent: {
  baseFee?: bigint
  gasLimit: bigint
  gasUsed: bigint
}): bigint | undefined {
  const base = parent.baseFee
  if (base === undefined) return undefined
  const target = parent.gasLimit / elasticityMultiplier
  if (target === 0n || parent.gasUsed === target) return base
  if (parent.gasUsed > target) {
    const delta = (base * (parent.gasUsed - target)) / target / baseFeeChangeDenominator
    return base + (delta > 1n ? delta : 1n)
  }
  const delta = (base * (target - parent.gasUsed)) / target / baseFeeChangeDenominator
  return base - delta > 0n ? base - delta : 0n
}

const uint64Max = (1n << 64n) - 1n

/**
 * Every check that needs no state and no signature recovery, in go-ethereum's order
 * (`txpool.ValidateTransaction`), with its error texts. Blob sidecars are checked separately
 * (`validateBlobSidecar`). Throws {@link TxPoolError}.
 */
export function validateStateless(tx: Transaction, rules: StatelessRules): void {
  if (!rules.types.has(tx.type)) {
    throw new TxPoolError(
      'ErrTxTypeNotSupported',
      `transaction type not supported: tx type ${tx.type} not supported by this pool`,
    )
  }
  if (tx.size > maxTxSizeBytes) {
    throw new TxPoolError(
      'ErrOversized',
      `oversized data: transaction size ${tx.size}, limit ${maxTxSizeBytes}`,
    )
  }
  if (tx.type === 0 && tx.chainId === undefined) {
    if (!rules.allowUnprotected) {
      throw new TxPoolError(
        'ErrInvalidChainId',
        'only replay-protected (EIP-155) transactions allowed over RPC',
      )
    }
  } else if (tx.chainId !== rules.chainId) {
    throw new TxPoolError(
      'ErrInvalidChainId',
      `invalid sender: invalid chain id for signer: have ${tx.chainId} want ${rules.chainId}`,
    )
  }
  if (tx.to === null && tx.data.length > maxInitCodeSizeBytes) {
    throw new TxPoolError(
      'ErrInitCodeSize',
      `max initcode size exceeded: code size ${tx.data.length}, limit ${maxInitCodeSizeBytes}`,
    )
  }
  if (rules.osaka === true && tx.gasLimit > maxTxGas) {
    throw new TxPoolError(
      'ErrGasLimitTooHigh',
      `transaction gas limit too high (cap: ${maxTxGas}, tx: ${tx.gasLimit})`,
    )
  }
  if (tx.gasLimit > rules.blockGasLimit) {
    throw new TxPoolError('ErrGasLimit', 'exceeds block gas limit')
  }
  if (tx.type >= 2 && tipOf(tx) > feeCapOf(tx)) {
    throw new TxPoolError(
      'ErrTipAboveFeeCap',
      'max priority fee per gas higher than max fee per gas',
    )
  }
  if (tx.nonce >= uint64Max) throw new TxPoolError('ErrNonceMax', 'nonce has max value')
  if ((tx.type === 3 || tx.type === 4) && tx.to === null) {
    throw new TxPoolError(
      'ErrInvalidTxFields',
      tx.type === 3
        ? 'blob transaction of type create'
        : 'EIP-7702 transaction cannot be used to create contract',
    )
  }
  const { gas, floor } = intrinsicGas(tx)
  if (tx.gasLimit < gas) {
    throw new TxPoolError(
      'ErrIntrinsicGas',
      `intrinsic gas too low: gas ${tx.gasLimit}, minimum needed ${gas}`,
    )
  }
  if (rules.prague && tx.gasLimit < floor) {
    throw new TxPoolError(
      'ErrFloorDataGas',
      `insufficient gas for floor data gas cost: gas ${tx.gasLimit}, minimum needed ${floor}`,
    )
  }
  if (tipOf(tx) < rules.minGasPrice) {
    throw new TxPoolError(
      'ErrTxGasPriceTooLow',
      `transaction gas price below minimum: gas tip cap ${tipOf(tx)}, minimum needed ${rules.minGasPrice}`,
    )
  }
  if (tx.type === 3) {
    if ((tx.maxFeePerBlobGas ?? 0n) < minBlobGasPriceWei) {
      throw new TxPoolError(
        'ErrTxGasPriceTooLow',
        `transaction gas price below minimum: blob fee cap ${tx.maxFeePerBlobGas ?? 0n}, minimum needed ${minBlobGasPriceWei}`,
      )
    }
    if ((tx.blobVersionedHashes?.length ?? 0) === 0) {
      throw new TxPoolError('ErrInvalidTxFields', 'blobless blob transaction')
    }
  }
  if (tx.type === 4 && (tx.authorizationList?.length ?? 0) === 0) {
    throw new TxPoolError(
      'ErrInvalidTxFields',
      'set code tx must have at least one authorization tuple',
    )
  }
}
