/**
 * The scrape endpoint (go-ethereum's `--metrics.addr` / `--metrics.port`): `GET` (or `HEAD`)
 * `/debug/metrics/prometheus` and `/metrics` answer the Prometheus text format; any other path is
 * 404, any other method on those paths 405. Plain `node:http`, loopback by default.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import type { Startable } from '@ethwire/interface'
import {
  defaultMetricsHost,
  defaultMetricsPort,
  metricsPaths,
  metricsRequestTimeoutMs,
} from './constants.js'

/** What the server reads: a `MetricsRegistry` fits (a disabled one serves an empty body). */
export interface ScrapeSource {
  readonly contentType: string
  scrape(): Promise<string>
}

export interface MetricsServerOptions {
  registry: ScrapeSource
  /** `--metrics.addr`. Default 127.0.0.1 (the endpoint has no authentication). */
  host?: string
  /** `--metrics.port`. Default 6060; 0 picks a free port (read `port` after `start`). */
  port?: number
}

export interface MetricsServer extends Startable {
  /** The port listened on (the chosen one after `start` with port 0). */
  readonly port: number
  readonly host: string
  /** `http://host:port/debug/metrics/prometheus` once started. */
  readonly url: string
  /** Starts listening; rejects when the port is taken or after `stop`. */
  start(): Promise<void>
  /** Stops listening and closes every open connection. */
  stop(): Promise<void>
}

const paths = new Set<string>(metricsPaths)

/** A scrape server, not yet listening. */
export function createMetricsServer(options: MetricsServerOptions): MetricsServer {
  const host = options.host ?? defaultMetricsHost
  let port = options.port ?? defaultMetricsPort
  const { registry } = options
  let server: Server | undefined
  let started: Promise<void> | undefined
  let stopped = false
  const sockets = new Set<Socket>()

  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const url = req.url ?? '/'
    const q = url.indexOf('?')
    const path = q < 0 ? url : url.slice(0, q)
    if (!paths.has(path)) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' })
      res.end('not found\n')
      return
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' })
      res.end('method not allowed\n')
      return
    }
    registry.scrape().then(
      (text) => {
        res.writeHead(200, {
          'content-type': registry.contentType,
          'content-length': Buffer.byteLength(text),
          'cache-control': 'no-store',
        })
        res.end(req.method === 'HEAD' ? undefined : text)
      },
      (err: unknown) => {
        res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' })
        res.end(`scrape failed: ${String(err)}\n`)
      },
    )
  }

  return {
    get port() {
      return port
    },
    host,
    get url() {
      const h = host.includes(':') ? `[${host}]` : host
      return `http://${h}:${port}${metricsPaths[0]}`
    },
    start() {
      if (stopped) return Promise.reject(new Error('metrics server was stopped'))
      if (started !== undefined) return started
      const s = createServer(handler)
      s.requestTimeout = metricsRequestTimeoutMs
      s.headersTimeout = metricsRequestTimeoutMs
      s.keepAliveTimeout = 5_000
      s.on('connection', (socket: Socket) => {
        sockets.add(socket)
        socket.once('close', () => sockets.delete(socket))
      })
      server = s
      started = new Promise<void>((resolve, reject) => {
        const onError = (err: Error) => {
          server = undefined
          started = undefined
          reject(err)
        }
        s.once('error', onError)
        s.listen(port, host, () => {
          s.off('error', onError)
          port = (s.address() as AddressInfo).port
          resolve()
        })
      })
      return started
    },
    async stop() {
      stopped = true
      const s = server
      server = undefined
      if (s === undefined) return
      await started?.catch(() => {})
      await new Promise<void>((resolve) => {
        s.close(() => resolve())
        s.closeAllConnections()
        for (const socket of sockets) socket.destroy()
      })
    },
  }
}

/** {@link createMetricsServer} and `start()` in one call. */
export async function startMetricsServer(options: MetricsServerOptions): Promise<MetricsServer> {
  const server = createMetricsServer(options)
  await server.start()
  return server
}
