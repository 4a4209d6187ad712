#!/usr/bin/env node
// A local devnet on loopback: one mining `--dev` node and late joiners that catch up over libp2p.
// A live line per node shows head, peers, blocks/s, its pool size and the transactions mined into
// the blocks it has; with `--txs N` a sender puts N transfers a second into the miner's pool. Ctrl-C stops every node cleanly (SIGINT,
// the node's own shutdown), then each database is reopened with `ethwire export` to show it is
// consistent.
// Options: see `usage` below (`node scripts/devnet.mjs --help`).
import { spawn } from 'node:child_process'
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import { createServer } from 'node:net'
import { join, resolve } from 'node:path'

const usage = `usage: node scripts/devnet.mjs [--nodes 3] [--join-every 8] [--period 1] [--prefill 1]
                              [--dir .devnet] [--duration 0] [--txs 2]
  --nodes       number of nodes, the miner included (default 3, at least 2)
  --join-every  seconds between joiners (default 8)
  --period      dev block period in seconds; 0 = a block whenever transactions arrive (default 1)
  --prefill     blocks sealed into the miner's datadir before it starts (default 1, at least 1)
  --dir         where datadirs and logs go (default .devnet); wiped first, so it must be empty,
                missing, or a directory an earlier devnet run made
  --duration    stop by itself after this many seconds (0: run until Ctrl-C)
  --txs         transfers per second sent to the miner with eth_sendRawTransaction, signed by the
                dev account (default 2; 0: none)`

const known = new Set(['nodes', 'join-every', 'period', 'prefill', 'dir', 'duration', 'txs'])
const given = new Map()
{
  const argv = process.argv.slice(2)
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    if (a === '--help' || a === '-h') {
      console.log(usage)
      process.exit(0)
    }
    const name = a.startsWith('--') ? a.slice(2) : undefined
    if (name === undefined || !known.has(name) || i + 1 >= argv.length) {
      console.error(
        `devnet: ${name !== undefined && known.has(name) ? `${a} needs a value` : `unknown argument ${a}`}\n${usage}`,
      )
      process.exit(2)
    }
    given.set(name, argv[++i])
  }
}
const num = (name, def, min, integer = false) => {
  const raw = given.get(name)
  const v = raw === undefined ? def : Number(raw)
  if (!Number.isFinite(v) || v < min || (integer && !Number.isInteger(v))) {
    const what = integer ? 'an integer' : 'a number'
    console.error(`devnet: --${name} must be ${what} ≥ ${min}, got ${raw}\n${usage}`)
    process.exit(2)
  }
  return v
}
const nodeCount = num('nodes', 3, 2, true)
const joinEverySec = num('join-every', 8, 0)
const period = num('period', 1, 0, true)
const txsPerSecond = num('txs', 2, 0)
const prefill = num('prefill', 1, 1, true)
const durationSec = num('duration', 0, 0)
const root = resolve(given.get('dir') ?? '.devnet')
const cli = resolve(import.meta.dirname, '../packages/node/bin/ethwire.mjs')
const interactive = process.stdout.isTTY === true

// The data directory is wiped at start: refuse anything that is not ours to wipe.
const marker = join(root, '.ethwire-devnet')
// Directories from before the marker existed hold only what a devnet run writes.
const devnetEntry = /^(\.ethwire-devnet|genesis\.json|node\d+(\.log|\.export\.rlp)?)$/
const ours = () => existsSync(marker) || readdirSync(root).every((f) => devnetEntry.test(f))
if (existsSync(root) && readdirSync(root).length > 0 && !ours()) {
  console.error(
    `devnet: ${root} is not empty and was not made by an earlier devnet run; pick another --dir`,
  )
  process.exit(2)
}
rmSync(root, { recursive: true, force: true })
mkdirSync(root, { recursive: true })
writeFileSync(marker, 'made by scripts/devnet.mjs; wiped at its next start\n')

const nodes = []
let stopping = false
let rendered = 0

function freePort() {
  return new Promise((res, rej) => {
    const srv = createServer()
    srv.once('error', rej)
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address()
      srv.close(() => res(port))
    })
  })
}

