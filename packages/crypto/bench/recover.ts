// Recoveries per second for each path: noble, native, and the worker pool (noble and native);
// signatures per second, noble and native.
// Run: pnpm --filter @ethwire/crypto bench   (not a test; the machine may be shared)
import { loadavg } from 'node:os'
import {
  createRecoveryPool,
  loadNativeRecoverer,
  loadNativeSigner,
  nobleRecoverer,
  nobleSigner,
  type Recoverer,
  type Signer,
} from '../src/index.js'
import { testSignature } from '../src/testing.js'

const N = Number(process.env.BENCH_N ?? 2000)
const sigs = Array.from({ length: N }, (_, i) => testSignature(i))
const batch = sigs.map(({ hash, r, s, recovery }) => ({ hash, r, s, recovery }))

function benchSync(rec: Recoverer, n: number): number {
  const t0 = performance.now()
  for (let i = 0; i < n; i++) {
    const x = batch[i % batch.length] as (typeof batch)[number]
    rec.recoverPublicKey(x.hash, x.r, x.s, x.recovery)
  }
  return (n / (performance.now() - t0)) * 1000
}

async function benchPool(backend: 'native' | 'noble', workers: number, n: number): Promise<number> {
  const pool = createRecoveryPool({ workers, backend })
  try {
    await pool.recoverAddresses(batch.slice(0, 8)) // warm up (module load in the workers)
    const t0 = performance.now()
    const out = await pool.recoverAddresses(batch.slice(0, n))
    const dt = performance.now() - t0
    if (out.some((a) => a === null)) throw new Error('pool returned a null for a valid signature')
    return (n / dt) * 1000
  } finally {
    await pool.close()
  }
}

function benchSign(signer: Signer, n: number): number {
  const key = new Uint8Array(32).fill(7)
  const t0 = performance.now()
  for (let i = 0; i < n; i++) signer.signRecoverable(batch[i % batch.length]!.hash, key)
  return (n / (performance.now() - t0)) * 1000
}

const fmt = (x: number) => `${Math.round(x).toLocaleString('en-US')}/s`
const rows: Array<[string, string]> = []
benchSync(nobleRecoverer, 50)
rows.push(['noble (main thread)', fmt(benchSync(nobleRecoverer, Math.min(N, 1000)))])
const native = loadNativeRecoverer()
if (native !== null) {
  benchSync(native, 200)
  rows.push(['native (main thread)', fmt(benchSync(native, N * 5))])
} else rows.push(['native (main thread)', 'addon does not load here'])
benchSign(nobleSigner, 50)
rows.push(['sign, noble', fmt(benchSign(nobleSigner, Math.min(N, 1000)))])
const nativeSigner = loadNativeSigner()
if (nativeSigner !== null) {
  benchSign(nativeSigner, 200)
  rows.push(['sign, native', fmt(benchSign(nativeSigner, N * 5))])
} else rows.push(['sign, native', 'addon does not load here'])
for (const w of [1, 2]) {
  rows.push([`pool noble, ${w} worker(s)`, fmt(await benchPool('noble', w, Math.min(N, 1000)))])
  if (native !== null)
    rows.push([`pool native, ${w} worker(s)`, fmt(await benchPool('native', w, N))])
}
console.log(
  `node ${process.version}, load average ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}`,
)
for (const [k, v] of rows) console.log(`${k.padEnd(28)} ${v}`)
