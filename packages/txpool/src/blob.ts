/**
 * Blob transactions checked as a whole (go-ethereum's `validateBlobSidecar` and its Osaka
 * cell-proof version): the sidecar must be there, its counts must match the versioned hashes,
 * each versioned hash must be `0x01 ‖ sha256(commitment)[1:]`, and the KZG proofs must verify.
 */
import type { Transaction } from '@ethwire/rlp-wire'
import { sha256 } from '@noble/hashes/sha2.js'
import {
  blobCommitmentVersionKzg,
  cellProofsPerBlob,
  maxBlobsPerBlockCancun,
  maxBlobsPerBlockPrague,
  maxBlobsPerTxOsaka,
} from './constants.js'
import { TxPoolError } from './errors.js'
import type { BlobVerifier } from './types.js'

const blobBytes = 131_072
const pointBytes = 48

/** EIP-4844 versioned hash of a KZG commitment: `0x01 ‖ sha256(commitment)[1:]`. */
export function blobVersionedHash(commitment: Uint8Array): Uint8Array {
  const h = sha256(commitment)
  h[0] = blobCommitmentVersionKzg
  return h
}

/** Most blobs a transaction may carry under the fork rules at the head. */
export function maxBlobsPerTx(rules: { prague: boolean; osaka: boolean | undefined }): number {
  if (rules.osaka !== false) return maxBlobsPerTxOsaka
  return rules.prague ? maxBlobsPerBlockPrague : maxBlobsPerBlockCancun
}

const hex = (b: Uint8Array) =>
  `0x${Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex')}`

/**
 * The cheap checks of a blob transaction's sidecar: present, the version the fork wants
 * (`osaka`: version 1; before: version 0; unknown: either), blob limit, counts, sizes and
 * versioned hashes. No-op for other types. Throws {@link TxPoolError} (`peerFault` for all but
 * the blob limit).
 */
export function validateBlobSidecar(
  tx: Transaction,
  rules: { prague: boolean; osaka: boolean | undefined; maxBlobsPerTx?: number },
): void {
  if (tx.type !== 3) return
  const sc = tx.sidecar
  if (sc === undefined) {
    throw new TxPoolError('ErrBlobSidecarMissing', 'missing sidecar in blob transaction')
  }
  if (rules.osaka !== undefined) {
    const want = rules.osaka ? 1 : 0
    if (sc.version !== want) {
      throw new TxPoolError(
        'ErrBlobSidecarFormat',
        `Wrong sidecar format: unexpected sidecar version, want: ${want}, got: ${sc.version}`,
      )
    }
  } else if (sc.version !== 0 && sc.version !== 1) {
    throw new TxPoolError(
      'ErrBlobSidecarFormat',
      `Wrong sidecar format: unknown sidecar version ${sc.version}`,
    )
  }
  const hashes = tx.blobVersionedHashes ?? []
  const limit = rules.maxBlobsPerTx ?? maxBlobsPerTx(rules)
  if (hashes.length > limit) {
    throw new TxPoolError(
      'ErrBlobLimit',
      `transaction blob limit exceeded: blob count ${hashes.length}, limit ${limit}`,
    )
  }
  if (sc.blobs.length !== hashes.length) {
    throw new TxPoolError(
      'ErrBlobSidecarFormat',
      `Wrong sidecar format: invalid number of ${sc.blobs.length} blobs compared to ${hashes.length} blob hashes`,
    )
  }
  if (sc.commitments.length !== hashes.length) {
    throw new TxPoolError(
      'ErrBlobSidecarFormat',
      `Wrong sidecar format: invalid number of ${sc.commitments.length} blob commitments compared to ${hashes.length} blob hashes`,
    )
  }
  const wantProofs = sc.version === 1 ? hashes.length * cellProofsPerBlob : hashes.length
  if (sc.proofs.length !== wantProofs) {
    throw new TxPoolError(
      'ErrBlobSidecarFormat',
      `Wrong sidecar format: invalid number of ${sc.proofs.length} blob proofs expected ${wantProofs}`,
    )
  }
  for (const b of sc.blobs) {
    if (b.length !== blobBytes) {
      throw new TxPoolError(
        'ErrBlobSidecarFormat',
        `Wrong sidecar format: blob of ${b.length} bytes`,
      )
    }
  }
  for (const p of [...sc.commitments, ...sc.proofs]) {
    if (p.length !== pointBytes) {
      throw new TxPoolError(
        'ErrBlobSidecarFormat',
        `Wrong sidecar format: commitment or proof of ${p.length} bytes`,
      )
    }
  }
  for (let i = 0; i < hashes.length; i++) {
    const computed = blobVersionedHash(sc.commitments[i] as Uint8Array)
    const got = hashes[i] as Uint8Array
    if (hex(computed) !== hex(got)) {
      throw new TxPoolError(
        'ErrBlobHashMismatch',
        `blob ${i}: computed hash ${hex(computed)} mismatches transaction one ${hex(got)}`,
      )
    }
  }
}

/**
 * The expensive check: every KZG proof of the sidecar verifies (blob proofs for version 0, cell
 * proofs for version 1). Call after {@link validateBlobSidecar}. Throws `ErrKzgVerification`.
 */
export async function verifyBlobSidecar(tx: Transaction, verifier: BlobVerifier): Promise<void> {
  const sc = tx.sidecar
  if (tx.type !== 3 || sc === undefined) return
  // A verifier that throws (library failed to load) is our problem, not the peer's: it propagates.
  const ok =
    sc.version === 1
      ? await verifier.verifyCellProofs(sc.blobs, sc.commitments, sc.proofs)
      : await verifier.verifyBlobProofs(sc.blobs, sc.commitments, sc.proofs)
  if (!ok) {
    throw new TxPoolError(
      'ErrKzgVerification',
      sc.version === 1
        ? 'KZG verification error: invalid cell proof'
        : 'KZG verification error: invalid blob proof',
    )
  }
}
