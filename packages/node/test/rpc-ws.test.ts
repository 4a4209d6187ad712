/**
 * The WebSocket JSON-RPC server on its own (batches, errors, size limit, the bounded send queue
 * that cuts off a client that never reads), the HTTP Host/CORS checks, namespace filtering, and
 * the subscription hub over a fake chain (logs with `removed: true` on a reorg).
 */
import type { ChainEvent } from '@ethwire/chain'
import type { Block, ReceiptData } from '@ethwire/rlp-wire'
import { afterEach, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { filterMethods, type RpcMethods } from '../src/rpc/dispatch.js'
import { corsOrigin, hostAllowed, type RpcServer, startRpcServer } from '../src/rpc/http.js'
import { createSubscriptionHub } from '../src/rpc/subscriptions.js'
import { startWsServer, type WsRpcServer, wsCutOffCode, wsCutOffReason } from '../src/rpc/ws.js'
import { within } from './helpers/wait.js'

const methods: RpcMethods = {
  add: (p) => (p[0] as number) + (p[1] as number),
  big: (p) => 'x'.repeat(p[0] as number),
}

function connect(url: string): Promise<WebSocket> {
  return within(
    new Promise((resolve, reject) => {
      const c = new WebSocket(url)
      c.once('open', () => resolve(c))
      c.once('error', reject)
    }),
    5000,
    'connect',
  )
}

/** Sends one text message and waits for the next message. */
function ask(c: WebSocket, text: string): Promise<unknown> {
  return within(
    new Promise((resolve) => {
      c.once('message', (d) => resolve(JSON.parse(String(d))))
      c.send(text)
    }),
    5000,
    'answer',
  )
}

const closed = (c: WebSocket): Promise<{ code: number; reason: string }> =>
  within(
    new Promise((resolve) =>
      c.once('close', (code, reason) => resolve({ code, reason: String(reason) })),
    ),
    10_000,
    'close',
  )

let ws: WsRpcServer | undefined
let http: RpcServer | undefined
const clients: WebSocket[] = []
afterEach(async () => {
  for (const c of clients.splice(0)) c.terminate()
  await ws?.close()
  await http?.close()
  ws = undefined
  http = undefined
})

describe('WebSocket JSON-RPC server', () => {
  it('answers requests, batches and malformed input like the HTTP server', async () => {
    ws = await startWsServer({ methods }, { host: '127.0.0.1', port: 0 })
    const c = await connect(ws.url)
    clients.push(c)
    expect(
      await ask(c, JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'add', params: [2, 3] })),
    ).toEqual({
      jsonrpc: '2.0',
      id: 1,
      result: 5,
    })
    const batch = (await ask(
      c,
      JSON.stringify([
        { jsonrpc: '2.0', id: 1, method: 'add', params: [1, 1] },
        { jsonrpc: '2.0', id: 2, method: 'nope' },
      ]),
    )) as { id: number; result?: unknown; error?: { code: number } }[]
    expect(batch.map((r) => r.id)).toEqual([1, 2])
    expect(batch[0]?.result).toBe(2)
    expect(batch[1]?.error?.code).toBe(-32601)
    expect(await ask(c, '{not json')).toEqual({
      jsonrpc: '2.0',
      id: null,
      error: { code: -32700, message: 'parse error' },
    })
    expect(await ask(c, '[]')).toMatchObject({ error: { code: -32600, message: 'empty batch' } })
  })

  it('closes a connection that sends a message over the size limit (1009)', async () => {
    ws = await startWsServer({ methods }, { host: '127.0.0.1', port: 0, maxMessageBytes: 1024 })
    const c = await connect(ws.url)
    clients.push(c)
    const done = closed(c)
    c.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'big', params: ['y'.repeat(2000)] }))
    expect((await done).code).toBe(1009)
  })

  it('cuts off a client that never reads instead of queueing without bound', async () => {
    const limit = 1024 * 1024
    ws = await startWsServer(
      { methods },
      { host: '127.0.0.1', port: 0, maxSendQueueBytes: limit, closeGraceMs: 30_000 },
    )
    const server = ws
    const c = await connect(ws.url)
    clients.push(c)
    c.pause() // the client stops reading: the kernel buffers fill, then the server's queue
    const cut = within(
      new Promise<{ queuedBytes: number }>((resolve) => server.onCutOff(resolve)),
      20_000,
      'cut-off',
    )
    const answer = 256 * 1024
    // 256 answers of 256 KiB: 64 MiB, far more than loopback buffers hold
    for (let i = 0; i < 256; i++)
      c.send(JSON.stringify({ jsonrpc: '2.0', id: i, method: 'big', params: [answer] }))
    const info = await cut
    expect(info.queuedBytes).toBeLessThanOrEqual(limit)
    const stats = server.stats()
    expect(stats.cutOff).toBe(1)
    // never more than the limit was waiting when a message was queued
    expect(stats.maxQueuedBytes).toBeLessThanOrEqual(limit)
    // the client that reads again gets what was queued, then the close with the reason
    const done = closed(c)
    c.resume()
    expect(await done).toEqual({ code: wsCutOffCode, reason: wsCutOffReason })
  })
})

