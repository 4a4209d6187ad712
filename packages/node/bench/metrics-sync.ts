/**
 * Metrics on vs off on a real sync: a `devchain` of N blocks (default 2,000) served by an
 * in-process dev node; a fresh joiner syncs it over libp2p on loopback, with the miner and joiner
 * both `metrics: { port: 0 }` or both off. Runs alternate (off, on, off, on, …; default 3 each)
 * and the median sync time of each is printed with blocks/s, the date, Node version and load.
 *
 *   pnpm --filter @ethwire/node bench -- metrics-sync     (METRICS_BENCH_BLOCKS, METRICS_BENCH_RUNS)
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { devchainCommand, initCommand } from '../src/commands.js'
import { silentLogger } from '../src/log.js'
import { createNode } from '../src/node.js'
import { log, median } from './common.js'

const blocks = Number(process.env.METRICS_BENCH_BLOCKS ?? 2_000)
const runs = Number(process.env.METRICS_BENCH_RUNS ?? 3)
const timeoutMs = 300_000

async function syncOnce(root: string, minerDir: string, i: number, metrics: boolean) {
  const m = metrics ? { port: 0, processMetrics: false } : undefined
  const miner = createNode({
    datadir: minerDir,
    dev: { periodSeconds: 3600 },
    port: 0,
    metrics: m,
    logger: silentLogger,
    logIntervalMs: 0,
  })
  await miner.start()
  const dir = join(root, `joiner-${i}`)
  const ctx = { datadir: dir, fakePow: false, log: silentLogger, out: () => {} }
  await initCommand(ctx, join(minerDir, 'genesis.json'))
  const joiner = createNode({
    datadir: dir,
    port: 0,
    bootnodes: [miner.multiaddrs[0] as string],
    minSyncPeers: 1,
    metrics: m,
    logger: silentLogger,
    logIntervalMs: 0,
  })
  const t0 = performance.now()
  await joiner.start()
  const deadline = Date.now() + timeoutMs
  while (joiner.chain.currentHeader().number < BigInt(blocks)) {
    if (Date.now() > deadline) throw new Error('sync timed out')
    await new Promise((r) => setTimeout(r, 20))
  }
  const ms = performance.now() - t0
  await joiner.stop()
  await miner.stop()
  rmSync(dir, { recursive: true, force: true })
  return ms
}

export async function runMetricsSyncBench(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'ethwire-metrics-bench-'))
  try {
    const minerDir = join(root, 'miner')
    await devchainCommand(
      { datadir: minerDir, fakePow: false, log: silentLogger, out: () => {} },
      blocks,
    )
    log(
      `${new Date().toISOString()} node ${process.version}, ${cpus().length} cores, load ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}; ${blocks}-block devchain, ${runs} runs each, alternating`,
    )
    const off: number[] = []
    const on: number[] = []
    for (let i = 0; i < runs; i++) {
      off.push(await syncOnce(root, minerDir, 2 * i, false))
      on.push(await syncOnce(root, minerDir, 2 * i + 1, true))
    }
    for (const [label, xs] of [
      ['metrics off', off],
      ['metrics on ', on],
    ] as const) {
      const med = median(xs)
      log(
        `${label}: median ${med.toFixed(0)} ms (${((blocks / med) * 1000).toFixed(0)} blocks/s); runs ${xs.map((x) => x.toFixed(0)).join(', ')} ms`,
      )
    }
    log(
      `on / off: ${(median(on) / median(off)).toFixed(3)}; load ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
    )
  } finally {
    rmSync(root, { recursive: true, force: true })
  }
}
