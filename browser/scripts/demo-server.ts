/**
 * What `pnpm browser-demo` runs, as a function the Chromium test calls too: a `--dev` ethwire
 * node on 127.0.0.1 with `blocks` empty blocks sealed first, listening for libp2p on TCP and on
 * WebSockets (`wsLibp2pPort`, the CLI's `--ws.libp2p`), and an HTTP server on 127.0.0.1 serving the
 * page, the node's genesis.json and nothing else. The page dials the node's own `/ws` address.
 */
import { readFileSync, rmSync } from 'node:fs'
import { mkdtemp } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  createNode,
  devchainCommand,
  type EthwireNode,
  type Logger,
  silentLogger,
} from '@ethwire/node'
import { libp2pTransportFor } from '@ethwire/transport-libp2p'
import { buildPage } from './page.js'

export interface DemoOptions {
  /** Listen host of the node and the HTTP server. Default 127.0.0.1. */
  host?: string
  /** HTTP port of the page; 0 = any free port. Default 0. */
  httpPort?: number
  /** libp2p WebSockets port of the node; 0 = any free port. Default 0. */
  wsPort?: number
  /** Empty blocks sealed before the node starts. Default 1200. */
  blocks?: number
  /** Seconds between dev blocks once running; 0 = only `node.sealBlock()`. Default 5. */
  periodSeconds?: number
  /** Data directory; default a fresh temporary one, removed by `stop()`. */
  datadir?: string
  /** The page's `last` option (blocks below the head to download). Default 1000. */
  last?: number
  /** The page's `poll` option in seconds. Default 12. */
  pollSeconds?: number
  /** The node's logger. Default silent. */
  logger?: Logger
  /** Minify the page bundle. Default false. */
  minify?: boolean
  log?: (line: string) => void
}

export interface Demo {
  readonly node: EthwireNode
  /** The page, with `?peer=…&genesis=/genesis.json&…` filled in. */
  readonly url: string
  /** The node's WebSockets multiaddr, the one the page dials. */
  readonly wsAddress: string
  stop(): Promise<void>
}

function listen(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      const addr = server.address()
      resolve(typeof addr === 'object' && addr !== null ? addr.port : port)
    })
  })
}

export async function startDemo(options: DemoOptions = {}): Promise<Demo> {
  const host = options.host ?? '127.0.0.1'
  const log = options.log ?? (() => {})
  const page = await buildPage({ minify: options.minify ?? false })
  const ownDir = options.datadir === undefined
  const datadir = options.datadir ?? join(await mkdtemp(join(tmpdir(), 'ethwire-browser-')), 'node')
  const cleanups: Array<() => Promise<void> | void> = []
  const stop = async () => {
    for (const c of cleanups.splice(0).reverse()) await c()
  }
  if (ownDir) cleanups.push(() => rmSync(join(datadir, '..'), { recursive: true, force: true }))
  try {
    const blocks = options.blocks ?? 1200
    if (blocks > 0) {
      const made = await devchainCommand(
        { datadir, fakePow: false, log: silentLogger, out: () => {} },
        blocks,
      )
      log(`sealed ${blocks} dev blocks in ${made.ms} ms (head #${made.head})`)
    }
    const period = options.periodSeconds ?? 5
    const node = createNode({
      datadir,
      listenHost: host,
      port: 0,
      wsLibp2pPort: options.wsPort ?? 0,
      // 0 would mean "seal as fast as possible"; an hour is "only when asked" (node.sealBlock())
      dev: { periodSeconds: period > 0 ? period : 3600 },
      logger: options.logger ?? silentLogger,
      logIntervalMs: 0,
    })
    await node.start()
    cleanups.push(() => node.stop())

    const wsAddress = node.multiaddrs.find((a) => libp2pTransportFor(a) === 'websockets')
    if (wsAddress === undefined)
      throw new Error(`the node has no libp2p WebSockets address: ${node.multiaddrs}`)

    const genesis = readFileSync(join(datadir, 'genesis.json'))
    const server = createServer((req, res) => {
      const path = new URL(req.url ?? '/', 'http://localhost').pathname
      const send = (type: string, body: string | Buffer) => {
        res.writeHead(200, { 'content-type': type, 'cache-control': 'no-store' })
        res.end(body)
      }
      if (path === '/' || path === '/index.html') send('text/html; charset=utf-8', page.html)
      else if (path === '/demo.js') send('text/javascript; charset=utf-8', page.js)
      else if (path === '/genesis.json') send('application/json', genesis)
      else {
        res.writeHead(404, { 'content-type': 'text/plain' })
        res.end('not found\n')
      }
    })
    const port = await listen(server, host, options.httpPort ?? 0)
    cleanups.push(
      () =>
        new Promise<void>((resolve) => {
          server.close(() => resolve())
          server.closeAllConnections()
        }),
    )
    const q = new URLSearchParams({
      peer: wsAddress,
      genesis: '/genesis.json',
      last: String(options.last ?? 1000),
      poll: String(options.pollSeconds ?? 12),
    })
    const url = `http://${host}:${port}/?${q}`
    return { node, url, wsAddress, stop }
  } catch (err) {
    await stop()
    throw err
  }
}
