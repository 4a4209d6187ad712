/**
 * A small JSON-RPC 2.0 server over HTTP (go-ethereum compatible error codes), with a body size
 * limit, batch requests and typed method errors. Handlers are plain async functions.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { rpcMaxBatchItems, rpcMaxBodyBytes } from './constants.js'

export class RpcError extends Error {
  constructor(
    readonly rpcCode: number,
    message: string,
    readonly data?: unknown,
  ) {
    super(message)
  }
}

export const RpcErrorCode = {
  ParseError: -32700,
  InvalidRequest: -32600,
  MethodNotFound: -32601,
  InvalidParams: -32602,
  Internal: -32603,
} as const

export type RpcHandler = (params: unknown[]) => unknown | Promise<unknown>
export type RpcMethods = Record<string, RpcHandler>

interface JsonRpcResponse {
  jsonrpc: '2.0'
  id: unknown
  result?: unknown
  error?: { code: number; message: string; data?: unknown }
}

function errorResponse(
  id: unknown,
  code: number,
  message: string,
  data?: unknown,
): JsonRpcResponse {
  return {
    jsonrpc: '2.0',
    id,
    error: data === undefined ? { code, message } : { code, message, data },
  }
}

/** Runs one request object against the method table; never throws. */
export async function dispatch(methods: RpcMethods, req: unknown): Promise<JsonRpcResponse> {
  if (typeof req !== 'object' || req === null || Array.isArray(req)) {
    return errorResponse(null, RpcErrorCode.InvalidRequest, 'invalid request')
  }
  const r = req as { jsonrpc?: unknown; id?: unknown; method?: unknown; params?: unknown }
  const id = r.id ?? null
  if (r.jsonrpc !== '2.0' || typeof r.method !== 'string') {
    return errorResponse(id, RpcErrorCode.InvalidRequest, 'invalid request')
  }
  const handler = Object.hasOwn(methods, r.method) ? methods[r.method] : undefined
  if (!handler) {
    return errorResponse(
      id,
      RpcErrorCode.MethodNotFound,
      `the method ${r.method} does not exist/is not available`,
    )
  }
  if (r.params !== undefined && !Array.isArray(r.params)) {
    return errorResponse(id, RpcErrorCode.InvalidParams, 'params must be an array')
  }
  try {
    const result = await handler((r.params as unknown[] | undefined) ?? [])
    return { jsonrpc: '2.0', id, result: result === undefined ? null : result }
  } catch (err) {
    if (err instanceof RpcError) return errorResponse(id, err.rpcCode, err.message, err.data)
    return errorResponse(id, RpcErrorCode.Internal, (err as Error)?.message ?? 'internal error')
  }
}

async function readBody(req: IncomingMessage, limit: number): Promise<string | undefined> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > limit) return undefined
    chunks.push(chunk)
  }
  return Buffer.concat(chunks).toString('utf8')
}

export interface RpcServer {
  readonly port: number
  readonly url: string
  close(): Promise<void>
}

export async function startRpcServer(
  methods: RpcMethods,
  opts: { host: string; port: number; maxBodyBytes?: number },
): Promise<RpcServer> {
  const limit = opts.maxBodyBytes ?? rpcMaxBodyBytes
  const send = (res: ServerResponse, status: number, body: unknown) => {
    const text = JSON.stringify(body, (_k, v) =>
      typeof v === 'bigint' ? `0x${v.toString(16)}` : v,
    )
    res.writeHead(status, {
      'content-type': 'application/json',
      'access-control-allow-origin': '*',
    })
    res.end(text)
  }
  const server: Server = createServer((req, res) => {
    void (async () => {
      if (req.method === 'OPTIONS') {
        res.writeHead(204, {
          'access-control-allow-origin': '*',
          'access-control-allow-headers': 'content-type',
          'access-control-allow-methods': 'POST, GET, OPTIONS',
        })
        return res.end()
      }
      if (req.method !== 'POST')
        return send(res, 405, errorResponse(null, RpcErrorCode.InvalidRequest, 'POST only'))
      const text = await readBody(req, limit)
      if (text === undefined)
        return send(res, 413, errorResponse(null, RpcErrorCode.InvalidRequest, 'request too large'))
      let parsed: unknown
      try {
        parsed = JSON.parse(text)
      } catch {
        return send(res, 200, errorResponse(null, RpcErrorCode.ParseError, 'parse error'))
      }
      if (Array.isArray(parsed)) {
        if (parsed.length === 0)
          return send(res, 200, errorResponse(null, RpcErrorCode.InvalidRequest, 'empty batch'))
        if (parsed.length > rpcMaxBatchItems) {
          return send(res, 200, errorResponse(null, RpcErrorCode.InvalidRequest, 'batch too large'))
        }
        const out: JsonRpcResponse[] = []
        for (const item of parsed) out.push(await dispatch(methods, item))
        return send(res, 200, out)
      }
      return send(res, 200, await dispatch(methods, parsed))
    })().catch(() => {
      if (!res.headersSent)
        send(res, 500, errorResponse(null, RpcErrorCode.Internal, 'internal error'))
      else res.destroy()
    })
  })
  server.requestTimeout = 30_000
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
