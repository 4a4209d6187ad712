/**
 * Crash test: SIGKILLs the ethwire CLI at seeded random moments in four phases and checks what
 * survives each kill.
 *
 *   pnpm --filter @ethwire/node kill-loop -- --iterations 200 [--seed 1] [--minutes 15]
 *     [--phases import,sync,mining,journal] [--blocks 600] [--keep]
 *
 * Phases (picked at random per iteration, seeded):
 * - import:  `ethwire import` of a chain file (made by `devchain` + dev mining with transfers),
 *            killed mid-way; then the database must open, verify, hold the head's state, and a
 *            second import must end on the same head hash and state root as the source chain.
 * - sync:    a fresh node syncing from a second node (kept running) is killed mid-sync; then the
 *            same checks, and a restarted node must sync to the same head and state root.
 * - mining:  `--dev --dev.period 0` mining on one datadir kept across iterations while locally
 *            signed transfers arrive over JSON-RPC; killed at a random moment.
 * - journal: `--dev --dev.period 3600` (no blocks): local transactions go to the pool journal only;
 *            killed at a random moment while they are being sent.
 * After mining/journal kills every transaction acknowledged by eth_sendRawTransaction before the kill
 * must be mined or back in txpool_content after the restart.
 *
 * Each iteration has its own seed (`base seed + index`), printed with any failure; re-run one with
 * `--seed <that> --iterations 1 --phases <phase>`.
 */

import { type ChildProcess, spawn } from 'node:child_process'
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { privateKeyToAddress, randomPrivateKey } from '@ethwire/crypto'
import { seededRandom } from '@ethwire/interface/testing'
import { bytesToHex } from '@ethwire/rlp-wire'
import { openExecutingChain } from '../src/datadir.js'
import {
  Cluster,
  chainIdOf,
  cliArgv,
  devKeyOf,
  type EthwireProcess,
  repoRoot,
  signTransfer,
  sleep,
  waitFor,
} from '../test/e2e/harness.js'

type Phase = 'import' | 'sync' | 'mining' | 'journal'
const ALL: Phase[] = ['import', 'sync', 'mining', 'journal']

function flag(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 && process.argv[i + 1] !== undefined ? (process.argv[i + 1] as string) : def
}
const iterations = Number(flag('iterations', '200'))
const baseSeed = Number(flag('seed', String(Date.now() % 1_000_000)))
const minutes = Number(flag('minutes', 'Infinity'))
const phases = flag('phases', ALL.join(',')).split(',') as Phase[]
const chainBlocks = Number(flag('blocks', '600'))
const keep = process.argv.includes('--keep')
for (const p of phases) if (!ALL.includes(p)) throw new Error(`unknown phase ${p}`)

interface HeadInfo {
  number: bigint
  hash: string
  stateRoot: string
}

/** Opens a (stopped) datadir: verifyIntegrity, the head's state present; returns the head. */
async function checkDatadir(datadir: string): Promise<HeadInfo> {
  const { chain } = await openExecutingChain(datadir)
  try {
    await chain.verifyIntegrity()
    const h = chain.currentHeader()
    if (!(await chain.hasState(h.stateRoot)))
      throw new Error(`head #${h.number} has no state ${bytesToHex(h.stateRoot)}`)
    return { number: h.number, hash: bytesToHex(h.hash), stateRoot: bytesToHex(h.stateRoot) }
  } finally {
    await chain.close()
  }
}

const root = mkdtempSync(join(tmpdir(), 'ethwire-killloop-'))
const net = new Cluster('killloop', { root })

