/**
 * Issue 5: full sync of a 10,000-block dev chain over libp2p on loopback, from one peer and from
 * three, beside `ethwire import` of the same chain exported to a file (the floor), same run.
 * Reports blocks/s, headers/s (time until the downloader knew every header), peak RSS of the syncer.
 */
import { cpSync, statSync } from 'node:fs'
import { Cluster, type EthwireProcess, sleep } from '../test/e2e/harness.js'
import { fmt, log, mb, table, wireStats } from './common.js'

const blocks = Number(process.env.SYNC_BENCH_BLOCKS ?? 10_000)
const timeoutMs = Number(process.env.SYNC_BENCH_TIMEOUT_MS ?? 600_000)

interface SyncResult {
  label: string
  ms: number
  blocks: number
  headersMs: number
  peakRss: number | undefined
}

async function timeSync(
  net: Cluster,
  name: string,
  genesis: string,
  seeds: EthwireProcess[],
  target: { number: number; hash: string },
): Promise<SyncResult> {
  await net.init(genesis, net.dir(name))
  const boot = (await Promise.all(seeds.map((s) => s.multiaddr()))).join(',')
  const node = await net.start(name, {
    args: ['--bootnodes', boot, '--minsyncpeers', String(seeds.length)],
  })
  const t0 = performance.now()
  let headersDoneMs = Number.NaN
  let lastLog = t0
  for (;;) {
    const [head, stats] = await Promise.all([node.rpc.head(), wireStats(node)])
    if (Number.isNaN(headersDoneMs) && (stats?.headersDownloaded ?? 0) >= target.number) {
      headersDoneMs = performance.now() - t0
    }
    if (head.number >= target.number) {
      if (head.hash !== target.hash)
        throw new Error(`${name}: head ${head.number} ${head.hash} ≠ ${target.hash}`)
      break
    }
    if (!node.running) throw new Error(`${name} exited ${node.exitCode}\n${node.logTail()}`)
    if (performance.now() - t0 > timeoutMs)
      throw new Error(`${name}: stuck at ${head.number} after ${timeoutMs} ms\n${node.logTail()}`)
    if (performance.now() - lastLog > 5_000) {
      log(`${name}: head ${head.number} after ${fmt((performance.now() - t0) / 1000, 1)} s`)
      lastLog = performance.now()
    }
    await sleep(100)
  }
  const ms = performance.now() - t0
  if (Number.isNaN(headersDoneMs)) headersDoneMs = ms
  const peakRss = node.peakRssBytes()
  await node.stop()
  return {
    label: `libp2p sync from ${seeds.length} peer${seeds.length > 1 ? 's' : ''}`,
    ms,
    blocks: target.number,
    headersMs: headersDoneMs,
    peakRss,
  }
}

export async function runSyncBench(): Promise<void> {
  const net = new Cluster('bench-sync')
  try {
    log(`devchain ${blocks} blocks…`)
    const made = await net.exec(
      ['devchain', String(blocks), '--datadir', net.dir('src0')],
      timeoutMs,
    )
    log(`devchain took ${fmt(made.ms / 1000, 1)} s`)
    const genesis = await net.dumpGenesis(net.dir('src0'))
    const file = net.dir('chain.rlp')
    await net.exec(['export', file, '--datadir', net.dir('src0')], timeoutMs)
    const fileBytes = statSync(file).size
    for (const d of ['src1', 'src2']) cpSync(net.dir('src0'), net.dir(d), { recursive: true })

    // The floor: import of the exported file into a fresh datadir (process wall time minus start-up).
    await net.init(genesis, net.dir('imp'))
    const startup = await net.exec(['dumpgenesis', '--datadir', net.dir('imp')])
    const imp = await net.exec(['import', file, '--datadir', net.dir('imp')], timeoutMs)
    const importMs = imp.ms - startup.ms
    log(`import: ${fmt(imp.ms)} ms wall, ${fmt(startup.ms)} ms start-up`)

    const src0 = await net.start('src0')
    const target = await src0.rpc.head()
    if (target.number !== blocks)
      throw new Error(`source head ${target.number}, expected ${blocks}`)
    const one = await timeSync(net, 'sync1', genesis, [src0], target)
    log(`one peer: ${fmt(one.ms)} ms`)
    const src1 = await net.start('src1')
    const src2 = await net.start('src2')
    const three = await timeSync(net, 'sync3', genesis, [src0, src1, src2], target)
    log(`three peers: ${fmt(three.ms)} ms`)

    const importRate = (blocks * 1000) / importMs
    const rows = [
      [
        `ethwire import (file, ${mb(fileBytes)} MB)`,
        fmt(importMs),
        fmt(importRate),
        'n/a',
        'n/a',
        '1.00',
      ],
      ...[one, three].map((r) => {
        const rate = (r.blocks * 1000) / r.ms
        return [
          r.label,
          fmt(r.ms),
          fmt(rate),
          fmt((r.blocks * 1000) / r.headersMs),
          mb(r.peakRss),
          fmt(rate / importRate, 2),
        ]
      }),
    ]
    table(
      `Full sync of a ${blocks}-block dev chain on loopback (targets: network ≥ 0.5× import, peak RSS < 300 MB)`,
      ['run', 'ms', 'blocks/s', 'headers/s', 'peak RSS MB', '× import'],
      rows,
    )
  } catch (err) {
    net.fail()
    throw err
  } finally {
    await net.stopAll()
  }
}
