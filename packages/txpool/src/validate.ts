import type { Transaction } from '@ethwire/rlp-wire'
import {
  gasPerBlob,
  initCodeWordGas,
  maxInitCodeSizeBytes,
  maxTxSizeBytes,
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

export interface StatelessRules {
  chainId: bigint
  blockGasLimit: bigint
  minGasPrice: bigint
  /** Accepted tx types. */
  types: ReadonlySet<number>
  /** Accept legacy transactions without EIP-155 replay protection. */
  allowUnprotected: boolean
  /** Apply the EIP-7623 calldata floor to the gas limit. */
  eip7623: boolean
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

/** Most wei the transaction can take from its sender: value + gas × fee cap (+ blob gas × blob fee cap). */
export function costOf(tx: Transaction): bigint {
  let c = tx.value + tx.gasLimit * feeCapOf(tx)
  if (tx.type === 3) {
    c += BigInt(tx.blobVersionedHashes?.length ?? 0) * gasPerBlob * (tx.maxFeePerBlobGas ?? 0n)
  }
  return c
}

const uint64Max = (1n << 64n) - 1n

/** Every check that needs no state and no signature recovery. Throws {@link TxPoolError}. */
export function validateStateless(tx: Transaction, rules: StatelessRules): void {
  if (!rules.types.has(tx.type)) {
    throw new TxPoolError('ErrTxTypeNotSupported', `transaction type ${tx.type} is not accepted`)
  }
  if (tx.size > maxTxSizeBytes) {
    throw new TxPoolError('ErrOversized', `${tx.size} bytes > ${maxTxSizeBytes}`)
  }
  if (tx.type === 0) {
    if (tx.chainId === undefined) {
      if (!rules.allowUnprotected) {
        throw new TxPoolError('ErrInvalidChainId', 'legacy transaction without EIP-155 protection')
      }
    } else if (tx.chainId !== rules.chainId) {
      throw new TxPoolError('ErrInvalidChainId', `chain id ${tx.chainId}, want ${rules.chainId}`)
    }
  } else if (tx.chainId !== rules.chainId) {
    throw new TxPoolError('ErrInvalidChainId', `chain id ${tx.chainId}, want ${rules.chainId}`)
  }
  if (tx.nonce >= uint64Max) throw new TxPoolError('ErrNonceMax', 'nonce at 2^64-1')
  if (tx.gasLimit > rules.blockGasLimit) {
    throw new TxPoolError(
      'ErrGasLimit',
      `gas limit ${tx.gasLimit} > block gas limit ${rules.blockGasLimit}`,
    )
  }
  if (tx.to === null && tx.data.length > maxInitCodeSizeBytes) {
    throw new TxPoolError('ErrInitCodeSize', `init code of ${tx.data.length} bytes`)
  }
  if (tx.type === 4 && (tx.authorizationList?.length ?? 0) === 0) {
    throw new TxPoolError(
      'ErrInvalidTxFields',
      'set-code transaction with an empty authorization list',
    )
  }
  if (tx.type === 3 && (tx.blobVersionedHashes?.length ?? 0) === 0) {
    throw new TxPoolError('ErrInvalidTxFields', 'blob transaction without blobs')
  }
  if ((tx.type === 3 || tx.type === 4) && tx.to === null) {
    throw new TxPoolError(
      'ErrInvalidTxFields',
      `type ${tx.type} transaction cannot create a contract`,
    )
  }
  if (tx.type >= 2 && tipOf(tx) > feeCapOf(tx)) {
    throw new TxPoolError('ErrTipAboveFeeCap', `tip ${tipOf(tx)} > fee cap ${feeCapOf(tx)}`)
  }
  if (tipOf(tx) < rules.minGasPrice) {
    throw new TxPoolError(
      'ErrUnderpriced',
      `gas price/tip ${tipOf(tx)} < minimum ${rules.minGasPrice}`,
    )
  }
  const { gas, floor } = intrinsicGas(tx)
  if (tx.gasLimit < gas) {
    throw new TxPoolError('ErrIntrinsicGas', `gas limit ${tx.gasLimit} < intrinsic gas ${gas}`)
  }
  if (rules.eip7623 && tx.gasLimit < floor) {
    throw new TxPoolError('ErrIntrinsicGas', `gas limit ${tx.gasLimit} < EIP-7623 floor ${floor}`)
  }
}
