/**
 * In-memory full-sync benchmark: a 10,000-block chain synced from 1 and from 3 test peers on
 * the real clock, beside importing the same blocks straight into the same kind of chain (the
 * floor: what the chain costs without any network or scheduling). Not a test; run with
 * `pnpm --filter @ethwire/downloader bench`.
 */
import { loadavg } from 'node:os'
import { createDownloader } from '../src/index.js'
import { buildChain, MemoryChain, seededRandom, systemClock, TestPeer } from '../src/testing.js'

const length = Number(process.env.BENCH_BLOCKS ?? 10_000)
const t0 = performance.now()
const data = buildChain({ length, seed: 42, txEvery: 2, uncleEvery: 50 })
const txs = data.blocks.reduce((n, b) => n + b.transactions.length, 0)
console.log(
  `chain: ${length} blocks, ${txs} transactions, built in ${(performance.now() - t0).toFixed(0)} ms`,
)
console.log(
  `load average (1/5/15 min): ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}`,
)

let peakRss = 0
const sampleRss = (): void => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss)
}

async function floor(): Promise<void> {
  const chain = new MemoryChain(data.blocks.slice(0, 1))
  const start = performance.now()
  for (let i = 1; i < data.blocks.length; i += 2048) {
    await chain.insertChain(data.blocks.slice(i, i + 2048))
    sampleRss()
  }
  const s = (performance.now() - start) / 1000
  console.log(
    `import only (floor):      ${(length / s).toFixed(0).padStart(7)} blocks/s  (${s.toFixed(2)} s)`,
  )
}

async function sync(peers: number, latencyMs: number): Promise<void> {
  const chain = new MemoryChain(data.blocks.slice(0, 1))
  chain.onInsert = sampleRss
  const dl = createDownloader({ chain, clock: systemClock, random: seededRandom(1) })
  const ps: TestPeer[] = []
  for (let i = 0; i < peers; i++) {
    const p = new TestPeer({ id: `p${i}`, blocks: data.blocks, clock: systemClock, latencyMs })
    ps.push(p)
    dl.registerPeer(p)
  }
  const start = performance.now()
  const result = await dl.synchronise('p0', data.head.hash, data.tds[length])
  const s = (performance.now() - start) / 1000
  if (result.imported !== length) throw new Error(`imported ${result.imported}`)
  const headers = ps.reduce((n, p) => n + p.served.headers, 0)
  const bodies = ps.reduce((n, p) => n + p.served.bodies, 0)
  console.log(
    `sync ${peers} peer(s), ${String(latencyMs).padStart(2)} ms latency: ${(length / s).toFixed(0).padStart(7)} blocks/s, ${(headers / s).toFixed(0).padStart(7)} headers/s, ${bodies} bodies fetched (${s.toFixed(2)} s)`,
  )
}

await floor()
for (const latency of [0, 10]) {
  await sync(1, latency)
  await sync(3, latency)
}
console.log(`peak RSS (sampled at each import): ${(peakRss / 1024 / 1024).toFixed(0)} MB`)