// Nodes run in their own process group: a terminal Ctrl-C reaches only this script, which then
// sends each node exactly one SIGINT (a second one would make the CLI force its exit).
function run(argv, logFile) {
  const child = spawn(process.execPath, [cli, ...argv], {
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  })
  const chunks = []
  child.stdout.on('data', (d) => chunks.push(d))
  child.stderr.on('data', (d) => chunks.push(d))
  child.on('exit', () => writeFileSync(logFile, Buffer.concat(chunks)))
  return child
}

function runToEnd(argv, timeoutMs = 120_000) {
  return new Promise((res, rej) => {
    const child = spawn(process.execPath, [cli, ...argv], { stdio: ['ignore', 'pipe', 'pipe'] })
    const out = []
    const err = []
    child.stdout.on('data', (d) => out.push(d))
    child.stderr.on('data', (d) => err.push(d))
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.on('exit', (code) => {
      clearTimeout(timer)
      if (code === 0) res(Buffer.concat(out).toString())
      else
        rej(
          new Error(
            `ethwire ${argv.join(' ')} exited ${code}: ${Buffer.concat(err).toString().slice(-2000)}`,
          ),
        )
    })
  })
}

async function rpc(port, method, params = []) {
  const res = await fetch(`http://127.0.0.1:${port}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
    signal: AbortSignal.timeout(2000),
  })
  const body = await res.json()
  if (body.error) throw new Error(body.error.message)
  return body.result
}

const genesisFile = join(root, 'genesis.json')

async function startNode(i, bootnodes) {
  const dir = join(root, `node${i}`)
  const httpPort = await freePort()
  const argv = [
    '--datadir',
    dir,
    '--port',
    '0',
    // RLPx too (any port; `enode` in admin_nodeInfo), for clients that dial enode URLs
    '--rlpx.port',
    '0',
    '--http',
    '--http.addr',
    '127.0.0.1',
    '--http.port',
    String(httpPort),
  ]
  if (i === 0) {
    argv.push('--dev', '--dev.period', String(period))
  } else {
    await runToEnd(['init', genesisFile, '--datadir', dir])
    argv.push('--bootnodes', bootnodes.join(','), '--syncinterval', '2000', '--minsyncpeers', '1')
  }
  const child = run(argv, join(root, `node${i}.log`))
  const node = {
    i,
    dir,
    httpPort,
    child,
    head: 0,
    peers: 0,
    rate: 0,
    last: undefined,
    status: 'starting',
    addrs: [],
    pool: 0,
    queued: 0,
    mined: 0,
    counted: 0,
  }
  child.on('exit', (code, signal) => {
    node.status = `exited (${code ?? signal})`
  })
  nodes.push(node)
  for (let t = 0; t < 150 && !stopping && child.exitCode === null; t++) {
    try {
      const info = await rpc(httpPort, 'admin_nodeInfo')
      node.addrs = (info.listenAddrs ?? []).filter((a) => a.startsWith('/ip4/127.0.0.1/'))
      node.status = 'running'
      return node
    } catch {
      await new Promise((r) => setTimeout(r, 200))
    }
  }
  if (stopping) return node
  throw new Error(`node${i} did not start; see ${join(root, `node${i}.log`)}`)
}

function lines() {
  const top = Math.max(1, ...nodes.map((n) => n.head))
  return nodes.map((n) => {
    const bar = '█'.repeat(Math.min(30, Math.round((n.head / top) * 30))).padEnd(30, '░')
    const txs = `pool ${String(n.pool).padStart(5)}${n.queued ? `+${n.queued}q` : ''}  mined ${String(n.mined).padStart(6)} txs`
    return `node${n.i} ${n.i === 0 ? '(miner)' : '       '} ${bar} head ${String(n.head).padStart(6)}  peers ${n.peers}  ${n.rate.toFixed(1).padStart(7)} blocks/s  ${txs}  ${n.status}`
  })
}

function senderLine() {
  if (!sender) return []
  const s = sender.stats
  return [
    `sender  ${txsPerSecond} tx/s wanted: sent ${s.sent} (${s.rate.toFixed(1)}/s), rejected ${s.rejected}${s.lastError ? ` (last: ${s.lastError})` : ''}`,
  ]
}

function render() {
  const ls = [...lines(), ...senderLine()]
  if (interactive) {
    const up = rendered > 0 ? `\x1b[${rendered}A\x1b[J` : ''
    process.stdout.write(`${up}ethwire devnet — ${root} (Ctrl-C to stop)\n${ls.join('\n')}\n`)
    rendered = ls.length + 1
  } else if (++rendered % 5 === 1) {
    // Not a terminal: a block of lines every 5 s.
    const t = new Date().toISOString().slice(11, 19)
    process.stdout.write(`${ls.map((l) => `${t} ${l}`).join('\n')}\n`)
  }
}

async function poll() {
  await Promise.all(
    nodes.map(async (n) => {
      if (n.status !== 'running') return
      try {
        const head = Number(BigInt(await rpc(n.httpPort, 'eth_blockNumber')))
        const peers = Number(BigInt(await rpc(n.httpPort, 'net_peerCount')))
        const pool = await rpc(n.httpPort, 'txpool_status')
        n.pool = Number(BigInt(pool.pending))
        n.queued = Number(BigInt(pool.queued))
        // transactions in the blocks this node has, counted once per block (at most 200 a poll)
        for (let b = n.counted + 1; b <= head && b <= n.counted + 200; b++) {
          const c = await rpc(n.httpPort, 'eth_getBlockTransactionCountByNumber', [
            `0x${b.toString(16)}`,
          ])
          if (c === null) break
          n.mined += Number(BigInt(c))
          n.counted = b
        }
        const now = Date.now()
        if (n.last) n.rate = ((head - n.last.head) * 1000) / Math.max(1, now - n.last.t)
        n.last = { head, t: now }
        n.head = head
        n.peers = peers
      } catch {}
    }),
  )
}

// The transfer sender: a child running from TypeScript sources (tsx, the @ethwire/source
// condition, resolved from packages/node) that signs with @ethwire/crypto and reports a JSON line
// a second.
const senderCode = `
import { readFileSync } from 'node:fs'
import { privateKeyToAddress, sign } from '@ethwire/crypto'
import { bytesToHex, Transaction } from '@ethwire/rlp-wire'
const [url, keyFile, perSecond, chainId] = process.argv.slice(1)
const key = Uint8Array.from(Buffer.from(readFileSync(keyFile, 'utf8').trim(), 'hex'))
const call = async (method, params) => {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }), signal: AbortSignal.timeout(5000) })
  return res.json()
}
const from = bytesToHex(privateKeyToAddress(key))
let nonce = null
const stats = { sent: 0, rejected: 0, lastError: '' }
let owed = 0
const to = Uint8Array.from({ length: 20 }, (_, i) => 0xd0 + (i % 16))
setInterval(() => process.stdout.write(JSON.stringify(stats) + '\\n'), 1000)
for (;;) {
  const started = Date.now()
  try {
    if (nonce === null) {
      nonce = BigInt((await call('eth_getTransactionCount', [from, 'pending'])).result)
    }
    owed += Number(perSecond) / 10
    const batch = []
    for (; owed >= 1; owed--) {
      const data = { type: 2, chainId: BigInt(chainId), nonce, maxPriorityFeePerGas: 1000000000n,
        maxFeePerGas: 100000000000n, gasLimit: 21000n, to, value: 1n, data: new Uint8Array(0),
        accessList: [], v: 0n, r: 0n, s: 0n }
      const sig = sign(Transaction.fromData(data).sigHash(), key)
      const tx = Transaction.fromData({ ...data, v: BigInt(sig.recovery), r: sig.r, s: sig.s })
      batch.push({ jsonrpc: '2.0', id: Number(nonce), method: 'eth_sendRawTransaction', params: [bytesToHex(tx.encode())] })
      nonce++
    }
    if (batch.length) {
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify(batch), signal: AbortSignal.timeout(5000) })
      const out = await res.json()
      for (const r of Array.isArray(out) ? out : [out]) {
        if (r.error) { stats.rejected++; stats.lastError = r.error.message; nonce = null } else stats.sent++
      }
    }
  } catch (err) { stats.lastError = String(err?.message ?? err); nonce = null }
  await new Promise((r) => setTimeout(r, Math.max(0, 100 - (Date.now() - started))))
}
`
let sender

async function startSender(miner) {
  const keyFile = join(root, 'node0', 'dev-signer-key')
  const genesis = JSON.parse(readFileSync(genesisFile, 'utf8'))
  const chainId = String(genesis.config?.chainId ?? 1337)
  const child = spawn(
    process.execPath,
    [
      '--conditions=@ethwire/source',
      '--import',
      'tsx',
      '--input-type=module',
      '-e',
      senderCode,
      `http://127.0.0.1:${miner.httpPort}`,
      keyFile,
      String(txsPerSecond),
      chainId,
    ],
    {
      cwd: resolve(import.meta.dirname, '../packages/node'),
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    },
  )
  const s = { child, stats: { sent: 0, rejected: 0, lastError: '', rate: 0 }, lastSent: 0 }
  let buf = ''
  child.stdout.on('data', (d) => {
    buf += d.toString()
    for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
      const line = buf.slice(0, i)
      buf = buf.slice(i + 1)
      try {
        const st = JSON.parse(line)
        s.stats = { ...st, rate: st.sent - s.lastSent }
        s.lastSent = st.sent
      } catch {}
    }
  })
  const err = []
  child.stderr.on('data', (d) => err.push(d))
  child.on('exit', (code) => {
    if (!stopping)
      s.stats.lastError = `sender exited (${code}): ${Buffer.concat(err).toString().slice(-300)}`
  })
  sender = s
}

