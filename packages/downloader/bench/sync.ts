/**
 * In-memory sync benchmark: a 10,000-block chain synced from 1 and from 3 test peers on the real
 * clock, beside importing the same blocks straight into the same kind of chain (the floor: what
 * the chain costs without any network or scheduling); then a fast sync of a chain with receipts
 * and a synthetic state of `BENCH_ACCOUNTS` (20,000) accounts through the in-memory trie-sync
 * double. Not a test; run with `pnpm --filter @ethwire/downloader bench` (`BENCH_FAST=0` skips
 * the fast-sync part).
 */
import { loadavg } from 'node:os'
import { systemClock } from '@ethwire/interface/runtime'
import { seededRandom } from '@ethwire/interface/testing'
import { createDownloader } from '../src/index.js'
import {
  buildChain,
  MemoryChain,
  MemoryStateStore,
  memoryStateSync,
  TestPeer,
} from '../src/testing.js'

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

async function fast(fastData: ReturnType<typeof buildChain>, peers: number, latencyMs: number) {
  const store = new MemoryStateStore()
  const chain = new MemoryChain(fastData.blocks.slice(0, 1), { hasState: (r) => store.complete(r) })
  chain.onInsert = sampleRss
  const dl = createDownloader(
    { chain, clock: systemClock, random: seededRandom(1), stateSync: memoryStateSync(store) },
    { mode: 'fast' },
  )
  const ps: TestPeer[] = []
  for (let i = 0; i < peers; i++) {
    const p = new TestPeer({
      id: `p${i}`,
      blocks: fastData.blocks,
      receipts: fastData.receipts!,
      state: fastData.state!.nodes,
      clock: systemClock,
      latencyMs,
    })
    ps.push(p)
    dl.registerPeer(p)
  }
  const start = performance.now()
  const result = await dl.synchronise('p0', fastData.head.hash, fastData.tds[length])
  const s = (performance.now() - start) / 1000
  if (result.mode !== 'fast' || result.imported !== length) throw new Error('fast sync failed')
  const p = dl.progress()
  const receipts = ps.reduce((n, x) => n + x.served.receipts, 0)
  console.log(
    `fast ${peers} peer(s), ${String(latencyMs).padStart(2)} ms latency: ${(length / s).toFixed(0).padStart(7)} blocks/s, ${(p.pulledStates / s).toFixed(0).padStart(6)} state nodes/s over the sync (${p.pulledStates} nodes), ${receipts} receipt lists (${s.toFixed(2)} s)`,
  )
}

await floor()
for (const latency of [0, 10]) {
  await sync(1, latency)
  await sync(3, latency)
}
if (process.env.BENCH_FAST !== '0') {
  const accounts = Number(process.env.BENCH_ACCOUNTS ?? 20_000)
  const t1 = performance.now()
  const fastData = buildChain({
    length,
    seed: 43,
    txEvery: 2,
    receipts: true,
    state: { accounts },
  })
  console.log(
    `fast-sync chain: ${length} blocks with receipts, ${accounts} accounts (${fastData.state!.reachable(fastData.head.header.stateRoot)} nodes per root), built in ${(performance.now() - t1).toFixed(0)} ms`,
  )
  for (const latency of [0, 10]) {
    await fast(fastData, 1, latency)
    await fast(fastData, 3, latency)
  }
}
console.log(`peak RSS (sampled at each import): ${(peakRss / 1024 / 1024).toFixed(0)} MB`)
