/**
 * Issue 13: `pnpm --filter @ethwire/node bench -- rpc`. JSON-RPC requests/s of `ethwire --dev
 * --dev.period 0` beside ganache 7.9 (npm `ganache`, spawned as its own process) on the same
 * chain shape: `RPC_BENCH_PAD_BLOCKS` empty blocks (ethwire: `devchain`; ganache: `evm_mine` with
 * `blocks`), a contract deployed from hand-assembled bytecode, and `RPC_BENCH_LOG_BLOCKS` blocks of
 * one transaction each that stores a value and emits `LOG2(topic0, value % 100)`. The head ends at
 * block 12,543 by default, so three 4,096-block bloom sections are indexed and the last 256 blocks
 * (the confirmation depth) are the unindexed tail.
 *
 * One load client (./rpc-load.ts) runs in its own process per measurement: HTTP/1.1 over raw
 * keep-alive TCP connections (`RPC_BENCH_CONCURRENCY`, 16), `RPC_BENCH_PIPELINE` (1) requests in
 * flight on each, a warm-up, then a fixed duration; the same client and settings for both servers. Servers alternate
 * (order swapped every round); the medians of `RPC_BENCH_ROUNDS` rounds are printed. `eth_getLogs`
 * is also run against a second ethwire process on a copy of the datadir with
 * `--history.logs.disable` (every query scans headers). Last, the time from `eth_sendRawTransaction`
 * to a receipt, sequential transactions, both servers alternating.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { cpSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { privateKeyToAddress } from '@ethwire/crypto'
import { bytesToHex } from '@ethwire/rlp-wire'
import {
  Cluster,
  chainIdOf,
  devKeyOf,
  type EthwireProcess,
  freePort,
  RpcClient,
  signDynamicFee,
  sleep,
  waitFor,
} from '../test/e2e/harness.js'
import { fmt, log, median, percentile, table } from './common.js'

const logBlocks = Number(process.env.RPC_BENCH_LOG_BLOCKS ?? 1_000)
const headTarget = Number(process.env.RPC_BENCH_HEAD ?? 12_543)
const padBlocks = Number(process.env.RPC_BENCH_PAD_BLOCKS ?? headTarget - 1 - logBlocks)
const rangeBlocks = Number(process.env.RPC_BENCH_RANGE ?? 10_000)
const concurrency = Number(process.env.RPC_BENCH_CONCURRENCY ?? 16)
const pipeline = Number(process.env.RPC_BENCH_PIPELINE ?? 1)
const rounds = Number(process.env.RPC_BENCH_ROUNDS ?? 3)
const warmupMs = Number(process.env.RPC_BENCH_WARMUP_MS ?? 1_000)
const durationMs = Number(process.env.RPC_BENCH_DURATION_MS ?? 3_000)
/** eth_getLogs is slow (a scan takes seconds at 16 in flight): a longer window for it. */
const logsDurationMs = Number(process.env.RPC_BENCH_LOGS_DURATION_MS ?? 10_000)
const latencyTxs = Number(process.env.RPC_BENCH_LATENCY_TXS ?? 100)

const topic0 = `0x${'e1'.repeat(32)}`
/**
 * Runtime: calldata shorter than 32 bytes returns storage slot 0 (the view); otherwise stores
 * word 0 of the calldata in slot 0 and emits LOG2(topic0, word0) with no data.
 */
const runtime =
  `0x3660201160355760003580600055 7f${topic0.slice(2)} 60006000a2005b60005460005260206000f3`.replace(
    / /g,
    '',
  )
const runtimeLen = (runtime.length - 2) / 2
const initcode = `0x60${runtimeLen.toString(16).padStart(2, '0')}80600b6000396000f3${runtime.slice(2)}`

const hex = (n: number | bigint) => `0x${n.toString(16)}`
const word = (n: number) => n.toString(16).padStart(64, '0')
const hexToBytes = (h: string) => Uint8Array.from(Buffer.from(h.replace(/^0x/, ''), 'hex'))

/** A signed EIP-1559 transaction (the harness's test fees) as raw hex. */
function signTx(
  key: Uint8Array,
  f: { chainId: bigint; nonce: bigint; to: Uint8Array | null; data: string; gas: bigint },
): string {
  const { chainId, nonce, to } = f
  return bytesToHex(
    signDynamicFee(key, { chainId, nonce, to, gasLimit: f.gas, data: hexToBytes(f.data) }).encode(),
  )
}