let timer
async function stopAll() {
  if (stopping) return
  stopping = true
  clearInterval(timer)
  if (sender && sender.child.exitCode === null) sender.child.kill('SIGKILL')
  process.stdout.write('\nstopping nodes (SIGINT)…\n')
  await Promise.all(
    nodes.map(
      (n) =>
        new Promise((res) => {
          if (n.child.exitCode !== null || n.child.signalCode !== null) return res()
          n.child.once('exit', res)
          n.child.kill('SIGINT')
          setTimeout(() => n.child.kill('SIGKILL'), 15_000).unref()
        }),
    ),
  )
  // Reopen every database: a clean shutdown leaves a chain that exports from genesis to its head.
  let bad = 0
  for (const n of nodes) {
    const file = join(root, `node${n.i}.export.rlp`)
    try {
      await runToEnd(['export', file, '--datadir', n.dir])
      process.stdout.write(
        `node${n.i}: ${n.status}, last head seen ${n.head} (${n.mined} txs mined); database reopened, exported ${statSync(file).size} bytes; log ${join(root, `node${n.i}.log`)}\n`,
      )
    } catch (err) {
      bad++
      process.stdout.write(`node${n.i}: ${n.status}; database check FAILED: ${err.message}\n`)
    }
  }
  process.exit(bad === 0 ? 0 : 1)
}
process.on('SIGINT', stopAll)
process.on('SIGTERM', stopAll)
// Never leave a detached node behind, whatever ends this script.
process.on('exit', () => {
  if (sender && sender.child.exitCode === null) sender.child.kill('SIGKILL')
  for (const n of nodes)
    if (n.child.exitCode === null && n.child.signalCode === null) n.child.kill('SIGKILL')
})

try {
  // The miner's datadir first (dev genesis and signer, optional prefilled blocks), then the genesis file the joiners init from.
  await runToEnd(['devchain', String(prefill), '--datadir', join(root, 'node0')], 600_000)
  writeFileSync(
    genesisFile,
    extractJson(await runToEnd(['dumpgenesis', '--datadir', join(root, 'node0')])),
  )
  const miner = await startNode(0, [])
  if (txsPerSecond > 0) await startSender(miner)
  timer = setInterval(() => void poll().then(() => !stopping && render()), 1000)
  if (durationSec > 0) setTimeout(() => void stopAll(), durationSec * 1000)
  for (let i = 1; i < nodeCount && !stopping; i++) {
    await new Promise((r) => setTimeout(r, joinEverySec * 1000))
    if (!stopping) await startNode(i, miner.addrs)
  }
} catch (err) {
  process.stderr.write(`devnet: ${err.message}\n`)
  await stopAll()
}

function extractJson(text) {
  const s = text.indexOf('{')
  const e = text.lastIndexOf('}')
  if (s === -1 || e < s) throw new Error(`dumpgenesis printed no JSON: ${text.slice(0, 300)}`)
  return text.slice(s, e + 1)
}