function spawnCliChild(args: string[]): ChildProcess {
  const child = spawn(process.execPath, cliArgv(args), {
    cwd: repoRoot,
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  child.stderr?.resume() // drained even when nobody listens, so the child never blocks on it
  return child
}
const exitOf = (c: ChildProcess) =>
  new Promise<void>((r) =>
    c.exitCode !== null || c.signalCode !== null ? r() : c.once('exit', () => r()),
  )

/** SIGKILL and wait for the exit. Returns whether it was still running. */
async function kill9(c: ChildProcess): Promise<boolean> {
  const alive = c.exitCode === null && c.signalCode === null
  if (alive) c.kill('SIGKILL')
  await exitOf(c)
  return alive
}

let devKey: Uint8Array
let chainId: bigint
let genesisFile: string
let chainFile: string
let expected: HeadInfo
let source: EthwireProcess
let sourceAddr: string
let importMs = 5_000
let syncMs = 10_000
let minerNode: EthwireProcess | undefined

async function setup(): Promise<void> {
  const t0 = Date.now()
  const template = net.dir('template')
  // empty blocks, then blocks with transfers so the state changes along the chain
  await net.exec(
    ['devchain', String(Math.max(0, chainBlocks - 40)), '--datadir', template],
    300_000,
  )
  const node = await net.start('template', { args: ['--dev', '--dev.period', '0'] })
  devKey = devKeyOf(template)
  genesisFile = await net.dumpGenesis(template)
  chainId = chainIdOf(readFileSync(genesisFile, 'utf8'))
  let nonce = 0n
  for (let b = 0; b < 40; b++) {
    const before = await node.rpc.blockNumber()
    for (let k = 0; k < 5; k++) {
      const tx = signTransfer(devKey, {
        chainId,
        nonce: nonce++,
        to: privateKeyToAddress(randomPrivateKey()),
        value: 1000n + BigInt(k),
      })
      await node.rpc.call('eth_sendRawTransaction', [bytesToHex(tx.encode())])
    }
    await waitFor('a block', async () => (await node.rpc.blockNumber()) > before)
    await waitFor('pool drained', async () => (await node.rpc.txpoolStatus()).pending === 0)
  }
  await node.stop()
  net.nodes.splice(net.nodes.indexOf(node), 1)
  chainFile = join(root, 'chain.rlp')
  await net.exec(['export', chainFile, '--datadir', template])
  expected = await checkDatadir(template)
  // one timed import to scale kill moments
  const d = net.dir('import-timing')
  await net.exec(['init', genesisFile, '--datadir', d])
  const ti = Date.now()
  await net.exec(['import', chainFile, '--datadir', d], 300_000)
  importMs = Date.now() - ti
  rmSync(d, { recursive: true, force: true })
  // the sync source serves the template chain
  cpSync(template, net.dir('source'), { recursive: true })
  source = await net.start('source', { args: ['--maxpeers', '10'] })
  sourceAddr = await source.multiaddr()
  const ds = net.dir('sync-timing')
  await net.exec(['init', genesisFile, '--datadir', ds])
  const syncer = await syncNode('sync-timing')
  const ts = Date.now()
  await waitFor(
    'timing sync',
    async () => BigInt(await syncer.rpc.blockNumber()) === expected.number,
    { timeoutMs: 120_000, intervalMs: 100 },
  )
  syncMs = Date.now() - ts
  await syncer.stop()
  net.nodes.splice(net.nodes.indexOf(syncer), 1)
  rmSync(ds, { recursive: true, force: true })
  console.log(
    `setup ${((Date.now() - t0) / 1000).toFixed(1)}s: chain #${expected.number} ${expected.hash} stateRoot ${expected.stateRoot}; import ${importMs} ms, sync ${syncMs} ms (after JSON-RPC is up)`,
  )
}

function syncNode(name: string): Promise<EthwireProcess> {
  return net.start(name, {
    args: ['--bootnodes', sourceAddr, '--minsyncpeers', '1', '--syncinterval', '1000'],
  })
}

/** Resolves when the child logs that its JSON-RPC server is up (bounded: 60 s). */
function rpcUp(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    let text = ''
    const timer = setTimeout(resolve, 60_000)
    child.stderr?.on('data', (b: Buffer) => {
      text += b.toString()
      if (/HTTP server started/.test(text)) {
        clearTimeout(timer)
        resolve()
      }
    })
  })
}

/** Spawns a node without waiting (so the kill may land during start-up too). */
function spawnNode(datadir: string, httpPort: number, args: string[]): ChildProcess {
  return spawnCliChild([
    '--datadir',
    datadir,
    '--http',
    '--http.addr',
    '127.0.0.1',
    '--http.port',
    String(httpPort),
    '--port',
    '0',
    ...args,
  ])
}

