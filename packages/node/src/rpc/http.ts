/**
 * The JSON-RPC server over HTTP: POST only (and the CORS preflight), a body size limit (413), a
 * request timeout; the body goes to `handleBodyMaybeSync` of `./dispatch.ts`. The HTTP/1.1 layer
 * is `./http-wire.ts` on `node:net` (its limits and what it refuses are described there).
 *
 * Like go-ethereum's HTTP handler it checks the `Host` header against the allowed virtual hosts
 * (`--http.vhosts`, default `localhost`; a request to an IP address or without a Host always
 * passes; `*` allows any) and answers 403 "invalid host specified" otherwise, and it sends CORS
 * headers only for the origins in `--http.corsdomain` (`*` for any). The request's Content-Type
 * is not checked (every body is read as JSON); answers are `application/json` with a
 * Content-Length.
 */
import { isIP } from 'node:net'
import { defaultHttpVhosts, rpcMaxBodyBytes, rpcRequestTimeoutMs } from '../constants.js'
import {
  errorResponse,
  handleBodyMaybeSync,
  RpcErrorCode,
  type RpcMethods,
  stringifyResponse,
} from './dispatch.js'
import {
  type HttpAnswer,
  type HttpHead,
  type HttpRequest,
  type HttpWireOptions,
  listenHttp,
} from './http-wire.js'

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
  /** HTTP limits and timeouts (see `./http-wire.ts`); the defaults are in `../constants.ts`. */
  wire?: {
    /** Request line + headers (and trailers), else 431. */
    maxHeadBytes?: number
    /** The head within this time of the request's first byte, else 408. */
    headersTimeoutMs?: number
    /** The whole request within this time of its first byte, else 408. */
    requestTimeoutMs?: number
    /** An idle keep-alive connection is closed after this. */
    keepAliveTimeoutMs?: number
    maxConnections?: number
    /** Answers from one read before other connections get a turn. */
    maxPipelined?: number
    checkIntervalMs?: number
    lingerMs?: number
  }
}

/** The methods the endpoint answers (the `Allow` of a 405 and the CORS preflight's list). */
const allowedMethods = 'POST, GET, OPTIONS'

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
  // the decision per Host value (clients send the same one every time), at most 256 kept
  const hostDecisions = new Map<string, boolean>()
  const hostOk = (host: string | undefined): boolean => {
    if (host === undefined) return true
    let ok = hostDecisions.get(host)
    if (ok === undefined) {
      ok = hostAllowedIn(host, vhosts)
      if (hostDecisions.size >= 256) hostDecisions.clear()
      hostDecisions.set(host, ok)
    }
    return ok
  }
  // the CORS header lines: none (no --http.corsdomain, the default), the same `*` for every
  // request, or the request's origin when it is listed
  const anyOrigin = cors.includes('*')
  const anyLines = 'access-control-allow-origin: *\r\nvary: Origin\r\n'
  const corsLines = (head: HttpHead | undefined): string => {
    if (cors.length === 0) return ''
    if (anyOrigin) return anyLines
    const allow = head === undefined ? undefined : corsOrigin(head.origin, cors)
    return allow === undefined ? '' : `access-control-allow-origin: ${allow}\r\nvary: Origin\r\n`
  }
  const internal = (head: HttpHead | undefined): HttpAnswer => ({
    status: 500,
    body: stringifyResponse(errorResponse(null, RpcErrorCode.Internal, 'internal error')),
    headers: corsLines(head),
  })
  const json = (head: HttpHead, status: number, body: unknown): HttpAnswer => {
    let text: string
    try {
      text = stringifyResponse(body)
    } catch {
      return internal(head)
    }
    return { status, body: text, headers: corsLines(head) }
  }
  const forbidden: HttpAnswer = {
    status: 403,
    body: 'invalid host specified\n',
    contentType: 'text/plain',
  }
  const preflight = (head: HttpHead): HttpAnswer => {
    const lines = corsLines(head)
    return {
      status: 204,
      body: '',
      headers:
        lines === ''
          ? ''
          : `${lines}access-control-allow-headers: content-type\r\naccess-control-allow-methods: ${allowedMethods}\r\naccess-control-max-age: 600\r\n`,
    }
  }
  const handler = (req: HttpRequest): HttpAnswer | Promise<HttpAnswer> => {
    if (!hostOk(req.host)) return forbidden
    if (req.method === 'OPTIONS') return preflight(req)
    if (req.method !== 'POST') {
      // an empty GET is a load balancer's health check (go-ethereum answers it the same way)
      if (req.method === 'GET' && req.contentLength === 0 && !req.target.includes('?'))
        return { status: 200, body: '', contentType: 'text/plain', headers: corsLines(req) }
      const refused = json(req, 405, errorResponse(null, RpcErrorCode.InvalidRequest, 'POST only'))
      return { ...refused, headers: `${refused.headers ?? ''}allow: ${allowedMethods}\r\n` }
    }
    // a single request to a synchronous method is answered in this tick, without a promise
    const out = handleBodyMaybeSync(methods, req.body.toString('utf8'))
    if (out instanceof Promise) return out.then((body) => json(req, 200, body))
    return json(req, 200, out)
  }
  const wire: HttpWireOptions = {
    host: opts.host,
    port: opts.port,
    maxBodyBytes: limit,
    requestTimeoutMs: rpcRequestTimeoutMs,
    ...opts.wire,
    refusal: (status, reason, head) => ({
      status,
      body: stringifyResponse(
        errorResponse(
          null,
          RpcErrorCode.InvalidRequest,
          status === 413 ? 'request too large' : reason,
        ),
      ),
      headers: corsLines(head),
    }),
    internalError: internal,
  }
  const server = await listenHttp(handler, wire)
  return {
    port: server.port,
    url: `http://${opts.host}:${server.port}`,
    close: () => server.close(),
  }
}
