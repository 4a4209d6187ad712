/**
 * Issue 6: 10,000 transactions injected (JSON-RPC batches) at one node of an 8-node loopback
 * network: time until every pool holds them all, and the bytes each node received per
 * transaction byte, with announcements on (eth/68) and off (eth/63), on more than one topology.
 * The received bytes are split by message kind from the protocol manager's counters
 * (debug_wireStats): full copies (Transactions + PooledTransactions), announcements, the rest.
 */
import { readFileSync } from 'node:fs'
import { privateKeyToAddress, randomPrivateKey } from '@ethwire/crypto'
import { bytesToHex } from '@ethwire/rlp-wire'
import {
  Cluster,
  chainIdOf,
  devKeyOf,
  type EthwireProcess,
  fundAccounts,
  type SignedTx,
  sendRawTransactions,
  signDynamicFee,
  signTransfer,
  sleep,
  waitFor,
} from '../test/e2e/harness.js'
import { fmt, log, statsDelta, table, type WireStats, wireStats } from './common.js'

const nodeCount = Number(process.env.TX_BENCH_NODES ?? 8)
const txCount = Number(process.env.TX_BENCH_TXS ?? 10_000)
const timeoutMs = Number(process.env.TX_BENCH_TIMEOUT_MS ?? 300_000)
/** How long after the injection ended every pool may take to hold every transaction. */
const settleMs = Number(process.env.TX_BENCH_SETTLE_MS ?? 60_000)
/** Gas limit of a token-transfer call (an ERC-20 transfer uses ~52,000). */
const CALL_GAS = 60_000n
/** Which configurations to run (comma-separated names from `configs`); default all. */
const picked = process.env.TX_BENCH_CONFIGS?.split(',')
/** Bytes one hash adds to a batched eth/68 announcement: 33 (hash) + 1 (type) + the RLP size. */
const announceBytesPerHash = (txSize: number) => 34 + (txSize < 128 ? 1 : txSize < 256 ? 2 : 3)

interface Mode {
  label: string
  args: string[]
}

const modes: Mode[] = [
  { label: 'eth/68 ann. on', args: ['--eth', '68', '--txannounce', 'true'] },
  { label: 'eth/63 ann. off', args: ['--eth', '63', '--txannounce', 'false'] },
]

interface Config {
  name: string
  describe: string
  /** dials[i]: the earlier nodes node i dials. */
  dials: (n: number) => number[][]
  /** Calldata bytes per transaction (0: plain transfer). */
  calldata: number
}

/** Every node dials every earlier one: a full mesh (n − 1 peers each). */
const fullMesh = (n: number): number[][] =>
  Array.from({ length: n }, (_, i) => [...Array(i).keys()])

/** A ring with a chord to the opposite node (i ± 1, i + n/2): 3 peers each for even n. */
const ringChords = (n: number): number[][] => {
  const edges = new Set<string>()
  const add = (a: number, b: number) => {
    const [x, y] = a < b ? [a, b] : [b, a]
    if (x !== y) edges.add(`${x},${y}`)
  }
  for (let i = 0; i < n; i++) {
    add(i, (i + 1) % n)
    add(i, (i + Math.floor(n / 2)) % n)
  }
  const dials: number[][] = Array.from({ length: n }, () => [])
  for (const e of edges) {
    const [x, y] = e.split(',').map(Number) as [number, number]
    dials[y]!.push(x)
  }
  return dials.map((d) => d.sort((a, b) => a - b))
}

/** ERC-20 `transfer(address,uint256)` calldata: 4-byte selector + two 32-byte words. */
const erc20CalldataBytes = 68

const configs: Config[] = [
  { name: 'mesh', describe: 'full mesh (7 peers each)', dials: fullMesh, calldata: 0 },
  {
    name: 'ring',
    describe: 'ring with chords (i±1, i+4: 3 peers each)',
    dials: ringChords,
    calldata: 0,
  },
  {
    name: 'mesh-erc20',
    describe: 'full mesh, ERC-20-transfer-sized calldata (68 bytes)',
    dials: fullMesh,
    calldata: erc20CalldataBytes,
  },
]

/**
 * `count` signed EIP-1559 transactions, round-robin over senders (50 nonces each), with `calldata`
 * bytes of data; `keys` are the senders (fund them: the pool checks balances).
 */
