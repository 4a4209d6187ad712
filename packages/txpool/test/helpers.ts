import type { TxData } from '@ethwire/rlp-wire'
import { signTx, testAccount } from '../src/testing.js'

export const chainId = 1337n
export const alice = testAccount(1)
export const bob = testAccount(2)
export const carol = testAccount(3)

/** A signed EIP-1559 transfer. */
export function tx1559(
  key: Uint8Array,
  nonce: bigint,
  fee: { tip?: bigint; cap?: bigint } = {},
  extra: Partial<TxData> = {},
) {
  return signTx(
    {
      type: 2,
      chainId,
      nonce,
      maxPriorityFeePerGas: fee.tip ?? 2n,
      maxFeePerGas: fee.cap ?? 100n,
      gasLimit: 21_000n,
      to: new Uint8Array(20).fill(9),
      value: 1n,
      data: new Uint8Array(0),
      accessList: [],
      ...extra,
    },
    key,
  )
}

export function txLegacy(
  key: Uint8Array,
  nonce: bigint,
  gasPrice = 10n,
  extra: Partial<TxData> = {},
) {
  return signTx(
    {
      type: 0,
      chainId,
      nonce,
      gasPrice,
      gasLimit: 21_000n,
      to: new Uint8Array(20).fill(9),
      value: 1n,
      data: new Uint8Array(0),
      ...extra,
    },
    key,
  )
}
