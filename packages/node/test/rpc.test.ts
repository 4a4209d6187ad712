import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { rpcMaxBatchItems } from '../src/constants.js'
import {
  dispatch,
  handleBodyMaybeSync,
  RpcError,
  RpcErrorCode,
  type RpcMethods,
} from '../src/rpc/dispatch.js'
import { type RpcServer, startRpcServer } from '../src/rpc/http.js'

const methods: RpcMethods = {
  echo: (params) => params,
  add: (params) => {
    const [a, b] = params
    if (typeof a !== 'number' || typeof b !== 'number')
      throw new RpcError(RpcErrorCode.InvalidParams, 'two numbers expected')
    return a + b
  },
  big: () => 255n,
  boom: () => {
    throw new Error('kaput')
  },
  nothing: () => undefined,
  later: async (params) => params[0],
  laterFail: async () => {
    throw new RpcError(RpcErrorCode.Server, 'not now', '0x01')
  },
  circular: () => {
    const o: { self?: unknown } = {}
    o.self = o
    return o
  },
}

let server: RpcServer

// the shapes JSON-RPC answers take (single or batch), loosely
type Reply = {
  error: { code: number; message: string }
  result: unknown
  length: number
  [i: number]: { error: { code: number }; result: unknown; id: unknown }
}

async function post(body: string | Uint8Array, headers: Record<string, string> = {}) {
  const res = await fetch(server.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
    signal: AbortSignal.timeout(5000),
  })
  return { status: res.status, json: (await res.json()) as Reply }
}

beforeAll(async () => {
  server = await startRpcServer(methods, { host: '127.0.0.1', port: 0, maxBodyBytes: 64 * 1024 })
})
afterAll(async () => {
  await server.close()
})

describe('dispatch', () => {
  it('answers a call and keeps the id', async () => {
    expect(
      await dispatch(methods, { jsonrpc: '2.0', id: 7, method: 'add', params: [1, 2] }),
    ).toEqual({
      jsonrpc: '2.0',
      id: 7,
      result: 3,
    })
    expect(await dispatch(methods, { jsonrpc: '2.0', id: 'x', method: 'nothing' })).toEqual({
      jsonrpc: '2.0',
      id: 'x',
      result: null,
    })
  })

  it('unknown method, bad params, not a request, thrown errors', async () => {
    const unknown = await dispatch(methods, {
      jsonrpc: '2.0',
      id: 1,
      method: 'eth_nope',
      params: [],
    })
    expect(unknown.error).toEqual({
      code: -32601,
      message: 'the method eth_nope does not exist/is not available',
    })
    const bad = await dispatch(methods, { jsonrpc: '2.0', id: 2, method: 'add', params: ['a'] })
    expect(bad.error).toEqual({ code: -32602, message: 'two numbers expected' })
    const notArray = await dispatch(methods, {
      jsonrpc: '2.0',
      id: 3,
      method: 'add',
      params: { a: 1 },
    })
    expect(notArray.error?.code).toBe(-32602)
    expect((await dispatch(methods, 5)).error?.code).toBe(-32600)
    expect((await dispatch(methods, { jsonrpc: '1.0', id: 1, method: 'echo' })).error?.code).toBe(
      -32600,
    )
    expect((await dispatch(methods, { jsonrpc: '2.0', id: 1, method: 42 })).error?.code).toBe(
      -32600,
    )
    // prototype names are not methods
    expect(
      (await dispatch(methods, { jsonrpc: '2.0', id: 1, method: 'toString' })).error?.code,
    ).toBe(-32601)
    const boom = await dispatch(methods, { jsonrpc: '2.0', id: 4, method: 'boom' })
    expect(boom.error).toEqual({ code: -32603, message: 'kaput' })
  })
})