function assertSameHead(got: HeadInfo, what: string): void {
  if (
    got.number !== expected.number ||
    got.hash !== expected.hash ||
    got.stateRoot !== expected.stateRoot
  )
    throw new Error(
      `${what}: head #${got.number} ${got.hash} root ${got.stateRoot}, expected #${expected.number} ${expected.hash} root ${expected.stateRoot}`,
    )
}

async function phaseImport(r: () => number, it: number): Promise<string> {
  const d = net.dir(`import-${it}`)
  await net.exec(['init', genesisFile, '--datadir', d])
  const child = spawnCliChild([
    'import',
    chainFile,
    '--datadir',
    d,
    '--import.batch',
    String(1 + Math.floor(r() * 64)),
  ])
  const delay = Math.floor(r() * importMs)
  await Promise.race([sleep(delay), exitOf(child)])
  const killed = await kill9(child)
  const mid = await checkDatadir(d)
  await net.exec(['import', chainFile, '--datadir', d], 300_000)
  assertSameHead(await checkDatadir(d), 'after resumed import')
  rmSync(d, { recursive: true, force: true })
  return `kill@${delay}ms ${killed ? `head #${mid.number}` : 'finished first'}`
}

async function phaseSync(r: () => number, it: number): Promise<string> {
  const name = `sync-${it}`
  const d = net.dir(name)
  await net.exec(['init', genesisFile, '--datadir', d])
  const port = await (await import('../test/e2e/harness.js')).freePort()
  const child = spawnNode(d, port, [
    '--bootnodes',
    sourceAddr,
    '--minsyncpeers',
    '1',
    '--syncinterval',
    '1000',
  ])
  // the kill lands during start-up (1 in 5) or at a random moment of the sync itself
  const delay = Math.floor(r() * syncMs * 1.2)
  const duringStartup = r() < 0.2
  if (!duringStartup) await Promise.race([rpcUp(child), exitOf(child)])
  await Promise.race([sleep(delay), exitOf(child)])
  const killed = await kill9(child)
  const mid = await checkDatadir(d)
  const node = await syncNode(name)
  await waitFor(
    'resumed sync',
    async () => BigInt(await node.rpc.blockNumber()) === expected.number,
    { timeoutMs: 120_000, intervalMs: 100 },
  )
  await node.stop()
  net.nodes.splice(net.nodes.indexOf(node), 1)
  assertSameHead(await checkDatadir(d), 'after resumed sync')
  rmSync(d, { recursive: true, force: true })
  return `kill@${duringStartup ? '' : 'rpc+'}${delay}ms ${killed ? `head #${mid.number}` : 'exited first'}`
}

/** Every tx hash in txpool_content. */
function poolHashes(content: unknown): Set<string> {
  const out = new Set<string>()
  const walk = (v: unknown) => {
    if (!v || typeof v !== 'object') return
    const o = v as Record<string, unknown>
    if (typeof o.hash === 'string' && typeof o.nonce === 'string') out.add(o.hash)
    else for (const x of Object.values(o)) walk(x)
  }
  walk(content)
  return out
}

