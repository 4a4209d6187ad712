/**
 * KZG verification time per blob with the pool's default verifier (micro-eth-signer, pure JS):
 * blob proofs (EIP-4844, sidecar version 0) and cell proofs (EIP-7594, version 1, 128 per blob),
 * for 1 and 6 blobs in one sidecar, medians over several rounds. Also the one-time load of the
 * library and trusted setup.
 *
 *   pnpm --filter @ethwire/txpool bench
 */
import { readFileSync } from 'node:fs'
import { loadavg } from 'node:os'
import { createKzgVerifier, loadKzg } from '../src/kzg.js'
import { makeBlobSidecar, testBlob } from '../src/testing.js'

const rounds = Number(process.env.ROUNDS ?? 7)
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number
const fromHex = (h: string) => new Uint8Array(Buffer.from(h.slice(2), 'hex'))

let t = performance.now()
await loadKzg()
console.log(`load (library + trusted setup): ${(performance.now() - t).toFixed(0)} ms`)
const verifier = createKzgVerifier()

const blobs6 = Array.from({ length: 6 }, (_, i) => testBlob(10 + i))
t = performance.now()
const v0 = await makeBlobSidecar(blobs6, 0)
console.log(`make 6 blob proofs (test setup only): ${(performance.now() - t).toFixed(0)} ms`)
const fixture = JSON.parse(
  readFileSync(new URL('../test/fixtures/cell-proofs.json', import.meta.url), 'utf8'),
) as {
  commitment: string
  proofs: string[]
}
const cellBlob = testBlob(2)
const cellCommitment = fromHex(fixture.commitment)
const cellProofs = fixture.proofs.map(fromHex)

async function time(label: string, n: number, fn: () => Promise<boolean>) {
  const xs: number[] = []
  for (let i = 0; i < rounds; i++) {
    const s = performance.now()
    if (!(await fn())) throw new Error(`${label}: did not verify`)
    xs.push(performance.now() - s)
  }
  const m = median(xs)
  console.log(
    `${label}: median ${m.toFixed(1)} ms per sidecar, ${(m / n).toFixed(1)} ms per blob (${rounds} rounds)`,
  )
}

await time('blob proofs, 1 blob', 1, async () =>
  verifier.verifyBlobProofs(
    [v0.sidecar.blobs[0]!],
    [v0.sidecar.commitments[0]!],
    [v0.sidecar.proofs[0]!],
  ),
)
await time('blob proofs, 6 blobs', 6, async () =>
  verifier.verifyBlobProofs(v0.sidecar.blobs, v0.sidecar.commitments, v0.sidecar.proofs),
)
await time('cell proofs, 1 blob', 1, async () =>
  verifier.verifyCellProofs([cellBlob], [cellCommitment], cellProofs),
)
await time('cell proofs, 6 blobs (the same blob 6 times)', 6, async () =>
  verifier.verifyCellProofs(
    Array(6).fill(cellBlob),
    Array(6).fill(cellCommitment),
    Array.from({ length: 6 }, () => cellProofs).flat(),
  ),
)
console.log(
  `load average: ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}`,
)
