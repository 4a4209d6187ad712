/**
 * The JSON-RPC server over HTTP: POST only (and the CORS preflight), a body size limit (413), a
 * request timeout; the body goes to `handleBody` of `./dispatch.ts`.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { rpcMaxBodyBytes, rpcRequestTimeoutMs } from '../constants.js'
import {
  errorResponse,
  handleBody,
  RpcErrorCode,
  type RpcMethods,
  stringifyResponse,
} from './dispatch.js'

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
    res.writeHead(status, {
      'content-type': 'application/json',
      'access-control-allow-origin': '*',
    })
    res.end(stringifyResponse(body))
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
      return send(res, 200, await handleBody(methods, text))
    })().catch(() => {
      if (!res.headersSent)
        send(res, 500, errorResponse(null, RpcErrorCode.Internal, 'internal error'))
      else res.destroy()
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
