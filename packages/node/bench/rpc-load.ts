/**
 * The rpc bench's load client, run as its own process so it shares no event loop with a server:
 * `node rpc-load.ts <url> <connections> <warmupMs> <durationMs> [pipeline]` reads one JSON-RPC body
 * from stdin, opens `connections` keep-alive TCP connections and keeps `pipeline` requests in flight
 * on each (default 1: send the next request when the previous answer is complete), counts answers
 * (after the warm-up) for the duration and prints `{"ok":n,"errors":n,"seconds":s}`.
 * With `RPC_LOAD_COUNT=n` it stops after n counted answers instead (the duration is then a bound),
 * so the whole process can be timed from outside (`/usr/bin/time`) against two servers.
 * With `RPC_LOAD_PID=<server pid>` it also reads that process's CPU time (utime + stime of
 * `/proc/<pid>/stat`) at the start and end of the counted window and prints `serverCpuUs`, the
 * server's CPU microseconds per counted answer.
 *
 * It speaks HTTP/1.1 over `node:net` itself: the request is one buffer built once, written as is;
 * an answer is framed by its `Content-Length` (or a chunked body) and counted good when its status
 * is 200 and its body has no `"error"`. A `node:http` client costs several times more CPU per
 * request than the servers' trivial methods do, and on a 2-core machine that made the client the
 * ceiling; this one does not allocate per answer beyond slicing the received chunk.
 */
import { readFileSync } from 'node:fs'
import { connect, type Socket } from 'node:net'

const [url, conns, warm, dur, pipe] = process.argv.slice(2)
const connections = Number(conns ?? 16)
const warmupMs = Number(warm ?? 1000)
const durationMs = Number(dur ?? 3000)
const pipeline = Math.max(1, Number(pipe ?? 1))
const count = Number(process.env.RPC_LOAD_COUNT ?? 0)
const serverPid = process.env.RPC_LOAD_PID
/** utime + stime of the server process in clock ticks (100 per second on Linux). */
const serverTicks = (): number => {
  const stat = readFileSync(`/proc/${serverPid}/stat`, 'latin1')
  // the fields after the command name (which is in parentheses and may hold spaces)
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return Number(f[11]) + Number(f[12])
}
let reached: (() => void) | undefined
const chunks: Buffer[] = []
for await (const c of process.stdin) chunks.push(c as Buffer)
const body = Buffer.concat(chunks)
const target = new URL(url!)
const request = Buffer.concat([
  Buffer.from(
    `POST ${target.pathname || '/'} HTTP/1.1\r\nHost: ${target.host}\r\nConnection: keep-alive\r\n` +
      `Content-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`,
    'latin1',
  ),
  body,
])

let ok = 0
let errors = 0
let counting = false
let stop = false
let firstError: string | undefined

const CRLFCRLF = Buffer.from('\r\n\r\n')
const ERROR = Buffer.from('"error"')

function fail(msg: string): void {
  if (counting) errors++
  firstError ??= msg
}

/**
 * Parses as many whole answers as `buf` holds from `off`; returns the offset of the first byte not
 * consumed and the number of answers, or -1 for a framing error.
 */
function parse(buf: Buffer, off: number): { off: number; n: number } {
  let n = 0
  for (;;) {
    const he = buf.indexOf(CRLFCRLF, off)
    if (he === -1) return { off, n }
    const head = buf.toString('latin1', off, he)
    const status = Number(head.slice(9, 12))
    const lower = head.toLowerCase()
    const cl = lower.indexOf('\r\ncontent-length:')
    const bodyStart = he + 4
    if (cl !== -1) {
      const eol = lower.indexOf('\r\n', cl + 2)
      const len = Number(lower.slice(cl + 17, eol === -1 ? undefined : eol).trim())
      const bodyEnd = bodyStart + len
      if (bodyEnd > buf.length) return { off, n }
      if (status !== 200 || buf.subarray(bodyStart, bodyEnd).indexOf(ERROR) !== -1)
        fail(`${status} ${buf.toString('utf8', bodyStart, Math.min(bodyEnd, bodyStart + 200))}`)
      else if (counting && ++ok === count) reached?.()
      off = bodyEnd
    } else if (lower.includes('\r\ntransfer-encoding: chunked')) {
      // chunked: walk the chunk sizes until the 0-size chunk and its trailing CRLF
      let p = bodyStart
      const parts: Buffer[] = []
      for (;;) {
        const eol = buf.indexOf('\r\n', p)
        if (eol === -1) return { off, n }
        const size = Number.parseInt(buf.toString('latin1', p, eol), 16)
        if (Number.isNaN(size)) return { off: -1, n }
        if (size === 0) {
          if (eol + 4 > buf.length) return { off, n }
          p = eol + 4
          break
        }
        if (eol + 2 + size + 2 > buf.length) return { off, n }
        parts.push(buf.subarray(eol + 2, eol + 2 + size))
        p = eol + 2 + size + 2
      }
      const b = Buffer.concat(parts)
      if (status !== 200 || b.indexOf(ERROR) !== -1) fail(`${status} ${b.toString('utf8', 0, 200)}`)
      else if (counting && ++ok === count) reached?.()
      off = p
    } else return { off: -1, n }
    n++
  }
}

function runConnection(): Promise<void> {
  return new Promise((resolve) => {
    const sock: Socket = connect({ host: target.hostname, port: Number(target.port) })
    sock.setNoDelay(true)
    let pending: Buffer | undefined
    let inFlight = 0
    const send = () => {
      while (!stop && inFlight < pipeline) {
        inFlight++
        sock.write(request)
      }
      if (stop && inFlight === 0) sock.end()
    }
    sock.once('connect', send)
    sock.on('data', (d: Buffer) => {
      const buf = pending && pending.length > 0 ? Buffer.concat([pending, d]) : d
      const r = parse(buf, 0)
      if (r.off === -1) {
        fail(`unparsable answer: ${buf.toString('latin1', 0, 200)}`)
        sock.destroy()
        return
      }
      pending = r.off < buf.length ? buf.subarray(r.off) : undefined
      inFlight -= r.n
      if (r.n > 0) send()
    })
    sock.on('error', (e) => fail(e.message))
    sock.once('close', () => {
      if (!stop) fail('connection closed by the server')
      resolve()
    })
  })
}

const all = Array.from({ length: connections }, runConnection)
await new Promise((r) => setTimeout(r, warmupMs))
counting = true
const ticks0 = serverPid ? serverTicks() : 0
const t0 = performance.now()
await new Promise<void>((r) => {
  const t = setTimeout(r, durationMs)
  if (count > 0)
    reached = () => {
      clearTimeout(t)
      r()
    }
})
counting = false
const seconds = (performance.now() - t0) / 1000
const serverCpuUs = serverPid ? ((serverTicks() - ticks0) * 10_000) / ok : undefined
stop = true
// every connection ends once its answers in flight are in (bounded: a stuck server fails the run)
const bound = setTimeout(() => {
  fail('answers still in flight 30 s after the end')
  process.stdout.write(`${JSON.stringify({ ok, errors, seconds, serverCpuUs, firstError })}\n`)
  process.exit(0)
}, 30_000)
await Promise.all(all)
clearTimeout(bound)
process.stdout.write(`${JSON.stringify({ ok, errors, seconds, serverCpuUs, firstError })}\n`)
