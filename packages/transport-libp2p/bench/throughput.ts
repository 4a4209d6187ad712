/**
 * Loopback throughput of three stacks, in one run and one process:
 *  - ethwire framing: EthConnection over libp2p (TCP + noise + yamux), our frames;
 *  - raw libp2p: a bare libp2p stream on the same kind of connection (same nodes), unframed bytes;
 *  - plain TCP: node:net sockets, unframed bytes.
 * For each: round trips/s with 100-byte messages (1 and 16 in flight; the far side echoes) and MB/s
 * for 1 MiB messages one way (the far side acknowledges the last one).
 *
 * Run: pnpm --filter @ethwire/transport-libp2p bench
 * (BENCH_SECONDS=2 per figure and BENCH_ROUNDS=3 interleaved rounds by default; medians printed)
 */
import { once } from 'node:events'
import { createServer, connect as netConnect, type Socket } from 'node:net'
import { loadavg } from 'node:os'
import type { Stream } from '@libp2p/interface'
import { createLibp2pTransport } from '../src/index.js'
import type { EthConnection } from '../src/wire.js'

const seconds = Number(process.env.BENCH_SECONDS ?? 2)
const smallBytes = 100
const bigBytes = 1024 * 1024
const MB = 1e6

interface Figures {
  rt1: number
  rt16: number
  mbps: number
}

// ---- a byte pump shared by the raw libp2p and TCP cases ----

/** Something that gives us bytes and takes bytes (raw stream or socket). */
interface ByteLink {
  write(b: Uint8Array): Promise<void>
  onBytes(fn: (n: number) => void): void
}

function roundTrips(link: ByteLink, inFlight: number): Promise<number> {
  return new Promise((resolve) => {
    const msg = new Uint8Array(smallBytes)
    let received = 0
    let done = 0
    let sent = 0
    const start = performance.now()
    const deadline = start + seconds * 1000
    let stopping = false
    link.onBytes((n) => {
      received += n
      while (received >= smallBytes) {
        received -= smallBytes
        done++
        if (!stopping && performance.now() < deadline) {
          sent++
          void link.write(msg)
        } else stopping = true
        if (stopping && done === sent) resolve(done / ((performance.now() - start) / 1000))
      }
    })
    for (let i = 0; i < inFlight; i++) {
      sent++
      void link.write(msg)
    }
  })
}

async function bulk(link: ByteLink, ackLink: ByteLink): Promise<number> {
  const msg = new Uint8Array(bigBytes)
  const acked = new Promise<void>((resolve) => ackLink.onBytes(() => resolve()))
  const start = performance.now()
  let n = 0
  while (performance.now() - start < seconds * 1000) {
    await link.write(msg)
    n++
  }
  markBulkEnd(n)
  await acked
  return (n * bigBytes) / MB / ((performance.now() - start) / 1000)
}

// The receiving side of `bulk` needs to know how many bytes to wait for before acking.
let bulkTarget = Number.POSITIVE_INFINITY
let bulkReceived = 0
let bulkAck: (() => void) | undefined
function markBulkEnd(n: number): void {
  bulkTarget = n * bigBytes
  if (bulkReceived >= bulkTarget) bulkAck?.()
}
function bulkSink(onDone: () => void): (n: number) => void {
  bulkTarget = Number.POSITIVE_INFINITY
  bulkReceived = 0
  bulkAck = onDone
  return (n) => {
    bulkReceived += n
    if (bulkReceived >= bulkTarget) onDone()
  }
}

// ---- raw libp2p stream ----

function streamLink(stream: Stream): ByteLink {
  return {
    async write(b) {
      if (b.length === 0) return
      stream.send(b)
      // libp2p's 'drain' also fires for socket drains while the yamux window is still shut, so
      // `send() === false` + `onDrain()` alone lets the stream's buffer grow without bound; wait
      // on the buffer size instead (the same rule EthConnection.writeMsg uses).
      while (stream.writeBufferLength > 1024 * 1024) {
        await new Promise<void>((resolve) => {
          const go = (): void => {
            stream.removeEventListener('drain', go)
            stream.removeEventListener('idle', go)
            resolve()
          }
          stream.addEventListener('drain', go)
          stream.addEventListener('idle', go)
        })
      }
    },
    onBytes(fn) {
      stream.addEventListener('message', (evt) => fn(evt.data.byteLength))
    },
  }
}

