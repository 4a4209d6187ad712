/**
 * Load test: one ethwire node (CLI child, `--dev`, custom genesis funding the senders), `--peers`
 * chainless peers (half RLPx, half libp2p, composed from @ethwire/transport-rlpx /
 * transport-libp2p + @ethwire/handshake's chainlessHandshake + @ethwire/peerset) that
 * take transactions, `--rate` valid pre-signed transfers per second over JSON-RPC for `--seconds`,
 * plus `--invalid` invalid ones (bad signature, spent nonce, oversized), announcements of unknown
 * hashes and header requests from the peers. Measures: the node stays up, JSON-RPC p99 latency of
 * eth_blockNumber polled during the run, every valid tx reaching every peer, peak RSS and RSS after.
 *
 *   pnpm --filter @ethwire/node load-test -- [--peers 100] [--rate 1000] [--seconds 60]
 *     [--invalid 1000] [--senders 200] [--drain-seconds 60] [--peer-procs 4]
 *     [--cpu-prof <dir>] [--log <file>] [--verbosity 2]
 *
 * The peers run in `--peer-procs` child processes of this script; this process only sends the
 * transactions and times JSON-RPC (its own event-loop delay is printed, so a stalled client is
 * not mistaken for a slow node).
 */
import { fork } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { privateKeyToAddress, randomPrivateKey } from '@ethwire/crypto'
import { chainlessHandshake } from '@ethwire/handshake'
import type { EthConnection } from '@ethwire/interface'
import { Peer } from '@ethwire/peerset'
import { bytesToHex, DisconnectReason, decodeMessage, Transaction } from '@ethwire/rlp-wire'
import { createLibp2pTransport } from '@ethwire/transport-libp2p'
import { createRlpxTransport } from '@ethwire/transport-rlpx'
import { answerEmpty } from '../../../examples/lib/chainless-peer.js'
import { Cluster, chainIdOf, type SignedTx, signTransfer, sleep } from '../test/e2e/harness.js'

function flag(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? Number(process.argv[i + 1]) : def
}
const nPeers = flag('peers', 100)
const rate = flag('rate', 1000)
const seconds = flag('seconds', 60)
const nInvalid = flag('invalid', 1000)
const nSenders = flag('senders', 200)
const drainSeconds = flag('drain-seconds', 60)
/** Child processes the peers are spread over (round-robin), apart from the sender. */
const nProcs = flag('peer-procs', 4)
/** `--cpu-prof <dir>`: the node runs with `node --cpu-prof` and writes its profile there at exit. */
const cpuProfDir = (() => {
  const i = process.argv.indexOf('--cpu-prof')
  return i >= 0 ? process.argv[i + 1] : undefined
})()
/** `--log <file>`: a copy of the node's log, taken before the cluster directory is removed. */
const logCopy = (() => {
  const i = process.argv.indexOf('--log')
  return i >= 0 ? process.argv[i + 1] : undefined
})()
const verbosity = flag('verbosity', 2)
const p99LimitMs = 200
const rssLimitBytes = 1024 ** 3

const net = new Cluster('loadtest')
const log = (s: string) => console.log(`[load] ${s}`)

