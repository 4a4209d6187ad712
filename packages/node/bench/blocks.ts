/**
 * Issue 8: time for a mined block to reach every node of a 10-node loopback mesh (median, p95),
 * and how many whole blocks (NewBlock) versus hash announcements (NewBlockHashes) each node
 * received per block.
 */
import { Cluster, type EthwireProcess, sleep, waitFor } from '../test/e2e/harness.js'
import {
  fmt,
  log,
  median,
  meshDials,
  percentile,
  statsDelta,
  table,
  type WireStats,
  wireStats,
} from './common.js'

const nodeCount = Number(process.env.BLOCK_BENCH_NODES ?? 10)
const blockCount = Number(process.env.BLOCK_BENCH_BLOCKS ?? 20)
const degree = Number(process.env.BLOCK_BENCH_DEGREE ?? 3)
const periodS = Number(process.env.BLOCK_BENCH_PERIOD ?? 2)

export async function runBlockBench(): Promise<void> {
  const net = new Cluster('bench-blocks')
  try {
    const genesis = await net.devchain('n0', 0)
    const dials = meshDials(nodeCount, degree, 11)
    await net.init(genesis, ...dials.slice(1).map((_, i) => net.dir(`n${i + 1}`)))
    // Forced syncs off (long interval) so blocks travel by the broadcast path; the miner starts first.
    const quiet = ['--syncinterval', '3600000']
    const nodes: EthwireProcess[] = [
      await net.start('n0', { args: ['--dev', '--dev.period', String(periodS), ...quiet] }),
    ]
    const addrs = [await nodes[0]!.multiaddr()]
    for (let i = 1; i < nodeCount; i++) {
      const boot = dials[i]!.map((j) => addrs[j]!).join(',')
      const node = await net.start(`n${i}`, {
        args: ['--bootnodes', boot, '--minsyncpeers', '1', ...quiet],
      })
      nodes.push(node)
      addrs.push(await node.multiaddr())
    }
    const miner = nodes[0]!
    // Everyone caught up with the miner before measuring.
    await waitFor(
      'every node at the miner head',
      async () => {
        const m = await miner.rpc.blockNumber()
        const hs = await Promise.all(nodes.map((n) => n.rpc.blockNumber()))
        return hs.every((h) => h >= m)
      },
      { timeoutMs: 60_000, intervalMs: 200 },
    )
    const peerCounts = await Promise.all(nodes.map((n) => n.rpc.peerCount()))
    log(`${nodeCount} nodes up, peers ${peerCounts.join(' ')}; measuring ${blockCount} blocks`)

    const before: (WireStats | undefined)[] = await Promise.all(nodes.map((n) => wireStats(n)))
    const first = (await miner.rpc.blockNumber()) + 1
    const last = first + blockCount - 1
    // seen[k][i]: when node i first reported a head ≥ k.
    const seen = new Map<number, number[]>()
    for (let k = first; k <= last; k++) seen.set(k, new Array(nodeCount).fill(Number.NaN))
    const deadline = performance.now() + (blockCount * periodS + 30) * 1000
    for (;;) {
      const now = performance.now()
      const heads = await Promise.all(nodes.map((n) => n.rpc.blockNumber().catch(() => -1)))
      const t = (now + performance.now()) / 2
      for (const [i, h] of heads.entries()) {
        for (let k = first; k <= Math.min(h, last); k++) {
          const row = seen.get(k)!
          if (Number.isNaN(row[i]!)) row[i] = t
        }
      }
      if ([...seen.values()].every((row) => row.every((x) => !Number.isNaN(x)))) break
      if (performance.now() > deadline) throw new Error('blocks did not reach every node in time')
      await sleep(25)
    }
    await sleep(500)
    const after = await Promise.all(nodes.map((n) => wireStats(n)))
    // Check every node holds the miner's blocks (same hashes).
    const minerHash = (await miner.rpc.block(last))?.hash
    for (const n of nodes) {
      const h = (await n.rpc.block(last))?.hash
      if (h !== minerHash) throw new Error(`${n.name} block ${last} ${h} ≠ miner ${minerHash}`)
    }

    const toAll: number[] = []
    for (const row of seen.values()) toAll.push(Math.max(...row) - row[0]!)
    table(
      `Block propagation, ${nodeCount}-node loopback mesh (each node dials ${degree} earlier nodes), ${blockCount} blocks, dev period ${periodS} s`,
      ['metric', 'ms'],
      [
        ['miner RPC sees block → every node has it, median', fmt(median(toAll))],
        ['… p95', fmt(percentile(toAll, 95))],
        ['… max', fmt(Math.max(...toAll))],
      ],
    )
    const sqrt = (n: number) => Math.floor(Math.sqrt(n))
    table(
      'Per node and block: whole blocks (NewBlock) vs announcements (NewBlockHashes) received (target: whole ≈ √peers)',
      [
        'node',
        'peers',
        '√peers',
        'NewBlock / block',
        'NewBlockHashes / block',
        'fetcher imports / block',
      ],
      nodes.map((n, i) => [
        n.name + (i === 0 ? ' (miner)' : ''),
        peerCounts[i]!,
        sqrt(peerCounts[i]!),
        fmt(statsDelta(after[i], before[i], 'newBlockReceived') / blockCount, 2),
        fmt(statsDelta(after[i], before[i], 'newBlockHashesReceived') / blockCount, 2),
        fmt(statsDelta(after[i], before[i], 'blocksImportedByFetcher') / blockCount, 2),
      ]),
    )
  } catch (err) {
    net.fail()
    throw err
  } finally {
    await net.stopAll()
  }
}