function socketLink(sock: Socket): ByteLink {
  return {
    async write(b) {
      if (b.length === 0) return
      if (!sock.write(b)) await once(sock, 'drain')
    },
    onBytes(fn) {
      sock.on('data', (d: Buffer) => fn(d.length))
    },
  }
}

async function benchRawLibp2p(): Promise<Figures> {
  const a = createLibp2pTransport({}, { versions: [68] })
  const b = createLibp2pTransport({}, { versions: [68] })
  await Promise.all([a.start(), b.start()])
  const echo = '/bench/echo/1.0.0'
  const sink = '/bench/sink/1.0.0'
  await b.node.handle(echo, (s) => {
    s.addEventListener('message', (evt) => {
      s.send(evt.data.subarray())
    })
  })
  await b.node.handle(sink, (s) => {
    // The stream reaches us with the first data (lazy protocol select), so count from here.
    const count = bulkSink(() => s.send(Uint8Array.of(1)))
    s.addEventListener('message', (evt) => count(evt.data.byteLength))
  })
  const addr = b.node.getMultiaddrs()[0]
  if (addr === undefined) throw new Error('no address')
  const rt1Stream = await a.node.dialProtocol(addr, echo)
  const rt1 = await roundTrips(streamLink(rt1Stream), 1)
  const rt16Stream = await a.node.dialProtocol(addr, echo)
  const rt16 = await roundTrips(streamLink(rt16Stream), 16)
  const bulkStream = await a.node.dialProtocol(addr, sink)
  const mbps = await bulk(streamLink(bulkStream), streamLink(bulkStream))
  await Promise.all([a.stop(), b.stop()])
  return { rt1, rt16, mbps }
}

// ---- plain TCP ----

