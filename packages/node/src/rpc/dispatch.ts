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

/**
 * A method. It may carry `prepareBatch`: called once per batch with the params of the batch's calls
 * to it (two or more), before the batch runs; the calls then run one after another as always. It
 * does work the calls can share (eth_sendRawTransaction: every sender recovered at once in the
 * recovery workers). Its failure is ignored: each call does its own work then.
 */
export type RpcHandler = ((params: unknown[]) => unknown | Promise<unknown>) & {
  prepareBatch?: (paramsList: unknown[][]) => Promise<void>
}
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

const isThenable = (v: unknown): v is PromiseLike<unknown> =>
  typeof v === 'object' && v !== null && typeof (v as { then?: unknown }).then === 'function'

const methodError = (id: unknown, err: unknown): JsonRpcResponse =>
  isRpcError(err)
    ? errorResponse(id, err.rpcCode, err.message, err.data)
    : errorResponse(id, RpcErrorCode.Internal, messageOf(err))

const okResponse = (id: unknown, result: unknown): JsonRpcResponse => ({
  jsonrpc: '2.0',
  id,
  result: result === undefined ? null : result,
})

/**
 * `dispatch` without an await where none is needed: a method that answers synchronously (e.g.
 * `eth_blockNumber`) gives its response at once, one that returns a promise gives a promise of it.
 * Never throws, and the promise never rejects.
 */
export function dispatchMaybeSync(
  methods: RpcMethods,
  req: unknown,
): JsonRpcResponse | Promise<JsonRpcResponse> {
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
  let result: unknown
  try {
    result = handler((r.params as unknown[] | undefined) ?? [])
  } catch (err) {
    return methodError(id, err)
  }
  if (!isThenable(result)) return okResponse(id, result)
  return Promise.resolve(result).then(
    (v) => okResponse(id, v),
    (err: unknown) => methodError(id, err),
  )
}

/** Runs one request object against the method table; never throws. */
export async function dispatch(methods: RpcMethods, req: unknown): Promise<JsonRpcResponse> {
  return dispatchMaybeSync(methods, req)
}

/**
 * `handleBody` that answers a single request to a synchronous method without a promise (the HTTP
 * server's hot path); a batch or an asynchronous method gives a promise. Never throws.
 */
export function handleBodyMaybeSync(
  methods: RpcMethods,
  text: string,
  maxBatchItems = rpcMaxBatchItems,
): JsonRpcResponse | JsonRpcResponse[] | Promise<JsonRpcResponse | JsonRpcResponse[]> {
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    return errorResponse(null, RpcErrorCode.ParseError, 'parse error')
  }
  if (!Array.isArray(parsed)) return dispatchMaybeSync(methods, parsed)
  if (parsed.length === 0) return errorResponse(null, RpcErrorCode.InvalidRequest, 'empty batch')
  if (parsed.length > maxBatchItems)
    return errorResponse(null, RpcErrorCode.InvalidRequest, 'batch too large')
  return runBatch(methods, parsed)
}

async function runBatch(methods: RpcMethods, items: unknown[]): Promise<JsonRpcResponse[]> {
  await prepareBatch(methods, items)
  const out: JsonRpcResponse[] = []
  for (const item of items) out.push(await dispatchMaybeSync(methods, item))
  return out
}

/** Runs the `prepareBatch` of every method called at least twice in the batch. Never throws. */
async function prepareBatch(methods: RpcMethods, items: unknown[]): Promise<void> {
  let calls: Map<RpcHandler, unknown[][]> | undefined
  for (const item of items) {
    if (typeof item !== 'object' || item === null) continue
    const { method, params } = item as { method?: unknown; params?: unknown }
    if (typeof method !== 'string' || !Array.isArray(params) || !Object.hasOwn(methods, method))
      continue
    const handler = methods[method]
    if (handler?.prepareBatch === undefined) continue
    calls ??= new Map()
    const list = calls.get(handler)
    if (list === undefined) calls.set(handler, [params])
    else list.push(params)
  }
  if (calls === undefined) return
  for (const [handler, list] of calls) {
    if (list.length < 2) continue
    try {
      await handler.prepareBatch?.(list)
    } catch {
      // each call does its own work
    }
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
  return handleBodyMaybeSync(methods, text, maxBatchItems)
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
