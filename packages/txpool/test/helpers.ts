import type { TxData } from '@ethwire/rlp-wire'
import { blobVersionedHash } from '../src/index.js'
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

/** A blob verifier that says yes (the KZG library is tested in blob.test.ts; here it only costs time). */
export const acceptAllProofs = {
  verifyBlobProofs: () => true,
  verifyCellProofs: () => true,
}

/**
 * A signed blob transaction with a sidecar whose versioned hashes match its commitments (fake
 * 48-byte commitments and proofs: pair it with {@link acceptAllProofs}).
 */
export function blobTx(
  key: Uint8Array,
  nonce: bigint,
  opts: { blobs?: number; version?: 0 | 1; cap?: bigint; blobFeeCap?: bigint; value?: bigint } = {},
) {
  const n = opts.blobs ?? 1
  const version = opts.version ?? 0
  const commitments = Array.from({ length: n }, (_, i) => new Uint8Array(48).fill(0xc0 + i))
  const proofs = Array.from({ length: version === 0 ? n : n * 128 }, () => new Uint8Array(48))
  return signTx(
    {
      type: 3,
      chainId,
      nonce,
      maxPriorityFeePerGas: 2n,
      maxFeePerGas: opts.cap ?? 100n,
      maxFeePerBlobGas: opts.blobFeeCap ?? 5n,
      blobVersionedHashes: commitments.map(blobVersionedHash),
      gasLimit: 21_000n,
      to: new Uint8Array(20).fill(9),
      value: opts.value ?? 0n,
      data: new Uint8Array(0),
      accessList: [],
    },
    key,
    {
      version,
      blobs: Array.from({ length: n }, () => new Uint8Array(131_072)),
      commitments,
      proofs,
    },
  )
}