function makeTxs(
  count: number,
  chainId: bigint,
  calldata: number,
): { txs: SignedTx[]; keys: Uint8Array[] } {
  const senders = Math.ceil(count / 50)
  const keys = Array.from({ length: senders }, () => randomPrivateKey())
  const data = new Uint8Array(calldata)
  if (calldata >= 4) data.set([0xa9, 0x05, 0x9c, 0xbb]) // transfer(address,uint256)
  for (let i = 4; i < calldata; i++) data[i] = i % 7 === 0 ? 0 : (i * 37) & 0xff
  const out: SignedTx[] = []
  for (let i = 0; i < count; i++) {
    const nonce = BigInt(Math.floor(i / senders))
    const tx =
      calldata === 0
        ? signTransfer(keys[i % senders]!, { chainId, nonce })
        : signDynamicFee(keys[i % senders]!, {
            chainId,
            nonce,
            gasLimit: CALL_GAS,
            to: new Uint8Array(20).fill(0x22),
            data,
          })
    const raw = tx.encode()
    out.push({ raw: bytesToHex(raw), hash: bytesToHex(tx.hash), size: raw.length })
  }
  return { txs: out, keys }
}

interface NodeResult {
  name: string
  peers: string
  dropped: number
  pool: string
  allInPoolMs: number
  stats: Record<string, number>
}

interface ModeResult {
  config: Config
  mode: Mode
  txSize: number
  injectMs: number
  nodes: NodeResult[]
}

const keys = [
  'bytesReceived',
  'txBytesReceived',
  'txBroadcastBytesReceived',
  'txsBroadcastReceived',
  'txsBroadcastKnown',
  'pooledTxBytesReceived',
  'pooledTxsReceived',
  'pooledTxsKnown',
  'txAnnounceBytesReceived',
  'txHashesAnnounced',
  'txHashesAnnouncedKnown',
  'peersDropped',
]

async function runMode(config: Config, mode: Mode): Promise<ModeResult> {
  const net = new Cluster(`bench-txs-${config.name}`)
  const extra = ['--txpool.globalslots', String(txCount + 1024)]
  try {
    const genesis = await net.devchain('n0', 2)
    const chainId = chainIdOf(readFileSync(genesis, 'utf8'))
    // Signing blocks this process for seconds: do it before any RPC connection is open, or the
    // first call after it may pick a keep-alive socket the node has closed in the meantime.
    log(`${config.name} ${mode.label}: signing ${txCount} txs`)
    const { txs, keys: senders } = makeTxs(txCount, chainId, config.calldata)
    const txBytes = txs.reduce((a, t) => a + t.size, 0)
    const dials = config.dials(nodeCount)
    await net.init(genesis, ...dials.slice(1).map((_, i) => net.dir(`n${i + 1}`)))
    const nodes: EthwireProcess[] = []
    // The pool checks balances: the senders are funded first by n0 mining on arrival ...
    const funder = await net.start('n0', { args: ['--dev', '--dev.period', '0', ...extra] })
    await fundAccounts(funder.rpc, devKeyOf(net.dir('n0')), senders.map(privateKeyToAddress), {
      chainId,
      value: 10n ** 18n,
    })
    await waitFor('the funding mined', async () => (await funder.rpc.txpoolStatus()).pending === 0)
    await funder.stop()
    // ... then the injecting node mines (so it accepts transactions) with a period long enough to
    // seal nothing during the run.
    nodes.push(
      await net.start('n0', { args: ['--dev', '--dev.period', '3600', ...mode.args, ...extra] }),
    )
    const head = await nodes[0]!.rpc.head()
    const addrs = [await nodes[0]!.multiaddr()]
    for (let i = 1; i < nodeCount; i++) {
      const boot = dials[i]!.map((j) => addrs[j]!).join(',')
      const node = await net.start(`n${i}`, {
        args: ['--bootnodes', boot, '--minsyncpeers', '1', ...mode.args, ...extra],
      })
      nodes.push(node)
      addrs.push(await node.multiaddr())
    }
    const wantPeers = dials.map((d, i) => d.length + dials.filter((x) => x.includes(i)).length)
    for (const [i, n] of nodes.entries()) {
      await waitFor(`${n.name} synced`, async () => (await n.rpc.head()).hash === head.hash, {
        timeoutMs: 30_000,
      })
      await waitFor(
        `${n.name} has ${wantPeers[i]} peers`,
        async () => (await n.rpc.peerCount()) >= wantPeers[i]!,
        {
          timeoutMs: 30_000,
        },
      )
    }
    const peerCounts = await Promise.all(nodes.map((n) => n.rpc.peerCount()))
    log(`${config.name} ${mode.label}: ${nodeCount} nodes up, peers ${peerCounts.join(' ')}`)
    const before: (WireStats | undefined)[] = await Promise.all(nodes.map((n) => wireStats(n)))

    const t0 = performance.now()
    let injectMs = Number.NaN
    const done: number[] = new Array(nodeCount).fill(Number.NaN)
    const watcher = (async () => {
      while (done.some((d) => Number.isNaN(d))) {
        // Give up one settle period after the injection ended (or at the overall timeout).
        if (!Number.isNaN(injectMs) && performance.now() - t0 > injectMs + settleMs) return
        await Promise.all(
          nodes.map(async (n, i) => {
            if (!Number.isNaN(done[i]!)) return
            const s = await n.rpc.txpoolStatus().catch(() => undefined)
            if (s && s.pending >= txCount) done[i] = performance.now() - t0
          }),
        )
        if (performance.now() - t0 > timeoutMs) return
        await sleep(100)
      }
    })()
    const errors = await sendRawTransactions(nodes[0]!.rpc, txs)
    injectMs = performance.now() - t0
    if (errors.length > 0) log(`${errors.length} rejected by n0, first: ${errors[0]}`)
    await watcher
    const status = await Promise.all(
      nodes.map((n) => n.rpc.txpoolStatus().catch(() => ({ pending: -1, queued: -1 }))),
    )
    const peersAfter = await Promise.all(nodes.map((n) => n.rpc.peerCount().catch(() => -1)))
    await sleep(2_000) // let late duplicate announcements/answers land before reading counters
    const after = await Promise.all(nodes.map((n) => wireStats(n)))
    log(
      `${config.name} ${mode.label}: injected in ${fmt(injectMs)} ms, ${errors.length} not accepted by n0, all in every pool at ${fmt(Math.max(...done))} ms`,
    )
    return {
      config,
      mode,
      txSize: txBytes / txCount,
      injectMs,
      nodes: nodes.map((n, i) => ({
        name: n.name,
        peers: `${peerCounts[i]!}→${peersAfter[i]!}`,
        dropped: statsDelta(after[i], before[i], 'peersDropped'),
        pool: `${status[i]!.pending}/${status[i]!.queued}`,
        allInPoolMs: done[i]!,
        stats: Object.fromEntries(keys.map((k) => [k, statsDelta(after[i], before[i], k)])),
      })),
    }
  } catch (err) {
    net.fail()
    throw err
  } finally {
    await net.stopAll()
  }
}

