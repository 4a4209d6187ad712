// Crawls a discv4 network from bootnodes and prints every node found with its ENR fields.
// Each node is asked for its record (ENRRequest) and for the nodes near a few random targets
// (FindNode); every new node goes back into the queue, until the queue runs dry or time is up.
//
//   node --conditions=@ethwire/source --import tsx examples/crawler.ts \
//     --bootnodes enode://…@1.2.3.4:30303,enode://… [--duration 60] [--port 0] [--json]
//
// Without --bootnodes it crawls mainnet from go-ethereum's mainnet bootnodes.

import { lookup } from 'node:dns/promises'
import { isIP } from 'node:net'
import { pathToFileURL } from 'node:url'
import {
  createDiscv4,
  type DiscoveredNode,
  Enr,
  enodeUrl,
  makeNode,
  nodeFromEnr,
  parseEnode,
  randomPrivateKey,
} from '@ethwire/discv4'

/** One crawled node: the node (with its record when it gave one) and what it told us. */
export interface CrawledNode {
  readonly node: DiscoveredNode
  /** Nodes it returned to our FindNodes. */
  readonly neighbors: number
  /** Why asking it failed, if it did (timeouts are common). */
  readonly error?: string
}

export interface CrawlOptions {
  readonly bootnodes: readonly string[]
  /** Stop after this long even if the queue is not empty (default 60 s). */
  readonly durationMs?: number
  /** Nodes asked at once (default 8). */
  readonly concurrency?: number
  /** FindNode targets per node (default 3). */
  readonly targetsPerNode?: number
  /** Rounds over the nodes that answered, while a round still finds new nodes (default 3). */
  readonly rounds?: number
  /** Reply timeout of each request (default the package's 500 ms). */
  readonly responseTimeoutMs?: number
  /** Where our socket binds (default 0.0.0.0, port 0). */
  readonly listen?: { host?: string; port?: number }
  /** Called for each node once it was asked (again when a later round got its record). */
  readonly onNode?: (c: CrawledNode) => void
  readonly signal?: AbortSignal
}

/** Crawls from `bootnodes`; resolves with every node found, by id. */
export async function crawl(opts: CrawlOptions): Promise<Map<string, CrawledNode>> {
  const disc = createDiscv4(
    {},
    {
      privateKey: randomPrivateKey(),
      listen: { host: opts.listen?.host ?? '0.0.0.0', port: opts.listen?.port ?? 0 },
      ...(opts.responseTimeoutMs === undefined
        ? {}
        : { responseTimeoutMs: opts.responseTimeoutMs }),
    },
  )
  await disc.start()
  const seen = new Set<string>()
  const queue: DiscoveredNode[] = []
  const out = new Map<string, CrawledNode>()
  const enqueue = (n: DiscoveredNode) => {
    if (seen.has(n.idHex) || n.idHex === disc.localNode.idHex) return
    seen.add(n.idHex)
    queue.push(n)
  }
  for (const b of opts.bootnodes) enqueue(await bootnode(b))
  const deadline = Date.now() + (opts.durationMs ?? 60_000)
  const targets = opts.targetsPerNode ?? 3
  const ask = async (n: DiscoveredNode) => {
    let node = out.get(n.idHex)?.node ?? n
    const hadRecord = node.enr !== undefined
    let neighbors = 0
    let error: string | undefined
    if (node.enr === undefined) {
      // Twice: a datagram lost, or an answer late on a busy node, is common.
      for (let attempt = 0; attempt < 2 && node.enr === undefined; attempt++) {
        try {
          node = await disc.requestEnr(n, { signal: opts.signal })
          error = undefined
        } catch (err) {
          error = String((err as Error).message ?? err)
        }
      }
    }
    for (let i = 0; i < targets; i++) {
      try {
        const found = await disc.findNode(n, randomTarget(), { signal: opts.signal })
        neighbors += found.length
        for (const f of found) enqueue(f)
      } catch (err) {
        error ??= String((err as Error).message ?? err)
      }
    }
    const c: CrawledNode = { node, neighbors, ...(error === undefined ? {} : { error }) }
    const first = !out.has(n.idHex)
    out.set(n.idHex, c)
    if (first || (!hadRecord && node.enr !== undefined)) opts.onNode?.(c)
  }
  const inFlight = new Set<Promise<void>>()
  try {
    for (let round = 0; round < (opts.rounds ?? 3); round++) {
      const before = seen.size
      if (round > 0)
        queue.push(...[...out.values()].filter((c) => c.neighbors > 0).map((c) => c.node))
      while (Date.now() < deadline && opts.signal?.aborted !== true) {
        while (queue.length > 0 && inFlight.size < (opts.concurrency ?? 8)) {
          const p = ask(queue.shift()!).finally(() => inFlight.delete(p))
          inFlight.add(p)
        }
        if (inFlight.size === 0) break
        await Promise.race(inFlight)
      }
      await Promise.allSettled(inFlight)
      if (round > 0 && seen.size === before) break
    }
  } finally {
    await disc.stop()
  }
  return out
}