describe('handleBodyMaybeSync', () => {
  it('answers a synchronous method without a promise, an asynchronous one with a promise', async () => {
    const sync = handleBodyMaybeSync(
      methods,
      '{"jsonrpc":"2.0","id":1,"method":"add","params":[1,2]}',
    )
    expect(sync).not.toBeInstanceOf(Promise)
    expect(sync).toEqual({ jsonrpc: '2.0', id: 1, result: 3 })
    // errors found before any method runs are synchronous too
    expect(handleBodyMaybeSync(methods, '{')).toEqual({
      jsonrpc: '2.0',
      id: null,
      error: { code: -32700, message: 'parse error' },
    })
    expect(handleBodyMaybeSync(methods, '{"jsonrpc":"2.0","id":2,"method":"boom"}')).toEqual({
      jsonrpc: '2.0',
      id: 2,
      error: { code: -32603, message: 'kaput' },
    })
    const later = handleBodyMaybeSync(
      methods,
      '{"jsonrpc":"2.0","id":3,"method":"later","params":[9]}',
    )
    expect(later).toBeInstanceOf(Promise)
    expect(await later).toEqual({ jsonrpc: '2.0', id: 3, result: 9 })
    expect(
      await handleBodyMaybeSync(methods, '{"jsonrpc":"2.0","id":4,"method":"laterFail"}'),
    ).toEqual({
      jsonrpc: '2.0',
      id: 4,
      error: { code: -32000, message: 'not now', data: '0x01' },
    })
    // a batch is always a promise, its items in order
    const batch = handleBodyMaybeSync(
      methods,
      '[{"jsonrpc":"2.0","id":1,"method":"later","params":[1]},{"jsonrpc":"2.0","id":2,"method":"add","params":[1,1]}]',
    )
    expect(batch).toBeInstanceOf(Promise)
    expect(await batch).toEqual([
      { jsonrpc: '2.0', id: 1, result: 1 },
      { jsonrpc: '2.0', id: 2, result: 2 },
    ])
  })
})

