/**
 * The JSON-RPC server over HTTP: POST only (and the CORS preflight), a body size limit (413), a
 * request timeout; the body goes to `handleBodyMaybeSync` of `./dispatch.ts`.
 *
 * Like go-ethereum's HTTP handler it checks the `Host` header against the allowed virtual hosts
 * (`--http.vhosts`, default `localhost`; a request to an IP address or without a Host always
 * passes; `*` allows any) and answers 403 "invalid host specified" otherwise, and it sends CORS
 * headers only for the origins in `--http.corsdomain` (`*` for any).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { type AddressInfo, isIP } from 'node:net'
import { defaultHttpVhosts, rpcMaxBodyBytes, rpcRequestTimeoutMs } from '../constants.js'
import {
  errorResponse,
  handleBodyMaybeSync,
  RpcErrorCode,
  type RpcMethods,
  stringifyResponse,
} from './dispatch.js'

/**
 * Reads a request body (at most `limit` bytes; past it the rest is drained and `done` gets
 * undefined) by events and a callback: no promise, and no copy for a body that came in one chunk.
 */
function readBody(
  req: IncomingMessage,
  limit: number,
  done: (text: string | undefined) => void,
): void {
  let first: Buffer | undefined
  let chunks: Buffer[] | undefined
  let size = 0
  let over = false
  req.on('data', (chunk: Buffer) => {
    if (over) return
    size += chunk.length
    if (size > limit) {
      over = true
      first = undefined
      chunks = undefined
      return
    }
    if (first === undefined) first = chunk
    else if (chunks === undefined) chunks = [first, chunk]
    else chunks.push(chunk)
  })
  req.on('end', () => {
    if (over) return done(undefined)
    if (chunks !== undefined) return done(Buffer.concat(chunks).toString('utf8'))
    done(first === undefined ? '' : first.toString('utf8'))
  })
}

export interface RpcServer {
  readonly port: number
  readonly url: string
  close(): Promise<void>
}

export interface HttpServerOptions {
  host: string
  port: number
  maxBodyBytes?: number
  /**
   * Origins allowed to read responses in a browser (`--http.corsdomain`); `*` is any. Default
   * `['*']` for a server started directly; the node passes its flag (default none, as geth).
   */
  corsDomains?: readonly string[]
  /** Allowed `Host` header names (`--http.vhosts`); `*` is any. Default `['localhost']`. */
  vhosts?: readonly string[]
}

/** The hostname of a `Host` header (no port; IPv6 brackets removed). */
function hostName(host: string): string {
  if (host.startsWith('[')) {
    const end = host.indexOf(']')
    return end === -1 ? host : host.slice(1, end)
  }
  const colon = host.indexOf(':')
  return (colon === -1 ? host : host.slice(0, colon)).toLowerCase()
}

/** go-ethereum's `virtualHostHandler` decision. */
export function hostAllowed(host: string | undefined, vhosts: readonly string[]): boolean {
  return hostAllowedIn(host, vhostSet(vhosts))
}

const vhostSet = (vhosts: readonly string[]) => new Set(vhosts.map((v) => v.trim().toLowerCase()))

function hostAllowedIn(host: string | undefined, set: ReadonlySet<string>): boolean {
  if (!host) return true
  const name = hostName(host)
  if (isIP(name) !== 0) return true
  return set.has('*') || set.has(name)
}

/** The `Access-Control-Allow-Origin` value for a request's `Origin`, or undefined for none. */
export function corsOrigin(
  origin: string | undefined,
  domains: readonly string[],
): string | undefined {
  if (domains.length === 0) return undefined
  if (domains.includes('*')) return '*'
  if (origin === undefined) return undefined
  const o = origin.toLowerCase()
  return domains.some((d) => d.trim().toLowerCase() === o) ? origin : undefined
}

export async function startRpcServer(
  methods: RpcMethods,
  opts: HttpServerOptions,
): Promise<RpcServer> {
  const limit = opts.maxBodyBytes ?? rpcMaxBodyBytes
  const cors = opts.corsDomains ?? ['*']
  const vhosts = vhostSet(opts.vhosts ?? defaultHttpVhosts)
  const corsHeaders = (req: IncomingMessage): Record<string, string> => {
    const allow = corsOrigin(req.headers.origin, cors)
    return allow === undefined ? {} : { 'access-control-allow-origin': allow, vary: 'Origin' }
  }
  // the response headers as a flat list: no CORS header (no --http.corsdomain, the default), the
  // same `*` for every request, or the request's origin when it is listed
  const anyOrigin = cors.includes('*')
  const send = (req: IncomingMessage, res: ServerResponse, status: number, body: unknown) => {
    let text: string
    try {
      text = stringifyResponse(body)
    } catch {
      status = 500
      text = stringifyResponse(errorResponse(null, RpcErrorCode.Internal, 'internal error'))
    }
    // Content-Length rather than a chunked body: fewer bytes and one buffer less to write
    const length = String(Buffer.byteLength(text))
    const allow =
      cors.length === 0 ? undefined : anyOrigin ? '*' : corsOrigin(req.headers.origin, cors)
    res.writeHead(
      status,
      allow === undefined
        ? ['content-type', 'application/json', 'content-length', length]
        : [
            'content-type',
            'application/json',
            'content-length',
            length,
            'access-control-allow-origin',
            allow,
            'vary',
            'Origin',
          ],
    )
    res.end(text)
  }
  const internalError = (req: IncomingMessage, res: ServerResponse) => {
    if (!res.headersSent)
      send(req, res, 500, errorResponse(null, RpcErrorCode.Internal, 'internal error'))
    else res.destroy()
  }
  const server: Server = createServer((req, res) => {
    if (!hostAllowedIn(req.headers.host, vhosts)) {
      res.writeHead(403, { 'content-type': 'text/plain' })
      res.end('invalid host specified\n')
      return
    }
    if (req.method === 'OPTIONS') {
      const h = corsHeaders(req)
      res.writeHead(
        204,
        h['access-control-allow-origin'] === undefined
          ? {}
          : {
              ...h,
              'access-control-allow-headers': 'content-type',
              'access-control-allow-methods': 'POST, GET, OPTIONS',
              'access-control-max-age': '600',
            },
      )
      res.end()
      return
    }
    if (req.method !== 'POST') {
      send(req, res, 405, errorResponse(null, RpcErrorCode.InvalidRequest, 'POST only'))
      return
    }
    req.on('error', () => res.destroy())
    readBody(req, limit, (text) => {
      if (text === undefined) {
        send(req, res, 413, errorResponse(null, RpcErrorCode.InvalidRequest, 'request too large'))
        return
      }
      // a single request to a synchronous method is answered in this tick, without a promise
      try {
        const out = handleBodyMaybeSync(methods, text)
        if (out instanceof Promise)
          out.then((body) => send(req, res, 200, body)).catch(() => internalError(req, res))
        else send(req, res, 200, out)
      } catch {
        // nothing above should throw, but this runs in a stream event: a throw would end the process
        internalError(req, res)
      }
    })
  })
  server.requestTimeout = rpcRequestTimeoutMs
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const port = (server.address() as AddressInfo).port
  return {
    port,
    url: `http://${opts.host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
