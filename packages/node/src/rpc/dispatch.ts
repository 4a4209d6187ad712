/**
 * JSON-RPC 2.0 without a transport: request parsing, method dispatch, batches and error objects
 * (go-ethereum's codes). `handleBody` takes the text of an HTTP body (or a WebSocket frame) and
 * gives the response to send; nothing here throws.
 */
import { rpcMaxBatchItems } from '../constants.js'

/** A method error with a JSON-RPC code (and optional `data`), as the client sees it. */
export class RpcError extends Error {
  override readonly name = 'RpcError'
  constructor(
    readonly rpcCode: number,
    message: string,
    readonly data?: unknown,
  ) {
    super(message)
  }
}

/** Brand check (an RpcError from a second copy of this package counts too). */
export function isRpcError(err: unknown): err is RpcError {
  if (typeof err !== 'object' || err === null) return false
  const e = err as { name?: unknown; rpcCode?: unknown }
  return e.name === 'RpcError' && typeof e.rpcCode === 'number'
}

export const RpcErrorCode = {
  ParseError: -32700,
  InvalidRequest: -32600,
  MethodNotFound: -32601,
  InvalidParams: -32602,
  Internal: -32603,
  /** go-ethereum's "server error": a transaction rejected, a dial failed, … */
  Server: -32000,
  /** go-ethereum's code for a reverted eth_call / eth_estimateGas (with the revert data). */
  ExecutionReverted: 3,
} as const

export type RpcHandler = (params: unknown[]) => unknown | Promise<unknown>
export type RpcMethods = Record<string, RpcHandler>

export interface JsonRpcResponse {
  jsonrpc: '2.0'
  id: unknown
  result?: unknown
  error?: { code: number; message: string; data?: unknown }
}

export function errorResponse(
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

const messageOf = (err: unknown): string =>
  err instanceof Error ? err.message : typeof err === 'string' ? err : 'internal error'

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
    if (isRpcError(err)) return errorResponse(id, err.rpcCode, err.message, err.data)
    return errorResponse(id, RpcErrorCode.Internal, messageOf(err))
  }
}

/**
 * A request body's text → the response body: one response, or an array for a batch (items run
 * in order, at most `maxBatchItems`). A parse error, an empty or oversized batch is one error.
 */
export async function handleBody(
  methods: RpcMethods,
  text: string,
  maxBatchItems = rpcMaxBatchItems,
): Promise<JsonRpcResponse | JsonRpcResponse[]> {
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    return errorResponse(null, RpcErrorCode.ParseError, 'parse error')
  }
  if (!Array.isArray(parsed)) return dispatch(methods, parsed)
  if (parsed.length === 0) return errorResponse(null, RpcErrorCode.InvalidRequest, 'empty batch')
  if (parsed.length > maxBatchItems)
    return errorResponse(null, RpcErrorCode.InvalidRequest, 'batch too large')
  const out: JsonRpcResponse[] = []
  for (const item of parsed) out.push(await dispatch(methods, item))
  return out
}

/** JSON text of a response; bigints become hex quantities. */
export function stringifyResponse(body: unknown): string {
  // most results are already hex strings: a replacer function slows every value, so it is used
  // only when the plain stringify meets a bigint (a TypeError)
  try {
    return JSON.stringify(body)
  } catch (err) {
    if (!(err instanceof TypeError)) throw err
    return JSON.stringify(body, bigintHex)
  }
}

const bigintHex = (_k: string, v: unknown) => (typeof v === 'bigint' ? `0x${v.toString(16)}` : v)

/** go-ethereum's code for "server error" (transaction rejected, dial failed, …). */
export const rpcServerErrorCode = RpcErrorCode.Server

/**
 * The methods of the namespaces in `apis` (go-ethereum's `--http.api` / `--ws.api`: `eth`, `net`,
 * `web3`, …; the namespace is a method name's part before `_`). Undefined keeps every method.
 */
export function filterMethods(
  methods: RpcMethods,
  apis: readonly string[] | undefined,
): RpcMethods {
  if (apis === undefined) return methods
  const allowed = new Set(apis.map((a) => a.trim().toLowerCase()).filter(Boolean))
  const out: RpcMethods = {}
  for (const [name, handler] of Object.entries(methods)) {
    const ns = name.slice(0, name.indexOf('_'))
    if (allowed.has(ns)) out[name] = handler
  }
  return out
}