describe('HTTP server', () => {
  it('serves a call and encodes bigints as hex quantities', async () => {
    const r = await post(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'big' }))
    expect(r.status).toBe(200)
    expect(r.json).toEqual({ jsonrpc: '2.0', id: 1, result: '0xff' })
  })

  it('bad JSON is a parse error (-32700)', async () => {
    const r = await post('{"jsonrpc":"2.0",')
    expect(r.json).toEqual({
      jsonrpc: '2.0',
      id: null,
      error: { code: -32700, message: 'parse error' },
    })
  })

  it('batches: answers each item in order; empty and over-limit batches are refused', async () => {
    const r = await post(
      JSON.stringify([
        { jsonrpc: '2.0', id: 1, method: 'add', params: [2, 3] },
        { jsonrpc: '2.0', id: 2, method: 'missing' },
        'junk',
      ]),
    )
    expect(r.json).toHaveLength(3)
    expect(r.json[0]).toEqual({ jsonrpc: '2.0', id: 1, result: 5 })
    expect(r.json[1]?.error.code).toBe(-32601)
    expect(r.json[2]?.error.code).toBe(-32600)
    expect((await post('[]')).json.error).toEqual({ code: -32600, message: 'empty batch' })
    const tooMany = Array.from({ length: rpcMaxBatchItems + 1 }, (_, i) => ({
      jsonrpc: '2.0',
      id: i,
      method: 'echo',
    }))
    expect((await post(JSON.stringify(tooMany))).json.error).toEqual({
      code: -32600,
      message: 'batch too large',
    })
    const justRight = tooMany.slice(0, rpcMaxBatchItems)
    expect((await post(JSON.stringify(justRight))).json).toHaveLength(rpcMaxBatchItems)
  })

  it('refuses a body over the limit with 413 and keeps serving', async () => {
    const big = JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'echo',
      params: ['x'.repeat(70 * 1024)],
    })
    const r = await post(big)
    expect(r.status).toBe(413)
    expect(r.json.error).toEqual({ code: -32600, message: 'request too large' })
    expect(
      (await post(JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'add', params: [1, 1] }))).json
        .result,
    ).toBe(2)
  })

  it('answers with a Content-Length, the CORS header, async methods and their errors', async () => {
    const res = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"jsonrpc":"2.0","id":1,"method":"add","params":[2,2]}',
      signal: AbortSignal.timeout(5000),
    })
    const text = await res.text()
    expect(res.headers.get('content-type')).toBe('application/json')
    expect(res.headers.get('content-length')).toBe(String(Buffer.byteLength(text)))
    expect(res.headers.get('access-control-allow-origin')).toBe('*')
    expect(JSON.parse(text)).toEqual({ jsonrpc: '2.0', id: 1, result: 4 })
    expect((await post('{"jsonrpc":"2.0","id":2,"method":"later","params":["a"]}')).json).toEqual({
      jsonrpc: '2.0',
      id: 2,
      result: 'a',
    })
    expect((await post('{"jsonrpc":"2.0","id":3,"method":"laterFail"}')).json.error).toEqual({
      code: -32000,
      message: 'not now',
      data: '0x01',
    })
  })

  it('reads a body that comes in several chunks', async () => {
    const { request } = await import('node:http')
    const body = JSON.stringify({
      jsonrpc: '2.0',
      id: 5,
      method: 'echo',
      params: ['é'.repeat(3000)],
    })
    const text = await new Promise<string>((resolve, reject) => {
      const req = request(
        server.url,
        { method: 'POST', headers: { 'content-type': 'application/json' } },
        (res) => {
          let t = ''
          res.setEncoding('utf8')
          res.on('data', (d: string) => {
            t += d
          })
          res.on('end', () => resolve(t))
        },
      )
      req.setTimeout(5000, () => req.destroy(new Error('timeout')))
      req.on('error', reject)
      // chunked transfer, three pieces, the second cut inside a two-byte character
      const bytes = Buffer.from(body, 'utf8')
      req.write(bytes.subarray(0, 10))
      setImmediate(() => {
        req.write(bytes.subarray(10, 2001))
        setImmediate(() => req.end(bytes.subarray(2001)))
      })
    })
    const reply = JSON.parse(text) as { id: number; result: string[] }
    expect(reply.id).toBe(5)
    expect(reply.result[0]).toBe('é'.repeat(3000))
  })

  it('a result that is not JSON is a 500 and the server keeps serving', async () => {
    const r = await post('{"jsonrpc":"2.0","id":1,"method":"circular"}')
    expect(r.status).toBe(500)
    expect(r.json.error).toEqual({ code: -32603, message: 'internal error' })
    expect((await post('{"jsonrpc":"2.0","id":2,"method":"add","params":[1,2]}')).json.result).toBe(
      3,
    )
  })

  it('a malformed request is a 400 with a JSON-RPC error and Connection: close', async () => {
    const { connect } = await import('node:net')
    const text = await new Promise<string>((resolve, reject) => {
      const sock = connect({ host: '127.0.0.1', port: server.port })
      let t = ''
      sock.on('data', (d: Buffer) => {
        t += d.toString('latin1')
      })
      sock.on('close', () => resolve(t))
      sock.on('error', reject)
      sock.setTimeout(5000, () => sock.destroy(new Error('timeout')))
      // HTTP/1.1 without Host (node:http answered this 400 too)
      sock.write('POST / HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}')
    })
    expect(text).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/)
    expect(text).toContain('connection: close\r\n')
    expect(text).toContain('access-control-allow-origin: *\r\n')
    const body = JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4))
    expect(body).toEqual({ jsonrpc: '2.0', id: null, error: { code: -32600, message: 'no Host' } })
  })

  it('only POST (and CORS preflight, and an empty GET as a health check)', async () => {
    const get = await fetch(server.url, { signal: AbortSignal.timeout(5000) })
    expect(get.status).toBe(200)
    expect(await get.text()).toBe('')
    const query = await fetch(`${server.url}/?x=1`, { signal: AbortSignal.timeout(5000) })
    expect(query.status).toBe(405)
    expect(query.headers.get('allow')).toBe('POST, GET, OPTIONS')
    expect(((await query.json()) as Reply).error.code).toBe(-32600)
    for (const method of ['PUT', 'DELETE']) {
      const res = await fetch(server.url, { method, signal: AbortSignal.timeout(5000) })
      expect(res.status).toBe(405)
      expect(res.headers.get('allow')).toBe('POST, GET, OPTIONS')
      expect(res.headers.get('access-control-allow-origin')).toBe('*')
      await res.arrayBuffer()
    }
    const opt = await fetch(server.url, { method: 'OPTIONS', signal: AbortSignal.timeout(5000) })
    expect(opt.status).toBe(204)
    expect(opt.headers.get('access-control-allow-origin')).toBe('*')
  })
})