interface Receipt {
  status: string
  contractAddress?: string | null
  blockNumber: string
}

/** Sends one raw transaction and polls (1 ms apart, bounded) for its receipt; returns it and the ms taken. */
async function sendAndWait(rpc: RpcClient, raw: string): Promise<{ receipt: Receipt; ms: number }> {
  const t0 = performance.now()
  const hash = await rpc.call<string>('eth_sendRawTransaction', [raw], 30_000)
  const deadline = t0 + 30_000
  for (;;) {
    const receipt = await rpc.call<Receipt | null>('eth_getTransactionReceipt', [hash], 30_000)
    if (receipt) return { receipt, ms: performance.now() - t0 }
    if (performance.now() > deadline) throw new Error(`no receipt for ${hash} within 30 s`)
    await sleep(1)
  }
}

interface Server {
  name: string
  rpc: RpcClient
  nonce: bigint
  contract: string
}

async function setupChain(s: Server, key: Uint8Array, chainId: bigint): Promise<void> {
  const t0 = performance.now()
  const { receipt } = await sendAndWait(
    s.rpc,
    signTx(key, { chainId, nonce: s.nonce++, to: null, data: initcode, gas: 200_000n }),
  )
  if (receipt.status !== '0x1' || !receipt.contractAddress)
    throw new Error(`${s.name}: deploy failed ${JSON.stringify(receipt)}`)
  s.contract = receipt.contractAddress
  const to = hexToBytes(s.contract)
  for (let i = 1; i <= logBlocks; i++) {
    const raw = signTx(key, {
      chainId,
      nonce: s.nonce++,
      to,
      data: `0x${word(i % 100)}`,
      gas: 60_000n,
    })
    const { receipt: r } = await sendAndWait(s.rpc, raw)
    if (r.status !== '0x1') throw new Error(`${s.name}: log tx ${i} failed`)
  }
  const head = await s.rpc.blockNumber()
  log(
    `${s.name}: deployed ${s.contract}, ${logBlocks} log blocks, head ${head} (${fmt((performance.now() - t0) / 1000, 1)} s)`,
  )
}

const loadPath = join(import.meta.dirname, 'rpc-load.ts')

/**
 * One run of the load client (`rpc-load.ts`) in a fresh process: requests/s, and the server's CPU
 * µs per request when `pid` (the server's process id) is given.
 */
export async function runLoadClient(
  url: string,
  body: string,
  o: { connections: number; warmupMs: number; durationMs: number; pipeline: number; pid?: number },
): Promise<{ rate: number; cpuUs?: number }> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      loadPath,
      url,
      String(o.connections),
      String(o.warmupMs),
      String(o.durationMs),
      String(o.pipeline),
    ],
    {
      stdio: ['pipe', 'pipe', 'inherit'],
      env: o.pid === undefined ? process.env : { ...process.env, RPC_LOAD_PID: String(o.pid) },
    },
  )
  const out: Buffer[] = []
  child.stdout.on('data', (d: Buffer) => out.push(d))
  child.stdin.end(body)
  const killer = setTimeout(() => child.kill('SIGKILL'), o.warmupMs + o.durationMs + 60_000)
  const code = await new Promise<number | null>((r) => child.once('exit', r))
  clearTimeout(killer)
  if (code !== 0) throw new Error(`load client exited ${code}`)
  const res = JSON.parse(Buffer.concat(out).toString('utf8')) as {
    ok: number
    errors: number
    seconds: number
    serverCpuUs?: number
    firstError?: string
  }
  if (res.errors > 0 || res.ok === 0)
    throw new Error(`${url}: ${res.errors} errors, ${res.ok} ok: ${res.firstError}`)
  return { rate: res.ok / res.seconds, cpuUs: res.serverCpuUs }
}

/** One measurement by a fresh load-client process: requests/s. */
async function measure(url: string, body: string, ms = durationMs): Promise<number> {
  const r = await runLoadClient(url, body, {
    connections: concurrency,
    warmupMs,
    durationMs: ms,
    pipeline,
  })
  return r.rate
}

