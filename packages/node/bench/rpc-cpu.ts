/**
 * Requests/s and server CPU per request of the HTTP layer: `node --conditions=@ethwire/source
 * --import tsx bench/rpc-cpu.ts` (from packages/node). Servers, each its own process on a fresh
 * loopback port:
 * - `ethwire`: this checkout's `ethwire --dev --dev.period 0` (genesis only: the chain does not
 *   matter for these methods),
 * - `ethwire-old`: the same from another checkout, `RPC_CPU_OLD_ENTRY` (its `src/cli.ts`, e.g. a
 *   worktree of main before this server; skipped when unset),
 * - `ganache`: ganache 7.9 (`--miner.instamine eager`), as in `bench/rpc.ts`,
 * - `floor-http` / `floor-net`: `bench/rpc-floor.ts`, a constant answer on `node:http` / by hand
 *   on `node:net`.
 * One load client (`bench/rpc-load.ts`, `RPC_BENCH_CONCURRENCY` × `RPC_BENCH_PIPELINE`) per
 * measurement with `RPC_LOAD_PID`: requests/s and the server's utime + stime per answer over the
 * counted window (`/proc/<pid>/stat`, 10 ms ticks: 3 s at ~100 % CPU is ±0.3 %). `RPC_CPU_ROUNDS`
 * (3) rounds, servers in turn, order reversed every other round; medians printed. `RPC_CPU_METHODS`
 * (`eth_blockNumber,eth_getBalance`) are sent to the JSON-RPC servers; the floors answer a constant.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { join } from 'node:path'
import { privateKeyToAddress } from '@ethwire/crypto'
import { bytesToHex } from '@ethwire/rlp-wire'
import { Cluster, devKeyOf, freePort, RpcClient, waitFor } from '../test/e2e/harness.js'
import { fmt, log, median, table } from './common.js'
import { runLoadClient, startGanache } from './rpc.js'

const concurrency = Number(process.env.RPC_BENCH_CONCURRENCY ?? 16)
const pipeline = Number(process.env.RPC_BENCH_PIPELINE ?? 1)
const rounds = Number(process.env.RPC_CPU_ROUNDS ?? 3)
const warmupMs = Number(process.env.RPC_BENCH_WARMUP_MS ?? 1_000)
const durationMs = Number(process.env.RPC_BENCH_DURATION_MS ?? 3_000)
const methodNames = (process.env.RPC_CPU_METHODS ?? 'eth_blockNumber,eth_getBalance').split(',')
const oldEntry = process.env.RPC_CPU_OLD_ENTRY
const floorPath = join(import.meta.dirname, 'rpc-floor.ts')

interface Measured {
  rate: number
  cpuUs: number
}

async function measure(url: string, pid: number, body: string): Promise<Measured> {
  const r = await runLoadClient(url, body, {
    connections: concurrency,
    warmupMs,
    durationMs,
    pipeline,
    pid,
  })
  if (r.cpuUs === undefined) throw new Error('the load client did not report the server CPU')
  return { rate: r.rate, cpuUs: r.cpuUs }
}

interface Target {
  name: string
  url: string
  pid: number
  /** Sends JSON-RPC methods (the floors answer a constant to any body). */
  rpc: boolean
}

const children: ChildProcess[] = []
process.once('exit', () => {
  for (const c of children) c.kill('SIGKILL')
})

async function startFloor(mode: 'http' | 'net'): Promise<Target> {
  const port = await freePort()
  const child = spawn(process.execPath, ['--import', 'tsx', floorPath, String(port), mode], {
    stdio: ['ignore', 'ignore', 'inherit'],
  })
  children.push(child)
  const url = `http://127.0.0.1:${port}`
  const rpc = new RpcClient(url)
  await waitFor(`floor-${mode}`, () => rpc.call('x', [], 1_000), { timeoutMs: 30_000 })
  return { name: `floor-${mode}`, url, pid: child.pid!, rpc: false }
}

const net = new Cluster('rpccpu')
const old = oldEntry ? new Cluster('rpccpu-old', { entry: oldEntry }) : undefined
try {
  const args = ['--dev', '--dev.period', '0', '--verbosity', '1']
  const ew = await net.start('ew', { args })
  const sender = bytesToHex(privateKeyToAddress(devKeyOf(net.dir('ew'))))
  const targets: Target[] = [{ name: 'ethwire', url: ew.rpc.url, pid: ew.child.pid!, rpc: true }]
  if (old) {
    const ewOld = await old.start('ew', { args })
    targets.push({ name: 'ethwire-old', url: ewOld.rpc.url, pid: ewOld.child.pid!, rpc: true })
  }
  const gPort = await freePort()
  const ganache = startGanache(gPort, devKeyOf(net.dir('ew')), 1337n)
  children.push(ganache)
  const g = new RpcClient(`http://127.0.0.1:${gPort}`)
  await waitFor('ganache JSON-RPC', () => g.call<string>('web3_clientVersion', [], 1_000), {
    timeoutMs: 60_000,
  })
  targets.push({ name: 'ganache', url: g.url, pid: ganache.pid!, rpc: true })
  targets.push(await startFloor('http'), await startFloor('net'))

  const bodyOf = (method: string) =>
    JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method,
      params: method === 'eth_getBalance' ? [sender, 'latest'] : [],
    })
  const jobs: { target: Target; method: string }[] = []
  for (const m of methodNames)
    for (const t of targets) if (t.rpc || m === methodNames[0]) jobs.push({ target: t, method: m })
  const label = (j: { target: Target; method: string }) =>
    j.target.rpc ? `${j.method} ${j.target.name}` : `${j.target.name} (constant)`
  // one uncounted pass each (JIT, caches)
  for (const j of jobs) await measure(j.target.url, j.target.pid, bodyOf(j.method))
  const res = new Map<string, Measured[]>()
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? jobs : [...jobs].reverse()
    for (const j of order) {
      const m = await measure(j.target.url, j.target.pid, bodyOf(j.method))
      const k = label(j)
      res.set(k, [...(res.get(k) ?? []), m])
      log(`round ${round + 1} ${k}: ${fmt(m.rate)} req/s, ${fmt(m.cpuUs, 1)} µs CPU/request`)
    }
  }
  table(
    `HTTP keep-alive, ${concurrency} connections × ${pipeline} in flight, median of ${rounds} rounds × ${durationMs / 1000} s; server CPU = utime + stime per answer`,
    ['server / method', 'req/s', 'server CPU µs/req', 'req/s per round'],
    [...res].map(([k, ms]) => [
      k,
      fmt(median(ms.map((m) => m.rate))),
      fmt(median(ms.map((m) => m.cpuUs)), 1),
      ms.map((m) => fmt(m.rate)).join(', '),
    ]),
  )
} catch (err) {
  net.fail()
  old?.fail()
  throw err
} finally {
  for (const c of children) c.kill('SIGINT')
  await net.stopAll()
  await old?.stopAll()
}
