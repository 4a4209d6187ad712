/**
 * Issue 14: fast sync vs full sync (every block executed) of the same chain from one peer over
 * libp2p (eth/66) on loopback. The chain (`test/e2e/fastsync-chain.ts`): a token contract deployed
 * by the dev signer and FASTSYNC_BENCH_SLOTS mints (default 3,000: one storage slot each in its
 * balances mapping), transfers from the dev signer to FASTSYNC_BENCH_ACCOUNTS fresh addresses
 * (default 20,000), FASTSYNC_BENCH_TRANSFERS transfers in all (default 60,000, cycling over those
 * accounts: history to execute, 400 per block), then empty blocks up to FASTSYNC_BENCH_BLOCKS
 * (default 5,000). Time: from the syncing node answering JSON-RPC to its head at the source's head
 * (hash and state root checked). Target: fast ≥ 5× full. FASTSYNC_BENCH_PROF=<dir> writes a
 * `--cpu-prof` profile of each syncing node (and of the serving node) there.
 */

import { bytesToHex, keccak256 } from '@ethwire/rlp-wire'
import { accountAt, buildStateChain, mintedValue } from '../test/e2e/fastsync-chain.js'
import { Cluster, type EthwireProcess, sleep } from '../test/e2e/harness.js'
import { fmt, log, mb, table } from './common.js'

const accounts = Number(process.env.FASTSYNC_BENCH_ACCOUNTS ?? 20_000)
const transfers = Number(process.env.FASTSYNC_BENCH_TRANSFERS ?? 60_000)
const blocks = Number(process.env.FASTSYNC_BENCH_BLOCKS ?? 5_000)
const storageSlots = Number(process.env.FASTSYNC_BENCH_SLOTS ?? 3_000)
const profDir = process.env.FASTSYNC_BENCH_PROF
const prof = (name: string) =>
  profDir
    ? {
        nodeArgs: [
          '--cpu-prof',
          `--cpu-prof-dir=${profDir}`,
          `--cpu-prof-name=${name}-${Date.now()}.cpuprofile`,
        ],
      }
    : {}
const timeoutMs = Number(process.env.FASTSYNC_BENCH_TIMEOUT_MS ?? 600_000)

interface Run {
  mode: string
  ms: number
  peakRss: number | undefined
  pulled: string
  /** The downloader's `sync timeline` log fields (ms since the run started, busy totals). */
  timeline: Record<string, string>
}

/** The fields of the last `sync timeline` line of a node's log. */
function parseTimeline(text: string): Record<string, string> {
  const lines = text.split('\n').filter((l) => l.includes('sync timeline'))
  const out: Record<string, string> = {}
  for (const m of (lines[lines.length - 1] ?? '').matchAll(/([\w.]+)=(\S+)/g)) out[m[1]!] = m[2]!
  return out
}

async function timeSync(
  net: Cluster,
  mode: 'fast' | 'full',
  genesis: string,
  src: EthwireProcess,
  target: { hash: string; stateRoot: string },
): Promise<Run> {
  const name = `sync-${mode}`
  await net.init(genesis, net.dir(name))
  const node = await net.start(name, {
    args: [
      '--syncmode',
      mode,
      '--eth',
      '66',
      '--minsyncpeers',
      '1',
      '--bootnodes',
      await src.multiaddr(),
    ],
    ...(mode === 'fast' ? prof(name) : {}),
  })
  const t0 = performance.now()
  let lastLog = t0
  for (;;) {
    let b: { hash: string; number: string; stateRoot: string }
    try {
      b = await node.rpc.call('eth_getBlockByNumber', ['latest', false], 30_000)
    } catch (err) {
      // a kept-alive connection the busy node closed (ECONNRESET): ask again while it runs
      if (!node.running || performance.now() - t0 > timeoutMs) throw err
      await sleep(50)
      continue
    }
    if (b.hash === target.hash) {
      if (b.stateRoot !== target.stateRoot) throw new Error(`${name}: state root ${b.stateRoot}`)
      break
    }
    if (!node.running) throw new Error(`${name} exited ${node.exitCode}\n${node.logTail()}`)
    if (performance.now() - t0 > timeoutMs)
      throw new Error(`${name}: stuck at ${b.number} after ${timeoutMs} ms\n${node.logTail()}`)
    if (performance.now() - lastLog > 5_000) {
      log(
        `${name}: head ${Number(BigInt(b.number))} after ${fmt((performance.now() - t0) / 1000, 1)} s`,
      )
      lastLog = performance.now()
    }
    await sleep(50)
  }
  const ms = performance.now() - t0
  const peakRss = node.peakRssBytes()
  const m = /Sync done .*mode=(\w+)(?:.*pulledStates=(\d+))?/.exec(node.log())
  if (m?.[1] !== mode) throw new Error(`${name}: the sync ran as ${m?.[1]}\n${node.logTail()}`)
  const timeline = parseTimeline(node.log())
  await node.stop()
  log(
    `${name} timeline: ${Object.entries(timeline)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ')}`,
  )
  return { mode, ms, peakRss, pulled: m[2] ?? '0', timeline }
}

