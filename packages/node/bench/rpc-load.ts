/**
 * The rpc bench's load client, run as its own process so it does not share a server's event loop:
 * `node rpc-load.ts <url> <concurrency> <warmupMs> <durationMs>` reads one JSON-RPC body from stdin,
 * keeps `concurrency` requests in flight over keep-alive connections, counts answers (after the
 * warm-up) for the duration and prints `{"ok":n,"errors":n,"seconds":s}`.
 */
import { Agent, request } from 'node:http'

const [url, conc, warm, dur] = process.argv.slice(2)
const concurrency = Number(conc ?? 16)
const warmupMs = Number(warm ?? 1000)
const durationMs = Number(dur ?? 3000)
const chunks: Buffer[] = []
for await (const c of process.stdin) chunks.push(c as Buffer)
const body = Buffer.concat(chunks)
const target = new URL(url!)
const agent = new Agent({ keepAlive: true, maxSockets: concurrency })

let ok = 0
let errors = 0
let counting = false
let stop = false
let firstError: string | undefined

function once(): Promise<void> {
  return new Promise((resolve) => {
    const req = request(
      {
        agent,
        host: target.hostname,
        port: target.port,
        path: '/',
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': body.length },
      },
      (res) => {
        const parts: Buffer[] = []
        res.on('data', (d: Buffer) => parts.push(d))
        res.on('end', () => {
          const text = Buffer.concat(parts).toString('utf8')
          const good = res.statusCode === 200 && !text.includes('"error"')
          if (counting) good ? ok++ : errors++
          if (!good) firstError ??= text.slice(0, 200)
          resolve()
        })
      },
    )
    req.on('error', (e) => {
      if (counting) errors++
      firstError ??= e.message
      resolve()
    })
    req.end(body)
  })
}

async function loop(): Promise<void> {
  while (!stop) await once()
}

const loops = Array.from({ length: concurrency }, loop)
await new Promise((r) => setTimeout(r, warmupMs))
counting = true
const t0 = performance.now()
await new Promise((r) => setTimeout(r, durationMs))
counting = false
const seconds = (performance.now() - t0) / 1000
stop = true
await Promise.all(loops)
agent.destroy()
process.stdout.write(`${JSON.stringify({ ok, errors, seconds, firstError })}\n`)