async function benchTcp(): Promise<Figures> {
  const sockets: Socket[] = []
  const server = createServer((s) => {
    sockets.push(s)
    s.setNoDelay(true)
    s.once('data', (first: Buffer) => {
      // first byte picks the mode: 0 = echo, 1 = sink
      const mode = first[0]
      const rest = first.subarray(1)
      if (mode === 0) {
        if (rest.length > 0) s.write(rest)
        s.on('data', (d: Buffer) => s.write(d))
      } else {
        const count = bulkSink(() => s.write(Uint8Array.of(1)))
        if (rest.length > 0) count(rest.length)
        s.on('data', (d: Buffer) => count(d.length))
      }
    })
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const port = (server.address() as { port: number }).port
  const open = async (mode: number): Promise<Socket> => {
    const s = netConnect(port, '127.0.0.1')
    await once(s, 'connect')
    s.setNoDelay(true)
    s.write(Uint8Array.of(mode))
    sockets.push(s)
    return s
  }
  const rt1 = await roundTrips(socketLink(await open(0)), 1)
  const rt16 = await roundTrips(socketLink(await open(0)), 16)
  const bulkSock = await open(1)
  const mbps = await bulk(socketLink(bulkSock), socketLink(bulkSock))
  for (const s of sockets) s.destroy()
  server.close()
  return { rt1, rt16, mbps }
}

// ---- ethwire framing ----

async function benchEthwire(): Promise<Figures> {
  const a = createLibp2pTransport({}, { versions: [68] })
  const b = createLibp2pTransport({}, { versions: [68] })
  await Promise.all([a.start(), b.start()])
  const addr = b.multiaddrs()[0] as string
  const open = async (): Promise<[EthConnection, EthConnection]> => {
    const accepted = b.accept()
    const out = await a.dial(addr)
    return [out, await accepted]
  }
  const echo = async (conn: EthConnection): Promise<void> => {
    try {
      for (;;) {
        const m = await conn.readMsg()
        await conn.writeMsg(m.code, m.payload)
      }
    } catch {
      // closed
    }
  }
  const msgRoundTrips = async (conn: EthConnection, inFlight: number): Promise<number> => {
    const msg = new Uint8Array(smallBytes)
    const start = performance.now()
    const deadline = start + seconds * 1000
    let done = 0
    for (let i = 0; i < inFlight; i++) void conn.writeMsg(0x03, msg)
    let outstanding = inFlight
    while (outstanding > 0) {
      await conn.readMsg()
      outstanding--
      done++
      if (performance.now() < deadline) {
        outstanding++
        void conn.writeMsg(0x03, msg)
      }
    }
    return done / ((performance.now() - start) / 1000)
  }
  // Three libp2p connections would be dialled to one peer; one connection, streams in turn instead.
  const [out1, in1] = await open()
  void echo(in1)
  const rt1 = await msgRoundTrips(out1, 1)
  const rt16 = await msgRoundTrips(out1, 16)
  await out1.close()
  const [out2, in2] = await open()
  const big = new Uint8Array(bigBytes)
  const start = performance.now()
  let n = 0
  const sinkDone = (async () => {
    let got = 0
    for (;;) {
      const m = await in2.readMsg()
      if (m.code === 0x01) break
      got++
    }
    await in2.writeMsg(0x02, new Uint8Array(0))
    return got
  })()
  while (performance.now() - start < seconds * 1000) {
    await out2.writeMsg(0x06, big)
    n++
  }
  await out2.writeMsg(0x01, new Uint8Array(0))
  await out2.readMsg()
  const mbps = (n * bigBytes) / MB / ((performance.now() - start) / 1000)
  if ((await sinkDone) !== n) throw new Error('lost messages')
  await Promise.all([a.stop(), b.stop()])
  return { rt1, rt16, mbps }
}

function row(name: string, f: Figures, base?: Figures): string {
  const pct = (x: number, y: number | undefined) =>
    y === undefined ? '' : ` (${((x / y) * 100).toFixed(0)}%)`
  return `| ${name.padEnd(26)} | ${f.rt1.toFixed(0).padStart(6)}${pct(f.rt1, base?.rt1).padEnd(7)} | ${f.rt16
    .toFixed(0)
    .padStart(
      6,
    )}${pct(f.rt16, base?.rt16).padEnd(7)} | ${f.mbps.toFixed(0).padStart(5)}${pct(f.mbps, base?.mbps).padEnd(7)} |`
}

const rounds = Number(process.env.BENCH_ROUNDS ?? 3)
const load = loadavg()
  .map((x) => x.toFixed(2))
  .join(' ')
console.log(
  `node ${process.version}, ${rounds} interleaved rounds of ${seconds} s per figure (median shown), load average before: ${load}`,
)
const results: Record<'tcp' | 'raw' | 'ours', Figures[]> = { tcp: [], raw: [], ours: [] }
for (let r = 0; r < rounds; r++) {
  // Interleaved so that load from other processes on the machine hits all three alike.
  results.raw.push(await benchRawLibp2p())
  results.ours.push(await benchEthwire())
  results.tcp.push(await benchTcp())
}
const median = (fs: Figures[]): Figures => {
  const mid = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number
  return {
    rt1: mid(fs.map((f) => f.rt1)),
    rt16: mid(fs.map((f) => f.rt16)),
    mbps: mid(fs.map((f) => f.mbps)),
  }
}
const tcp = median(results.tcp)
const raw = median(results.raw)
const ours = median(results.ours)
console.log('')
console.log(
  '| stack                      | round trips/s, 1 in flight | round trips/s, 16 in flight | MB/s, 1 MiB messages |',
)
console.log('| -------------------------- | ------------- | ------------- | ------------ |')
console.log(row('plain TCP (node:net)', tcp))
console.log(row('raw libp2p stream', raw))
console.log(row('ethwire framing (vs raw)', ours, raw))
console.log('')
console.log(
  `load average after: ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}`,
)