function rssOf(pid: number): { rss: number; hwm: number } {
  const s = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kb = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+) kB`).exec(s)?.[1] ?? 0) * 1024
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') }
}

interface LoadPeer {
  kind: 'rlpx' | 'libp2p'
  /** Hashes received as full transactions. */
  got: Set<string>
  /** Hashes announced to us (NewPooledTransactionHashes). */
  announced: Set<string>
  peer?: Peer
  closed?: string
  junk: { announced: number; headerReqs: number; headerErrors: number }
}

async function runPeer(lp: LoadPeer, conn: EthConnection, junk: boolean, stop: AbortSignal) {
  const { remote } = await chainlessHandshake({ conn })
  const peer = new Peer({ conn, status: remote })
  lp.peer = peer
  const take = (txs: readonly Transaction[]) => {
    for (const t of txs) lp.got.add(bytesToHex(t.hash))
  }
  if (junk) {
    // unknown hashes announced, and header requests, every 200 ms
    void (async () => {
      while (!stop.aborted && !lp.closed) {
        const hashes = Array.from({ length: 16 }, () => crypto.getRandomValues(new Uint8Array(32)))
        try {
          await peer.send({
            name: 'NewPooledTransactionHashes',
            hashes,
            types: hashes.map(() => 2),
            sizes: hashes.map(() => 110),
          })
          lp.junk.announced += hashes.length
          lp.junk.headerReqs++
          await peer
            .requestHeadersByNumber(
              { number: 0n, amount: 64 },
              { signal: AbortSignal.timeout(5_000) },
            )
            .catch(() => {
              lp.junk.headerErrors++
            })
        } catch {
          return
        }
        await sleep(200)
      }
    })()
  }
  for (;;) {
    const raw = await conn.readMsg()
    const msg = decodeMessage(conn.version, raw)
    switch (msg.name) {
      case 'Transactions':
        peer.observe(msg)
        take(msg.txs)
        break
      case 'NewPooledTransactionHashes': {
        peer.observe(msg)
        for (const h of msg.hashes) lp.announced.add(bytesToHex(h))
        const want = msg.hashes.filter((h) => !lp.got.has(bytesToHex(h)))
        for (let i = 0; i < want.length; i += 256)
          peer
            .requestPooledTransactions(want.slice(i, i + 256), {
              signal: AbortSignal.timeout(20_000),
            })
            .then(take, () => {})
        break
      }
      case 'PooledTransactions':
        if (peer.deliver(msg) === 'unsolicited') take(msg.txs)
        break
      default:
        if (peer.deliver(msg) !== 'not-a-response') break
        if (await answerEmpty(peer, msg)) break
        peer.observe(msg)
    }
  }
}

/** What a peer process reports about one of its peers. */
interface PeerReport {
  kind: 'rlpx' | 'libp2p'
  connected: boolean
  closed?: string
  /** Wanted hashes not reached (neither in full nor announced). */
  missing: number
  full: number
  announcedOnly: number
  junk: LoadPeer['junk']
}

type ToChild =
  | { type: 'connect'; indices: number[]; enode: string; maddr: string }
  | { type: 'want'; hashes: string[] }
  | { type: 'report' }
  | { type: 'stop' }
type FromChild =
  | { type: 'ready' }
  | { type: 'connected' }
  | { type: 'want' }
  | { type: 'report'; peers: PeerReport[] }
  | { type: 'stopped' }

/**
 * A peer process (`--peer-child`): runs its share of the peers and answers the parent over IPC.
 * The peers live apart from the sender and the latency poller so that decoding 100 peers'
 * transactions does not stall the process that times JSON-RPC.
 */
async function childMain(): Promise<void> {
  const peers: LoadPeer[] = []
  const closers: (() => Promise<void>)[] = []
  const stop = new AbortController()
  let want: string[] = []
  const reply = (m: FromChild) => process.send?.(m)
  const connectOne = async (i: number, enode: string, maddr: string) => {
    const kind = i % 2 === 0 ? 'rlpx' : 'libp2p'
    const lp: LoadPeer = {
      kind,
      got: new Set(),
      announced: new Set(),
      junk: { announced: 0, headerReqs: 0, headerErrors: 0 },
    }
    peers.push(lp)
    try {
      let conn: EthConnection
      if (kind === 'rlpx') {
        const t = createRlpxTransport({
          nodeKey: randomPrivateKey(),
          clientId: `load-${i}`,
          ethVersions: [68],
        })
        closers.push(() => t.close())
        conn = await t.dial(enode)
      } else {
        const t = createLibp2pTransport({}, { versions: [68] })
        await t.start()
        closers.push(() => t.stop())
        conn = await t.dial(maddr)
      }
      runPeer(lp, conn, i % 5 === 0, stop.signal).catch((e) => {
        lp.closed = String((e as Error).message ?? e)
      })
    } catch (e) {
      lp.closed = `dial: ${(e as Error).message}`
    }
  }
  process.on('message', async (m: ToChild) => {
    if (m.type === 'connect') {
      // dial in groups of 5 per process
      for (let k = 0; k < m.indices.length; k += 5)
        await Promise.all(m.indices.slice(k, k + 5).map((i) => connectOne(i, m.enode, m.maddr)))
      reply({ type: 'connected' })
    } else if (m.type === 'want') {
      want = m.hashes
      reply({ type: 'want' })
    } else if (m.type === 'report') {
      reply({
        type: 'report',
        peers: peers.map((lp) => {
          let missing = 0
          let full = 0
          let announcedOnly = 0
          for (const h of want) {
            if (lp.got.has(h)) full++
            else if (lp.announced.has(h)) announcedOnly++
            else missing++
          }
          return {
            kind: lp.kind,
            connected: lp.peer !== undefined && lp.closed === undefined,
            ...(lp.closed !== undefined ? { closed: lp.closed } : {}),
            missing,
            full,
            announcedOnly,
            junk: lp.junk,
          }
        }),
      })
    } else if (m.type === 'stop') {
      stop.abort()
      for (const x of peers)
        await x.peer?.disconnect(DisconnectReason.ClientQuitting).catch(() => {})
      await Promise.allSettled(closers.map((c) => c()))
      reply({ type: 'stopped' })
      setTimeout(() => process.exit(0), 100)
    }
  })
  process.on('disconnect', () => process.exit(0))
  reply({ type: 'ready' }) // messages sent before the listener above would be lost
}

/** A forked peer process and a request/answer helper over its IPC channel (bounded waits). */
function peerProcess() {
  const child = fork(import.meta.filename, ['--peer-child'], {
    execArgv: process.execArgv,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    serialization: 'advanced',
  })
  const waiting = new Map<string, (m: FromChild) => void>()
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('peer process: not ready in 120 s')), 120_000)
    waiting.set('ready', () => {
      clearTimeout(timer)
      resolve()
    })
  })
  child.on('message', (m: FromChild) => {
    const w = waiting.get(m.type)
    waiting.delete(m.type)
    w?.(m)
  })
  const ask = <T extends FromChild['type']>(
    m: ToChild,
    answer: T,
    timeoutMs: number,
  ): Promise<Extract<FromChild, { type: T }>> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`peer process: no ${answer} in ${timeoutMs} ms`)),
        timeoutMs,
      )
      waiting.set(answer, (x) => {
        clearTimeout(timer)
        resolve(x as Extract<FromChild, { type: T }>)
      })
      child.send(m)
    })
  return { child, ask, ready }
}

async function main(): Promise<void> {
  const t0 = Date.now()
  log(
    `peers ${nPeers} (half RLPx, half libp2p), ${rate} valid tx/s for ${seconds} s, ${nInvalid} invalid`,
  )
  // genesis: the dev genesis plus funded senders
  await net.exec(['devchain', '0', '--datadir', net.dir('base')])
  const g = JSON.parse(readFileSync(join(net.dir('base'), 'genesis.json'), 'utf8'))
  const keys = Array.from({ length: nSenders }, () => randomPrivateKey())
  for (const k of keys)
    g.alloc[bytesToHex(privateKeyToAddress(k))] = { balance: '0x3635c9adc5dea00000' }
  const genesisFile = net.dir('genesis.json')
  writeFileSync(genesisFile, JSON.stringify(g))
  const chainId = chainIdOf(JSON.stringify(g))
  await net.init(genesisFile, net.dir('node'))
  writeFileSync(
    join(net.dir('node'), 'dev-signer-key'),
    readFileSync(join(net.dir('base'), 'dev-signer-key')),
  )
  // pre-sign: round-robin over senders, in nonce order
  const total = rate * seconds
  const valid: SignedTx[] = []
  for (let i = 0; i < total; i++) {
    const tx = signTransfer(keys[i % nSenders]!, {
      chainId,
      nonce: BigInt(Math.floor(i / nSenders)),
    })
    const raw = tx.encode()
    valid.push({ raw: bytesToHex(raw), hash: bytesToHex(tx.hash), size: raw.length })
  }
  const invalid: string[] = []
  for (let i = 0; i < nInvalid; i++) {
    const k = keys[i % nSenders]!
    if (i % 3 === 0) {
      // bad signature: s = 0
      const tx = signTransfer(k, { chainId, nonce: 1_000_000n + BigInt(i) })
      invalid.push(bytesToHex(Transaction.fromData({ ...tx.toData(), s: 0n }).encode()))
    } else if (i % 3 === 1) {
      // spent nonce: re-signed nonce 0 with another value, sent after nonce 0 was taken
      invalid.push(
        bytesToHex(signTransfer(k, { chainId, nonce: 0n, value: 7n + BigInt(i) }).encode()),
      )
    } else {
      // oversized: 200 KiB of data
      invalid.push(
        bytesToHex(
          signTransfer(k, {
            chainId,
            nonce: 5_000_000n,
            data: new Uint8Array(200 * 1024),
          }).encode(),
        ),
      )
    }
  }
  log(
    `signed ${valid.length} valid + ${invalid.length} invalid in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
  )

  const node = await net.start('node', {
    ...(cpuProfDir
      ? {
          env: {
            NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import ${join(import.meta.dirname, 'cpu-prof-hook.mjs')}`,
            ETHWIRE_CPU_PROF_DIR: cpuProfDir,
          },
        }
      : {}),
    args: [
      '--dev',
      '--dev.period',
      '1',
      '--rlpx.port',
      '0',
      '--maxpeers',
      String(nPeers + 20),
      '--txpool.globalslots',
      String(total + 1000),
      '--txpool.accountslots',
      String(Math.ceil(total / nSenders) + 16),
      '--txpool.globalqueue',
      '4096',
      '--verbosity',
      String(verbosity),
    ],
  })
  const enode = await node.enode()
  const maddr = await node.multiaddr()
  // the peers run in `--peer-procs` child processes; this one only sends and times JSON-RPC
  const procs = Array.from({ length: Math.max(1, Math.min(nProcs, nPeers)) }, () => peerProcess())
  await Promise.all(procs.map((pp) => pp.ready))
  await Promise.all(
    procs.map((pp, k) =>
      pp.ask(
        {
          type: 'connect',
          indices: Array.from({ length: nPeers }, (_, i) => i).filter(
            (i) => i % procs.length === k,
          ),
          enode,
          maddr,
        },
        'connected',
        300_000,
      ),
    ),
  )
  await sleep(2_000)
  const report = async (): Promise<PeerReport[]> =>
    (await Promise.all(procs.map((pp) => pp.ask({ type: 'report' }, 'report', 60_000)))).flatMap(
      (r) => r.peers,
    )
  const connected = (await report()).filter((p) => p.connected).length
  log(
    `${connected}/${nPeers} peers connected in ${procs.length} processes (${((Date.now() - t0) / 1000).toFixed(1)} s)`,
  )

  // RPC latency poller and RSS sampler
  const lat: number[] = []
  let rpcErrors = 0
  // this process's own event-loop delay: a stalled client would show up as node latency
  const loopDelay = monitorEventLoopDelay({ resolution: 10 })
  loopDelay.enable()
  let sampling = true
  const rss: number[] = []
  const poller = (async () => {
    while (sampling) {
      const s = performance.now()
      try {
        await node.rpc.call('eth_blockNumber', [], 5_000)
        lat.push(performance.now() - s)
      } catch {
        rpcErrors++
      }
      await sleep(100)
    }
  })()
  const sampler = setInterval(() => {
    try {
      rss.push(rssOf(node.pid).rss)
    } catch {}
  }, 1_000)

  // send: `rate` per second in 10 ticks of rate/10, one JSON-RPC batch each
  const perTick = Math.max(1, Math.round(rate / 10))
  let sent = 0
  let rejectedValid = 0
  /** Refusals of valid transactions by message ('batch: …' when the whole HTTP batch failed). */
  const refusedBy = new Map<string, number>()
  const countRefused = (why: string, n = 1) => refusedBy.set(why, (refusedBy.get(why) ?? 0) + n)
  /** Refusals of the invalid ones by message (what the node said; the expected outcome). */
  const invalidRefusedBy = new Map<string, number>()
  const countInvalid = (why: string, n = 1) =>
    invalidRefusedBy.set(why, (invalidRefusedBy.get(why) ?? 0) + n)
  const reason = (m: string) => m.replace(/0x[0-9a-f]+|\d+/gi, 'N')
  /** An HTTP batch that failed as a whole: its message and its cause (fetch hides the socket error there). */
  const batchFailure = (err: unknown) => {
    const e = err as Error & { cause?: { code?: string; message?: string } }
    const cause = e.cause ? ` (cause: ${e.cause.code ?? e.cause.message ?? String(e.cause)})` : ''
    return `batch: ${e.message}${cause}`
  }
  const startSend = performance.now()
  let tick = 0
  const inflight: Promise<void>[] = []
  const sendBatch = async (raws: string[], expectOk: boolean) => {
    const res = await node.rpc.batch(
      raws.map((r) => ({ method: 'eth_sendRawTransaction', params: [r] })),
      60_000,
    )
    for (const r of res) {
      const e = 'error' in r && r.error
      if (expectOk && e) {
        rejectedValid++
        countRefused(reason(e.message))
      }
      if (!expectOk && e) countInvalid(reason(e.message))
      if (!expectOk && !e) invalidAccepted++
    }
  }
  let invalidAccepted = 0
  const firstRound: Promise<void>[] = []
  let gate: Promise<void> | undefined
  let gateOpen = false
  while (sent < valid.length) {
    const chunk = valid.slice(sent, sent + perTick).map((t) => t.raw)
    sent += chunk.length
    const batch = sendBatch(chunk, true).catch((err) => {
      rejectedValid += chunk.length
      countRefused(batchFailure(err), chunk.length)
    })
    inflight.push(batch)
    if (sent - chunk.length < nSenders) firstRound.push(batch)
    if (sent >= nSenders && !gate)
      gate = Promise.all(firstRound).then(() => {
        gateOpen = true
      })
    // the invalid ones spread over the run, once every sender's nonce 0 was answered (a
    // "spent nonce" one taken first would turn the valid one into a refused replacement)
    const inv = gateOpen ? invalid.splice(0, Math.ceil(nInvalid / (seconds * 10))) : []
    if (inv.length)
      inflight.push(
        sendBatch(inv, false).catch((err) => countInvalid(batchFailure(err), inv.length)),
      )
    tick++
    const due = startSend + tick * 100
    const wait = due - performance.now()
    if (wait > 0) await sleep(wait)
  }
  await gate
  // what is left of the invalid ones, in batches of the same size (one would pass the body limit)
  const invPerTick = Math.max(1, Math.ceil(nInvalid / (seconds * 10)))
  while (invalid.length) {
    const rest = invalid.splice(0, invPerTick)
    inflight.push(
      sendBatch(rest, false).catch((err) => countInvalid(batchFailure(err), rest.length)),
    )
  }
  await Promise.all(inflight)
  const sendSec = (performance.now() - startSend) / 1000
  log(
    `sent ${sent} valid in ${sendSec.toFixed(1)} s (${(sent / sendSec).toFixed(0)}/s achieved), ${rejectedValid} rejected ${[...refusedBy].map(([k, v]) => `${v}× ${k}`).join(' | ')}; invalid accepted: ${invalidAccepted}`,
  )

  // drain: wait until every open peer holds every accepted valid tx
  const want = valid.map((t) => t.hash)
  await Promise.all(procs.map((pp) => pp.ask({ type: 'want', hashes: want }, 'want', 60_000)))
  // a tx reached a peer when the peer got it in full or by announcement (a tx mined before the
  // peer's GetPooledTransactions arrives is no longer served: geth's behaviour too)
  const drainStart = Date.now()
  let reports = await report()
  while (
    reports.some((r) => r.connected && r.missing > 0) &&
    Date.now() - drainStart < drainSeconds * 1000
  ) {
    await sleep(2_000)
    reports = await report()
  }
  const drainMs = Date.now() - drainStart
  sampling = false
  await poller
  loopDelay.disable()
  const peakDuring = rssOf(node.pid).hwm
  const afterRun = rss.at(-1) ?? 0
  // RSS after the load (30 s settle; the pool empties as blocks are mined)
  await sleep(30_000)
  clearInterval(sampler)
  const rssAfter = rssOf(node.pid).rss
  const peakHwm = rssOf(node.pid).hwm
  lat.sort((a, b) => a - b)
  const p = (q: number) => lat[Math.min(lat.length - 1, Math.floor(q * lat.length))] ?? NaN
  const stillUp =
    node.running &&
    (await node.rpc.blockNumber().then(
      () => true,
      () => false,
    ))
  const head = await node.rpc.blockNumber().catch(() => -1)
  reports = await report()
  const livePeers = reports.filter((r) => r.connected)
  const complete = livePeers.filter((r) => r.missing === 0).length
  const completeFull = livePeers.filter((r) => r.full === want.length).length
  const byKind = (k: string) => {
    const ps = livePeers.filter((x) => x.kind === k)
    const avg = (f: (x: PeerReport) => number) =>
      ps.length ? ps.reduce((a, x) => a + f(x), 0) / ps.length : 0
    return `${k}: ${ps.filter((x) => x.missing === 0).length}/${ps.length} complete, avg ${avg((x) => x.full).toFixed(0)} full + ${avg((x) => x.announcedOnly).toFixed(0)} announced-only`
  }
  const junk = reports.reduce(
    (a, x) => ({
      announced: a.announced + x.junk.announced,
      headerReqs: a.headerReqs + x.junk.headerReqs,
      headerErrors: a.headerErrors + x.junk.headerErrors,
    }),
    { announced: 0, headerReqs: 0, headerErrors: 0 },
  )
  const closedBy = new Map<string, number>()
  for (const x of reports)
    if (x.closed !== undefined) {
      const k = `${x.kind}: ${x.closed.replace(/0x[0-9a-f]{8,}|\d{3,}/gi, 'N')}`
      closedBy.set(k, (closedBy.get(k) ?? 0) + 1)
    }
  const closedCount = reports.filter((x) => x.closed !== undefined).length
  const ok = {
    nodeUp: stillUp,
    p99: p(0.99) <= p99LimitMs,
    allTxsEverywhere: complete === nPeers && rejectedValid === 0,
    rss: peakHwm < rssLimitBytes,
    rssFallsBack: rssAfter < peakHwm,
  }
  console.log(`
load-test summary (${new Date().toISOString()})
  config: ${nPeers} peers (${reports.filter((x) => x.kind === 'rlpx').length} RLPx / ${reports.filter((x) => x.kind === 'libp2p').length} libp2p, in ${procs.length} processes), ${rate} tx/s × ${seconds} s target, ${nInvalid} invalid, ${nSenders} senders
  achieved send rate: ${(sent / sendSec).toFixed(0)} tx/s (${sent} in ${sendSec.toFixed(1)} s); valid rejected: ${rejectedValid}; invalid accepted: ${invalidAccepted}
  valid refused by reason: ${refusedBy.size ? [...refusedBy].map(([k, v]) => `${v}× ${k}`).join(' | ') : 'none'}
  invalid refused by reason: ${invalidRefusedBy.size ? [...invalidRefusedBy].map(([k, v]) => `${v}× ${k}`).join(' | ') : 'none'}
  junk from ${Math.ceil(nPeers / 5)} peers: ${junk.announced} unknown hashes announced, ${junk.headerReqs} header requests (${junk.headerErrors} failed)
  node up: ${stillUp}, head #${head}
  eth_blockNumber latency: n=${lat.length} p50 ${p(0.5).toFixed(1)} ms, p99 ${p(0.99).toFixed(1)} ms, max ${(lat.at(-1) ?? NaN).toFixed(1)} ms, errors ${rpcErrors}; this process's own event-loop delay p99 ${(loopDelay.percentile(99) / 1e6).toFixed(1)} ms, max ${(loopDelay.max / 1e6).toFixed(1)} ms
  delivery: ${complete}/${nPeers} peers reached by all ${want.length} valid txs (${completeFull} hold all in full; ${livePeers.length} still connected; drain ${(drainMs / 1000).toFixed(1)} s)
    ${byKind('rlpx')}; ${byKind('libp2p')}
  RSS: peak ${(peakHwm / 2 ** 20).toFixed(0)} MiB (${(peakDuring / 2 ** 20).toFixed(0)} MiB by the end of the drain), at end of load ${(afterRun / 2 ** 20).toFixed(0)} MiB, 30 s later ${(rssAfter / 2 ** 20).toFixed(0)} MiB
  closed peers: ${closedCount}${closedBy.size ? ` by reason: ${[...closedBy].map(([k, v]) => `${v}× ${k}`).join(' | ')}` : ''}
  checks: ${Object.entries(ok)
    .map(([k, v]) => `${k} ${v ? 'PASS' : 'FAIL'}`)
    .join(', ')}`)
  await Promise.allSettled(procs.map((pp) => pp.ask({ type: 'stop' }, 'stopped', 30_000)))
  for (const pp of procs) pp.child.kill()
  await net.stopAll()
  if (logCopy) writeFileSync(logCopy, node.log())
  process.exit(Object.values(ok).every(Boolean) ? 0 : 1)
}

if (process.argv.includes('--peer-child')) {
  void childMain()
} else {
  main().catch(async (e) => {
    console.error(e)
    await net.stopAll().catch(() => {})
    process.exit(2)
  })
}