describe('HTTP Host and CORS checks (go-ethereum --http.vhosts / --http.corsdomain)', () => {
  it('decides hosts and origins as go-ethereum', () => {
    expect(hostAllowed('localhost:8545', ['localhost'])).toBe(true)
    expect(hostAllowed('127.0.0.1:8545', ['localhost'])).toBe(true)
    expect(hostAllowed('[::1]:8545', ['localhost'])).toBe(true)
    expect(hostAllowed('evil.example:8545', ['localhost'])).toBe(false)
    expect(hostAllowed('Node.Example', ['node.example'])).toBe(true)
    expect(hostAllowed('anything', ['*'])).toBe(true)
    expect(hostAllowed(undefined, ['localhost'])).toBe(true)
    expect(corsOrigin('https://a.example', [])).toBeUndefined()
    expect(corsOrigin('https://a.example', ['https://a.example'])).toBe('https://a.example')
    expect(corsOrigin('https://b.example', ['https://a.example'])).toBeUndefined()
    expect(corsOrigin(undefined, ['*'])).toBe('*')
  })

  it('answers 403 to a Host not in the list and CORS headers only to allowed origins', async () => {
    http = await startRpcServer(methods, {
      host: '127.0.0.1',
      port: 0,
      vhosts: ['localhost'],
      corsDomains: ['https://app.example'],
    })
    const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'add', params: [1, 2] })
    const { request } = await import('node:http')
    const post = (headers: Record<string, string>) =>
      within(
        new Promise<{ status: number; headers: Record<string, unknown>; text: string }>(
          (resolve, reject) => {
            const req = request(
              http?.url as string,
              { method: 'POST', headers: { 'content-type': 'application/json', ...headers } },
              (res) => {
                let text = ''
                res.on('data', (d) => {
                  text += d
                })
                res.on('end', () =>
                  resolve({ status: res.statusCode ?? 0, headers: res.headers, text }),
                )
              },
            )
            req.on('error', reject)
            req.end(body)
          },
        ),
        5000,
        'http',
      )
    const bad = await post({ host: 'evil.example' })
    expect(bad.status).toBe(403)
    expect(bad.text).toBe('invalid host specified\n')
    const ok = await post({ host: 'localhost', origin: 'https://app.example' })
    expect(ok.status).toBe(200)
    expect(JSON.parse(ok.text).result).toBe(3)
    expect(ok.headers['access-control-allow-origin']).toBe('https://app.example')
    const other = await post({ host: 'localhost:8545', origin: 'https://other.example' })
    expect(other.status).toBe(200)
    expect(other.headers['access-control-allow-origin']).toBeUndefined()
  })

  it('serves only the namespaces given (--http.api / --ws.api)', () => {
    const all: RpcMethods = { eth_a: () => 1, net_b: () => 2, admin_c: () => 3 }
    expect(Object.keys(filterMethods(all, ['eth', 'net']))).toEqual(['eth_a', 'net_b'])
    expect(Object.keys(filterMethods(all, undefined))).toEqual(['eth_a', 'net_b', 'admin_c'])
  })
})