function report(r: ModeResult): void {
  const txBytes = r.txSize * txCount
  const rows = r.nodes.map((n, i) => {
    const s = n.stats
    const full = s.txsBroadcastReceived! + s.pooledTxsReceived!
    const fullBytes = s.txBroadcastBytesReceived! + s.pooledTxBytesReceived!
    const other = s.bytesReceived! - fullBytes - s.txAnnounceBytesReceived!
    return [
      `${n.name}${i === 0 ? ' (injector)' : ''}`,
      n.peers,
      n.pool,
      fmt(n.allInPoolMs),
      fmt(s.bytesReceived! / txBytes, 2),
      fmt(fullBytes / txBytes, 2),
      `${fmt(s.txsBroadcastReceived! / txCount, 2)}+${fmt(s.pooledTxsReceived! / txCount, 2)}`,
      `${fmt(s.txsBroadcastKnown! / txCount, 2)}+${fmt(s.pooledTxsKnown! / txCount, 2)}`,
      fmt(s.txAnnounceBytesReceived! / txBytes, 2),
      fmt(s.txHashesAnnounced! / txCount, 2),
      fmt(other / txBytes, 2),
      fmt(full / txCount, 2),
    ]
  })
  table(
    `${r.config.describe}; ${r.mode.label} (${r.mode.args.join(' ')}); ${txCount} txs of ${fmt(r.txSize, 0)} bytes injected at n0 in ${fmt(r.injectMs)} ms (${fmt(txCount / (r.injectMs / 1000))} tx/s); one announced hash ≈ ${announceBytesPerHash(Math.round(r.txSize))} bytes (${fmt(announceBytesPerHash(Math.round(r.txSize)) / r.txSize, 2)}× tx)`,
    [
      'node',
      'peers',
      'pending/queued',
      'all in pool ms',
      'recv × tx bytes',
      'full copies × tx bytes',
      'txs per tx: Transactions+Pooled',
      'of which already in pool: T+P',
      'announce × tx bytes',
      'hashes announced per tx',
      'other × tx bytes',
      'full copies per tx',
    ],
    rows,
  )
}

export async function runTxBench(): Promise<void> {
  for (const config of configs) {
    if (picked !== undefined && !picked.includes(config.name)) continue
    for (const mode of modes) {
      try {
        report(await runMode(config, mode))
      } catch (err) {
        log(`${config.name} ${mode.label}: failed: ${(err as Error).message.split('\n')[0]}`)
      }
    }
  }
  process.stdout.write(
    `(load average ${(await import('node:os'))
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')})\n`,
  )
}