export async function runFastSyncBench(): Promise<void> {
  const net = new Cluster('bench-fastsync')
  try {
    log(
      `building a ${blocks}-block chain: ${storageSlots} token slots, ${transfers} transfers to ${accounts} accounts…`,
    )
    const built = await buildStateChain(net.dir('src'), {
      accounts,
      transfers,
      blocks,
      storageSlots,
    })
    log(`built in ${fmt(built.ms / 1000, 1)} s`)
    const genesis = await net.dumpGenesis(net.dir('src'))
    const src = await net.start('src', prof('src'))
    if (built.token) {
      const code = await src.rpc.call<string>('eth_getCode', [bytesToHex(built.token), 'latest'])
      if (code.length < 4) throw new Error('the token contract has no code')
      const key = new Uint8Array(64)
      key.set(accountAt(storageSlots - 1), 12)
      const slot = await src.rpc.call<string>('eth_getStorageAt', [
        bytesToHex(built.token),
        bytesToHex(keccak256(key)),
        'latest',
      ])
      if (BigInt(slot) !== mintedValue(storageSlots - 1))
        throw new Error(`the last token slot holds ${slot}`)
    }
    const full = await timeSync(net, 'full', genesis, src, built.head)
    log(`full: ${fmt(full.ms)} ms`)
    const fast = await timeSync(net, 'fast', genesis, src, built.head)
    log(`fast: ${fmt(fast.ms)} ms`)
    table(
      `Fast vs full sync of a ${blocks}-block dev chain (${storageSlots} token storage slots, ${transfers} transfers to ${accounts} accounts), one peer, libp2p eth/66 on loopback (target: fast ≥ 5× full)`,
      [
        'mode',
        'ms',
        'state entries pulled',
        'state nodes/s',
        'state bytes',
        'peak RSS MB',
        'speed-up',
      ],
      [full, fast].map((r) => {
        const t = r.timeline
        const stateMs = Number(t['at.stateDone'] ?? 0) - Number(t['at.stateStart'] ?? 0)
        const nps = stateMs > 0 ? fmt(Number(r.pulled) / (stateMs / 1000)) : '-'
        return [
          r.mode,
          fmt(r.ms),
          r.pulled,
          nps,
          t.stateBytes ?? '0',
          mb(r.peakRss),
          fmt(full.ms / r.ms, 2),
        ]
      }),
    )
    const phases = [
      'head',
      'ancestor',
      'stateStart',
      'statePivotRoot',
      'headers',
      'firstImport',
      'belowPivotStored',
      'pivotWait',
      'stateDone',
      'committed',
      'done',
    ]
    table(
      'Timeline of each sync (ms since the downloader run started; busy = ms inside the chain / scheduler calls)',
      ['mode', ...phases, 'store', 'execute', 'commit', 'stateDeliver', 'state reqs'],
      [full, fast].map((r) => [
        r.mode,
        ...phases.map((p) => r.timeline[`at.${p}`] ?? '-'),
        r.timeline['busy.store'] ?? '-',
        r.timeline['busy.execute'] ?? '-',
        r.timeline['busy.commit'] ?? '-',
        r.timeline['busy.stateDeliver'] ?? '-',
        r.timeline['state.requests'] ?? '-',
      ]),
    )
  } catch (err) {
    net.fail()
    throw err
  } finally {
    await net.stopAll()
  }
}
