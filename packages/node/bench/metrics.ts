/**
 * Cost of the metrics hot path, metrics on vs off:
 *
 *   node --conditions=@ethwire/source --import tsx bench/metrics.ts [calls]
 *
 * - `observeMessage` (the per-message hook), N calls over a mix of codes and sizes: metrics off
 *   (the no-op), on, and a prom-client child counter cached per code (what the slots replace);
 * - a connection's readMsg / writeMsg with and without `instrumentConnection` (a connection that
 *   answers at once, so the wrapper is all that differs);
 * - one scrape of a registry with every instrument in use.
 *
 * Prints the median of 5 runs per row, with the date, Node version, cores and load average.
 */
import { cpus, loadavg } from 'node:os'
import { encodeMessage } from '@ethwire/rlp-wire'
import { Counter, Registry } from 'prom-client'
import { attachNode } from '../src/metrics/attach.js'
import { instrumentConnection } from '../src/metrics/connection.js'
import { createMetrics } from '../src/metrics/registry.js'
import { instrumentRpcMethods } from '../src/metrics/rpc.js'
import { FakeChain, FakePool, FakeProtocolManager } from '../src/metrics/testing.js'
import type { MsgObserver } from '../src/metrics/types.js'
import { median, table } from './common.js'

const calls = Number(process.argv[2] ?? 10_000_000)
const runs = 5
const codes = [0x04, 0x06, 0x02, 0x08, 0x0a, 0x03, 0x05, 0x01]
const sizes = [540, 12_000, 180, 3_300, 64_000, 40, 90, 100]

/** ns per call of `fn` over `n` calls (one timed pass). */
function nsPerOp(n: number, fn: (i: number) => void): number {
  const t0 = process.hrtime.bigint()
  for (let i = 0; i < n; i++) fn(i)
  return Number(process.hrtime.bigint() - t0) / n
}

function bench(name: string, n: number, make: () => (i: number) => void): [string, number] {
  const fn = make()
  nsPerOp(Math.min(n, 1_000_000), fn) // warm up
  const samples: number[] = []
  for (let r = 0; r < runs; r++) samples.push(nsPerOp(n, fn))
  return [name, median(samples)]
}

async function benchAsync(
  name: string,
  n: number,
  fn: (i: number) => Promise<unknown>,
): Promise<[string, number]> {
  for (let i = 0; i < Math.min(n, 100_000); i++) await fn(i)
  const samples: number[] = []
  for (let r = 0; r < runs; r++) {
    const t0 = process.hrtime.bigint()
    for (let i = 0; i < n; i++) await fn(i)
    samples.push(Number(process.hrtime.bigint() - t0) / n)
  }
  return [name, median(samples)]
}

const hot = (observe: MsgObserver) => (i: number) =>
  observe(i & 1 ? 'in' : 'out', codes[i & 7] as number, sizes[i & 7] as number)

const rows: [string, number][] = []
rows.push(
  bench('observeMessage, metrics off', calls, () =>
    hot(createMetrics({ enabled: false }).observeMessage),
  ),
)
rows.push(
  bench('observeMessage, metrics on', calls, () =>
    hot(createMetrics({ processMetrics: false }).observeMessage),
  ),
)
rows.push(
  bench('prom-client children cached per code (for comparison)', calls, () => {
    const reg = new Registry()
    const msgs = new Counter({ name: 'm', help: 'm', labelNames: ['d', 'c'], registers: [reg] })
    const bytes = new Counter({ name: 'b', help: 'b', labelNames: ['d', 'c'], registers: [reg] })
    const children = ['in', 'out'].map((d) =>
      codes.map((c) => ({ m: msgs.labels(d, String(c)), b: bytes.labels(d, String(c)) })),
    )
    return (i) => {
      const ch = children[i & 1]?.[i & 7]
      ch?.m.inc()
      ch?.b.inc(sizes[i & 7] as number)
    }
  }),
)

// A connection that answers at once: the wrapper is the whole difference.
const connCalls = Math.max(1, Math.floor(calls / 10))
const msg = { code: 0x04, size: 540, payload: new Uint8Array(540), receivedAt: 0 }
const request = encodeMessage(68, {
  name: 'GetBlockHeaders',
  requestId: 1n,
  request: { origin: { number: 1n }, amount: 192n, skip: 0n, reverse: false },
})
const makeConn = () => ({
  version: 68,
  transport: 'bench',
  readMsg: () => Promise.resolve(msg),
  writeMsg: (_code: number, _payload: Uint8Array) => Promise.resolve(),
})
const raw = makeConn()
const wrapped = instrumentConnection(createMetrics({ processMetrics: false }), makeConn())
rows.push(await benchAsync('readMsg, bare connection', connCalls, () => raw.readMsg()))
rows.push(await benchAsync('readMsg, instrumentConnection', connCalls, () => wrapped.readMsg()))
rows.push(
  await benchAsync('writeMsg GetBlockHeaders, bare connection', connCalls, () =>
    raw.writeMsg(request.code, request.payload),
  ),
)
rows.push(
  await benchAsync('writeMsg GetBlockHeaders, instrumentConnection (tracked)', connCalls, () =>
    wrapped.writeMsg(request.code, request.payload),
  ),
)

// One scrape with every instrument in use.
const metrics = createMetrics()
const pm = new FakeProtocolManager()
pm.peers = Array.from({ length: 50 }, (_, i) => ({
  transport: i & 1 ? 'rlpx' : 'libp2p',
  version: 68,
}))
pm.pmStats = { txHashesAnnounced: 1000 }
const chain = new FakeChain()
const pool = new FakePool()
attachNode(metrics, { pm, chain, txPool: pool })
for (let c = 0; c <= 0x15; c++) {
  metrics.observeMessage('in', c, 100)
  metrics.observeMessage('out', c, 100)
}
for (const k of ['headers', 'bodies', 'receipts', 'node_data', 'pooled_txs'] as const)
  metrics.observeRequest(k, 0.1, true)
const rpc = instrumentRpcMethods(
  metrics,
  Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`m${i}`, () => i])),
)
for (const f of Object.values(rpc)) await f([])
let scrapeBytes = 0
const scrapeRow = await benchAsync(
  'one scrape (every instrument in use), per scrape',
  200,
  async () => {
    scrapeBytes = (await metrics.scrape()).length
  },
)

const ns = (v: number) => v.toFixed(1)
const off = rows[0]?.[1] ?? 0
const bare = (i: number) => rows[i % 2 === 0 ? i - 1 : i]?.[1] ?? 0
table(
  `metrics hot path: ${calls.toLocaleString('en')} observeMessage calls, ${connCalls.toLocaleString('en')} connection calls, median of ${runs}`,
  ['case', 'ns/op', 'added ns/op'],
  rows.map(([name, v], i) => [
    name,
    ns(v),
    i === 0 ? '' : i < 3 ? ns(v - off) : i % 2 === 0 ? ns(v - bare(i)) : '',
  ]),
)
table(
  'scrape',
  ['case', 'µs', 'bytes'],
  [[scrapeRow[0], (scrapeRow[1] / 1000).toFixed(0), scrapeBytes]],
)
const [l1, l5] = loadavg()
process.stdout.write(
  `${new Date().toISOString()}, Node ${process.version}, ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), load ${l1?.toFixed(2)} / ${l5?.toFixed(2)} (1 / 5 min)\n`,
)
