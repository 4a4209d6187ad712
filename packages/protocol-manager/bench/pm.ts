/**
 * Protocol-manager bench over in-memory pipes (no network), real LevelDB chains:
 *  1. floor: inserting N blocks straight into a fresh chain;
 *  2. full sync of the same N blocks from one manager to another over eth/68;
 *  3. propagation: K nodes in a full mesh, node 0 mines blocks one after another; time until
 *     every node has each block, and how blocks arrived (whole vs hash).
 * Run: pnpm --filter @ethwire/protocol-manager bench
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildEmptyBlock, type Chain, createFaker, openChain } from '@ethwire/chain'
import { type Block as B, Block, BlockHeader, transactionsRoot } from '@ethwire/rlp-wire'
import { signTx, testAccount } from '@ethwire/txpool/testing'
import { createProtocolManager, type ProtocolManager } from '../src/index.js'
import { connectManagers, waitFor } from '../src/testing.js'

const N = Number(process.env.BENCH_BLOCKS ?? 5000)
const K = Number(process.env.BENCH_NODES ?? 8)
const MINED = Number(process.env.BENCH_MINED ?? 30)

const genesis = {
  config: { chainId: 1337, homesteadBlock: 0, byzantiumBlock: 0, londonBlock: 0 },
  gasLimit: '0x1c9c380',
  difficulty: '0x20000',
  alloc: {},
}
const dirs: string[] = []
async function newChain(): Promise<Chain> {
  const dir = mkdtempSync(join(tmpdir(), 'pm-bench-'))
  dirs.push(dir)
  return openChain({ location: dir, engine: createFaker() }, { genesis })
}
function manager(chain: Chain, minSyncPeers = 1): ProtocolManager {
  const pm = createProtocolManager(
    { chain },
    {
      networkId: 1337n,
      forkConfig: { genesisHash: chain.genesis.hash, forksByBlock: [], forksByTime: [] },
      minSyncPeers,
      syncIntervalMs: 3_600_000,
    },
  )
  void pm.start()
  return pm
}

/** N blocks, every 2nd with 5 signed transfers, so bodies have to be fetched and checked. */
async function buildChain(chain: Chain, n: number): Promise<B[]> {
  const key = testAccount(1).key
  const out: B[] = []
  let parent = chain.currentHeader()
  let nonce = 0n
  for (let i = 0; i < n; i++) {
    let block = await buildEmptyBlock(chain, parent, parent.time + 10n)
    if (i % 2 === 1) {
      const txs = Array.from({ length: 5 }, () =>
        signTx(
          {
            type: 2,
            chainId: 1337n,
            nonce: nonce++,
            maxPriorityFeePerGas: 1n,
            maxFeePerGas: 10n ** 10n,
            gasLimit: 21_000n,
            to: new Uint8Array(20).fill(2),
            value: 1n,
            data: new Uint8Array(0),
            accessList: [],
          },
          key,
        ),
      )
      block = new Block(
        BlockHeader.fromData({
          ...block.header.toData(),
          txRoot: transactionsRoot(txs),
          gasUsed: 105_000n,
        }),
        { transactions: txs, uncles: [] },
      )
    }
    out.push(block)
    parent = block.header
  }
  return out
}

const fmt = (x: number) => Math.round(x).toLocaleString('en-US')
console.log(
  `node ${process.version}; load average ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}`,
)

const source = await newChain()
const blocks = await buildChain(source, N)
for (let i = 0; i < blocks.length; i += 2048) await source.insertChain(blocks.slice(i, i + 2048))
const txCount = blocks.reduce((a, b) => a + b.transactions.length, 0)
console.log(`chain: ${N} blocks, ${txCount} transactions`)

{
  const floor = await newChain()
  const t0 = performance.now()
  for (let i = 0; i < blocks.length; i += 2048) await floor.insertChain(blocks.slice(i, i + 2048))
  const s = (performance.now() - t0) / 1000
  console.log(`import only (floor):            ${fmt(N / s)} blocks/s (${s.toFixed(2)} s)`)
  await floor.close()
}

for (const version of [68, 66, 63]) {
  const a = manager(source, 100)
  const bChain = await newChain()
  const b = manager(bChain)
  const t0 = performance.now()
  const link = connectManagers(a, b, { version, nameA: 'a', nameB: 'b' })
  await waitFor(() => bChain.currentHeader().number === BigInt(N), 300_000, 'sync')
  const s = (performance.now() - t0) / 1000
  const st = b.stats()
  console.log(
    `sync eth/${version} over msgPipe:         ${fmt(N / s)} blocks/s (${s.toFixed(2)} s), ${(st.bytesReceived / 1e6).toFixed(1)} MB received`,
  )
  await link.close()
  await a.stop()
  await b.stop()
  await bChain.close()
}

{
  const chains: Chain[] = []
  const pms: ProtocolManager[] = []
  const base = blocks.slice(0, 10)
  for (let i = 0; i < K; i++) {
    const c = await newChain()
    await c.insertChain(base)
    chains.push(c)
    pms.push(manager(c, 100))
  }
  for (let i = 0; i < K; i++)
    for (let j = i + 1; j < K; j++)
      connectManagers(pms[i]!, pms[j]!, { version: 68, nameA: `n${i}`, nameB: `n${j}` })
  await waitFor(() => pms.every((p) => p.peerCount === K - 1), 10_000, 'mesh')
  const times: number[] = []
  for (let m = 0; m < MINED; m++) {
    const parent = chains[0]!.currentHeader()
    const block = await buildEmptyBlock(chains[0]!, parent, parent.time + 10n)
    await chains[0]!.insertChain([block])
    const t0 = performance.now()
    await pms[0]!.announceMined(block)
    await waitFor(
      () => chains.every((c) => c.currentHeader().number === block.header.number),
      10_000,
      'propagation',
    )
    times.push(performance.now() - t0)
  }
  times.sort((x, y) => x - y)
  const st = pms.slice(1).map((p) => p.stats())
  const sum = (f: (s: ReturnType<ProtocolManager['stats']>) => number) =>
    st.reduce((a, s) => a + f(s), 0)
  console.log(
    `propagation, ${K} nodes full mesh, ${MINED} blocks mined on node 0: median ${times[Math.floor(times.length / 2)]!.toFixed(1)} ms, p90 ${times[Math.floor(times.length * 0.9)]!.toFixed(1)} ms, max ${times.at(-1)!.toFixed(1)} ms until all ${K} nodes have the block`,
  )
  console.log(
    `  per block over the ${K - 1} receiving nodes: ${(sum((s) => s.newBlockReceived) / MINED).toFixed(1)} NewBlock, ${(sum((s) => s.newBlockHashesReceived) / MINED).toFixed(1)} NewBlockHashes received; imported by fetchers ${sum((s) => s.blocksImportedByFetcher)} of ${(K - 1) * MINED}`,
  )
  for (const p of pms) await p.stop()
  for (const c of chains) await c.close()
}

await source.close()
for (const d of dirs) rmSync(d, { recursive: true, force: true })