/** A bootnode from an `enr:` record or an `enode://` URL (a host name is resolved). */
async function bootnode(spec: string): Promise<DiscoveredNode> {
  if (spec.startsWith('enr:')) {
    const n = nodeFromEnr(Enr.fromText(spec))
    if (n === undefined) throw new Error(`record without an endpoint: ${spec}`)
    return n
  }
  const p = parseEnode(spec)
  const ip = isIP(p.host) !== 0 ? p.host : (await lookup(p.host)).address
  return makeNode({ publicKey: p.publicKey, ip, udpPort: p.udpPort, tcpPort: p.tcpPort })
}

function randomTarget(): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(64))
}

/** One line per node: its enode URL and its record's fields. */
export function formatCrawled(c: CrawledNode): string {
  const fields = c.node.enr?.describe() ?? {}
  const kv = Object.entries(fields)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ')
  const err = c.error === undefined ? '' : ` error=${JSON.stringify(c.error)}`
  return `${enodeUrl(c.node)} neighbors=${c.neighbors}${kv === '' ? ' (no record)' : ` ${kv}`}${err}`
}

/** go-ethereum's mainnet bootnodes (params/bootnodes.go). */
export const mainnetBootnodes = [
  'enode://d860a01f9722d78051619d1e2351aba3f43f943f6f00718d1b9baa4101932a1f5011f16bb2b1bb35db20d6fe28fa0bf09636d26a87d31de9ec6203eeedb1f666@18.138.108.67:30303',
  'enode://22a8232c3abc76a16ae9d6c3b164f98775fe226f0917b0ca871128a74a8e9630b458460865bab457221f1d448dd9791d24c4e5d88786180ac185df813a68d4de@3.209.45.79:30303',
  'enode://2b252ab6a1d0f971d9722cb839a42cb81db019ba44c08754628ab4a823487071b5695317c8ccd085219c3a03af063495b2f1da8d18218da2d6a82981b45e6ffc@65.108.70.101:30303',
  'enode://4aeb4ab6c14b23e2c4cfdce879c04b0748a20d8e9b59e25ded2a08143e265c6c25936e74cbc8e641e3312ca288673d91f2f93f8e277de3cfa444ecdaaf982052@157.90.35.166:30303',
]

async function main(): Promise<void> {
  const args = process.argv.slice(2)
  const arg = (name: string) => {
    const i = args.indexOf(`--${name}`)
    return i >= 0 ? args[i + 1] : undefined
  }
  const bootnodes = arg('bootnodes')?.split(',') ?? mainnetBootnodes
  for (const b of bootnodes) if (!b.startsWith('enr:')) parseEnode(b) // fail early on a typo
  const json = args.includes('--json')
  const found = await crawl({
    bootnodes,
    durationMs: Number(arg('duration') ?? 60) * 1000,
    listen: { port: Number(arg('port') ?? 0) },
    onNode: (c) =>
      console.log(
        json
          ? JSON.stringify({
              enode: enodeUrl(c.node),
              enr: c.node.enr?.toText(),
              ...c.node.enr?.describe(),
              error: c.error,
            })
          : formatCrawled(c),
      ),
  })
  const withRecord = [...found.values()].filter((c) => c.node.enr !== undefined).length
  console.error(`crawled ${found.size} nodes, ${withRecord} with a record`)
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main()
}