describe('subscription hub', () => {
  const h = (n: number) => Uint8Array.from({ length: 32 }, (_, i) => (i === 31 ? n : 0))
  const addr = Uint8Array.from({ length: 20 }, () => 0x11)
  const topic = h(0x77)
  /** A fake block: only what the hub reads. */
  const block = (id: number, number: bigint, parent: number): Block =>
    ({
      hash: h(id),
      header: { hash: h(id), number, parentHash: h(parent), time: 0n },
      transactions: [{ hash: h(100 + id) }],
    }) as unknown as Block
  const receiptsOf = (id: number): ReceiptData[] => [
    {
      type: 0,
      postStateOrStatus: Uint8Array.of(1),
      cumulativeGasUsed: 21_000n,
      logs: [{ address: addr, topics: [topic], data: Uint8Array.of(id) }],
    },
  ]

  it('sends logs of new canonical blocks and the dropped ones with removed: true on a reorg', async () => {
    // genesis 0 ← 1 ← 2 (old branch); 0 ← 3 ← 4 (new branch)
    const blocks = new Map<number, Block>([
      [0, block(0, 0n, 0)],
      [1, block(1, 1n, 0)],
      [2, block(2, 2n, 1)],
      [3, block(3, 1n, 0)],
      [4, block(4, 2n, 3)],
    ])
    const byHash = (hash: Uint8Array) => blocks.get(hash[31] as number)
    let emit: (e: ChainEvent) => void = () => {}
    const hub = createSubscriptionHub({
      backend: {
        blockByHash: async (hash) => byHash(hash),
        receipts: async (hash) => receiptsOf(hash[31] as number),
      },
      onChain: (l) => {
        emit = l
        return () => {}
      },
      onPending: () => () => {},
    })
    const got: { sub: string; result: { data: string; removed: boolean; blockHash: string } }[] = []
    const session = hub.open((sub, result) => got.push({ sub, result: result as never }))
    const id = (await session.methods.eth_subscribe?.([
      'logs',
      { address: `0x${'11'.repeat(20)}`, topics: [`0x${'00'.repeat(31)}77`] },
    ])) as string
    const other = (await session.methods.eth_subscribe?.([
      'logs',
      { topics: [`0x${'00'.repeat(31)}78`] },
    ])) as string
    expect(id).not.toBe(other)
    emit({ type: 'block', block: blocks.get(1) as Block, canonical: true })
    emit({ type: 'block', block: blocks.get(2) as Block, canonical: true })
    emit({ type: 'block', block: blocks.get(3) as Block, canonical: false })
    emit({
      type: 'reorg',
      oldHead: (blocks.get(2) as Block).header,
      newHead: (blocks.get(4) as Block).header,
      ancestor: 0n,
    })
    emit({ type: 'block', block: blocks.get(4) as Block, canonical: true })
    await hub.idle()
    expect(got.every((g) => g.sub === id)).toBe(true)
    expect(got.map((g) => [g.result.data, g.result.removed])).toEqual([
      ['0x01', false],
      ['0x02', false],
      ['0x02', true],
      ['0x01', true],
      ['0x03', false],
      ['0x04', false],
    ])
    expect(await session.methods.eth_unsubscribe?.([id])).toBe(true)
    await expect(session.methods.eth_unsubscribe?.([id])).rejects.toThrow('subscription not found')
    await expect(session.methods.eth_subscribe?.(['nope'])).rejects.toThrow(
      'no "nope" subscription',
    )
    session.close()
    hub.close()
  })
})