export function startGanache(port: number, key: Uint8Array, chainId: bigint): ChildProcess {
  const require = createRequire(import.meta.url)
  const pkgPath = require.resolve('ganache/package.json')
  const pkg = JSON.parse(readFileSync(pkgPath, 'utf8')) as { bin: Record<string, string> }
  const cli = join(dirname(pkgPath), pkg.bin.ganache!)
  const child = spawn(
    process.execPath,
    [
      cli,
      '--server.host',
      '127.0.0.1',
      '--server.port',
      String(port),
      '--chain.chainId',
      String(chainId),
      '--wallet.accounts',
      `${bytesToHex(key)},${hex(10n ** 24n)}`,
      '--miner.instamine',
      'eager',
      '--logging.quiet',
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  )
  process.once('exit', () => child.kill('SIGKILL'))
  return child
}

export async function runRpcBench(): Promise<void> {
  const net = new Cluster('rpcbench')
  let ganache: ChildProcess | undefined
  try {
    log(`ethwire: devchain ${padBlocks} empty blocks`)
    const genesisFile = await net.devchain('ew', padBlocks, 600_000)
    const chainId = chainIdOf(readFileSync(genesisFile, 'utf8'))
    const key = devKeyOf(net.dir('ew'))
    const sender = bytesToHex(privateKeyToAddress(key))
    const args = ['--dev', '--dev.period', '0', '--verbosity', '1']
    let ew: EthwireProcess = await net.start('ew', { args })

    const gPort = await freePort()
    ganache = startGanache(gPort, key, chainId)
    const g = new RpcClient(`http://127.0.0.1:${gPort}`)
    await waitFor('ganache JSON-RPC', () => g.call<string>('web3_clientVersion', [], 1_000), {
      timeoutMs: 60_000,
    })
    const gVersion = await g.call<string>('web3_clientVersion')
    log(`ganache (${gVersion}): evm_mine ${padBlocks} blocks`)
    await g.call('evm_mine', [{ blocks: padBlocks }], 600_000)

    const eS: Server = { name: 'ethwire', rpc: ew.rpc, nonce: 0n, contract: '' }
    const gS: Server = { name: 'ganache', rpc: g, nonce: 0n, contract: '' }
    await setupChain(eS, key, chainId)
    await setupChain(gS, key, chainId)

    // the ethwire datadir copied for a scan-only node; both restarted on their own datadirs
    await ew.stop()
    cpSync(net.dir('ew'), net.dir('ew-scan'), { recursive: true })
    ew = await net.start('ew', { args })
    eS.rpc = ew.rpc
    const scan = await net.start('ew-scan', { args: [...args, '--history.logs.disable'] })
    const eHead = await ew.rpc.blockNumber()
    const gHead = await g.blockNumber()
    if (eHead !== gHead) log(`warning: heads differ (ethwire ${eHead}, ganache ${gHead})`)
    const from = Math.max(0, eHead - rangeBlocks + 1)
    // the index follows heads in the background: wait until it covers the range's sections
    const wantSections = Math.max(0, Math.floor((eHead + 1 - 256) / 4096))
    await waitFor(
      `ethwire bloom index (${wantSections} sections)`,
      () =>
        new RegExp(`Bloom index updated.*sections\\D+${wantSections}\\b`).test(ew.log()) ||
        ew.log().includes(`sections=${wantSections}`),
      { timeoutMs: 5_000 },
    ).catch(() =>
      log('note: no "Bloom index updated" line seen; sections were stored before the restart'),
    )

    const bodyOf = (method: string, params: unknown[]) =>
      JSON.stringify({ jsonrpc: '2.0', id: 1, method, params })
    const methods: { name: string; body: (s: Server) => string }[] = [
      { name: 'eth_blockNumber', body: () => bodyOf('eth_blockNumber', []) },
      { name: 'eth_getBalance', body: () => bodyOf('eth_getBalance', [sender, 'latest']) },
      {
        name: 'eth_call',
        body: (s) => bodyOf('eth_call', [{ to: s.contract, data: '0x' }, 'latest']),
      },
      {
        name: `eth_getLogs (${rangeBlocks} blocks)`,
        body: (s) =>
          bodyOf('eth_getLogs', [
            {
              fromBlock: hex(from),
              toBlock: hex(eHead),
              address: s.contract,
              topics: [topic0, `0x${word(7)}`],
            },
          ]),
      },
    ]
    // the same answers from both (sanity)
    for (const m of methods) {
      const a = JSON.parse(m.body(eS))
      const b = JSON.parse(m.body(gS))
      const ra = await ew.rpc.call<unknown>(a.method, a.params, 30_000)
      const rb = await g.call<unknown>(b.method, b.params, 30_000)
      const short = (r: unknown) => (Array.isArray(r) ? `${r.length} logs` : String(r))
      log(`${m.name}: ethwire ${short(ra)}, ganache ${short(rb)}`)
    }

    const eUrl = ew.rpc.url
    const gUrl = g.url
    const res = new Map<string, { e: number[]; g: number[] }>()
    const scanRates: number[] = []
    const logsName = methods[3]!.name
    const ms = (name: string) => (name === logsName ? logsDurationMs : durationMs)
    // one uncounted pass per server and method (both processes just started: JIT, caches)
    for (const m of methods) {
      await measure(eUrl, m.body(eS), 1_000).catch(() => 0) // a slow method may finish none in 1 s
      await measure(gUrl, m.body(gS), 1_000).catch(() => 0)
    }
    for (let round = 0; round < rounds; round++) {
      for (const m of methods) {
        const r = res.get(m.name) ?? { e: [], g: [] }
        res.set(m.name, r)
        const order = round % 2 === 0 ? (['e', 'g'] as const) : (['g', 'e'] as const)
        for (const who of order) {
          const rate =
            who === 'e'
              ? await measure(eUrl, m.body(eS), ms(m.name))
              : await measure(gUrl, m.body(gS), ms(m.name))
          r[who].push(rate)
          log(
            `round ${round + 1} ${m.name} ${who === 'e' ? 'ethwire' : 'ganache'}: ${fmt(rate)} req/s`,
          )
        }
        if (m.name === logsName) {
          const rate = await measure(scan.rpc.url, m.body(eS), logsDurationMs)
          scanRates.push(rate)
          log(`round ${round + 1} ${m.name} ethwire unindexed: ${fmt(rate)} req/s`)
        }
      }
    }

    // tx → receipt, sequential, servers alternating in blocks of 10
    const lat = { e: [] as number[], g: [] as number[] }
    const to = (s: Server) => hexToBytes(s.contract)
    for (let i = 0; i < latencyTxs; i += 10) {
      for (const [s, arr] of [
        [eS, lat.e],
        [gS, lat.g],
      ] as const) {
        for (let j = 0; j < 10 && i + j < latencyTxs; j++) {
          const raw = signTx(key, {
            chainId,
            nonce: s.nonce++,
            to: to(s),
            data: `0x${word(1000 + i + j)}`,
            gas: 60_000n,
          })
          arr.push((await sendAndWait(s.rpc, raw)).ms)
        }
      }
    }

    const rows = methods.map((m) => {
      const r = res.get(m.name)!
      const e = median(r.e)
      const gg = median(r.g)
      return [m.name, fmt(e), fmt(gg), `${fmt(e / gg, 2)}×`]
    })
    table(
      `JSON-RPC over HTTP keep-alive, ${concurrency} connections × ${pipeline} in flight, median of ${rounds} rounds × ${durationMs / 1000} s (eth_getLogs ${logsDurationMs / 1000} s) (ethwire --dev --dev.period 0 vs ${gVersion})`,
      ['method', 'ethwire req/s', 'ganache req/s', 'ratio'],
      rows,
    )
    const idx = median(res.get(logsName)!.e)
    const sc = median(scanRates)
    table(
      `eth_getLogs over blocks ${from}..${eHead} (address + 2 topics), ethwire with the bloom index vs --history.logs.disable`,
      ['ethwire', 'indexed req/s', 'scan req/s', 'ratio'],
      [
        [
          `${wantSections} sections + ${eHead + 1 - wantSections * 4096}-block tail`,
          fmt(idx),
          fmt(sc),
          `${fmt(idx / sc, 1)}×`,
        ],
      ],
    )
    table(
      `eth_sendRawTransaction → receipt (receipt polled every 1 ms), ${latencyTxs} sequential transactions each`,
      ['server', 'p50 ms', 'p99 ms'],
      [
        ['ethwire', fmt(percentile(lat.e, 50), 1), fmt(percentile(lat.e, 99), 1)],
        ['ganache', fmt(percentile(lat.g, 50), 1), fmt(percentile(lat.g, 99), 1)],
      ],
    )
  } catch (err) {
    net.fail()
    throw err
  } finally {
    ganache?.kill('SIGINT')
    await net.stopAll()
  }
}