/** Runs a dev node on `d`, sends transfers until a seeded moment, SIGKILLs it, and checks the acked txs. */
async function killWhileSending(r: () => number, name: string, devArgs: string[]): Promise<string> {
  const d = net.dir(name)
  // start with the harness (waits for RPC), then send and kill
  const node = await net.start(name, { args: devArgs })
  net.nodes.splice(net.nodes.indexOf(node), 1)
  const from = bytesToHex(privateKeyToAddress(devKey))
  let nonce = BigInt(await node.rpc.call<string>('eth_getTransactionCount', [from, 'pending']))
  const acked: string[] = []
  const delay = Math.floor(r() * 3_000)
  let stop = false
  const sender = (async () => {
    while (!stop) {
      const tx = signTransfer(devKey, {
        chainId,
        nonce,
        to: privateKeyToAddress(randomPrivateKey()),
      })
      try {
        await node.rpc.call('eth_sendRawTransaction', [bytesToHex(tx.encode())], 2_000)
        acked.push(bytesToHex(tx.hash))
        nonce++
      } catch {
        return // the node died mid-call: this one was not acknowledged
      }
    }
  })()
  await sleep(delay)
  stop = true
  node.child.kill('SIGKILL')
  await node.exited
  await sender
  const mid = await checkDatadir(d)
  const again = await net.start(name, { args: devArgs })
  net.nodes.splice(net.nodes.indexOf(again), 1)
  try {
    const rpcHead = BigInt(await again.rpc.blockNumber())
    if (rpcHead < mid.number)
      throw new Error(
        `restarted node reports head ${rpcHead} below the database head ${mid.number}`,
      )
    const pooled = poolHashes(await again.rpc.call('txpool_content'))
    const lost: string[] = []
    for (const h of acked) {
      if (pooled.has(h)) continue
      const t = await again.rpc.call<{ blockNumber: string | null } | null>(
        'eth_getTransactionByHash',
        [h],
      )
      if (t?.blockNumber) continue
      lost.push(h)
    }
    if (lost.length)
      throw new Error(`${lost.length}/${acked.length} acknowledged local txs lost, e.g. ${lost[0]}`)
    return `kill@${delay}ms acked ${acked.length} head #${mid.number} pool ${pooled.size}`
  } finally {
    await again.stop()
  }
}

async function phaseMining(r: () => number): Promise<string> {
  if (!minerNode) {
    cpSync(net.dir('template'), net.dir('miner'), { recursive: true })
    minerNode = {} as EthwireProcess
  }
  return killWhileSending(r, 'miner', ['--dev', '--dev.period', '0'])
}

async function phaseJournal(r: () => number, it: number): Promise<string> {
  const name = `journal-${it}`
  cpSync(net.dir('template'), net.dir(name), { recursive: true })
  try {
    return await killWhileSending(r, name, ['--dev', '--dev.period', '3600'])
  } finally {
    rmSync(net.dir(name), { recursive: true, force: true })
  }
}

async function main(): Promise<void> {
  const started = Date.now()
  console.log(
    `kill-loop: seed ${baseSeed}, iterations ${iterations}, phases ${phases.join(',')}, dir ${root}`,
  )
  await setup()
  const stats = new Map<Phase, { runs: number; ok: number }>(
    phases.map((p) => [p, { runs: 0, ok: 0 }]),
  )
  const failures: string[] = []
  let done = 0
  for (let i = 0; i < iterations; i++) {
    if (Date.now() - started > minutes * 60_000) break
    const seed = baseSeed + i
    const r = seededRandom(seed)
    const phase = phases[Math.floor(r() * phases.length)] as Phase
    const s = stats.get(phase)!
    s.runs++
    const t0 = Date.now()
    try {
      const note =
        phase === 'import'
          ? await phaseImport(r, i)
          : phase === 'sync'
            ? await phaseSync(r, i)
            : phase === 'mining'
              ? await phaseMining(r)
              : await phaseJournal(r, i)
      s.ok++
      console.log(
        `#${i} seed ${seed} ${phase} ok (${((Date.now() - t0) / 1000).toFixed(1)}s) ${note}`,
      )
    } catch (e) {
      const msg = `#${i} seed ${seed} ${phase} FAILED: ${(e as Error).message.split('\n')[0]}`
      failures.push(msg)
      console.log(msg)
    }
    done++
  }
  const mins = ((Date.now() - started) / 60_000).toFixed(1)
  console.log(`\nkill-loop summary (seed ${baseSeed}, ${done} iterations in ${mins} min):`)
  for (const [p, s] of stats) console.log(`  ${p.padEnd(8)} ${s.runs} runs, ${s.ok} survived`)
  console.log(`  failures: ${failures.length}`)
  for (const f of failures) console.log(`    ${f}`)
  await net.stopAll()
  if (!keep) rmSync(root, { recursive: true, force: true })
  process.exit(failures.length ? 1 : 0)
}

main().catch(async (e) => {
  console.error(e)
  await net.stopAll().catch(() => {})
  process.exit(2)
})
