/**
 * `--ws.origins`: go-ethereum's WebSocket origin rules (node/rpcstack.go wsHandshakeValidator):
 * no Origin header is always taken, `*` takes any, a rule matches on the parts it names, and
 * with none given only http://localhost and http://<hostname> are taken. A refused handshake is
 * 403 "websocket: request origin not allowed".
 */
import { afterEach, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { nodeConfigFromFlags, parseArgs } from '../src/args.js'
import {
  originAllowedBy,
  startWsServer,
  type WsRpcServer,
  wsOriginAllowed,
  wsOriginRefusedMessage,
} from '../src/rpc/ws.js'

describe('origin rules', () => {
  it('a rule matches on the scheme, host and port it names', () => {
    expect(originAllowedBy('http://localhost', 'http://localhost:8080')).toBe(true)
    expect(originAllowedBy('http://localhost', 'https://localhost')).toBe(false)
    expect(originAllowedBy('localhost', 'https://localhost:3000')).toBe(true)
    expect(originAllowedBy('localhost:3000', 'https://localhost:3000')).toBe(true)
    expect(originAllowedBy('localhost:3000', 'https://localhost:3001')).toBe(false)
    expect(originAllowedBy('https://dapp.example:443', 'https://dapp.example:443')).toBe(true)
    expect(originAllowedBy('https://dapp.example:443', 'https://dapp.example')).toBe(false)
    expect(originAllowedBy('https://DApp.example', 'https://dapp.EXAMPLE')).toBe(true)
    expect(originAllowedBy('https://dapp.example', 'https://evil.example')).toBe(false)
  })

  it('no Origin is taken; * takes any; the default is localhost and the host name', () => {
    expect(wsOriginAllowed(undefined, [])).toBe(true)
    expect(wsOriginAllowed('https://evil.example', ['*'])).toBe(true)
    expect(wsOriginAllowed('http://localhost:5173', undefined, 'box')).toBe(true)
    expect(wsOriginAllowed('http://box', [], 'box')).toBe(true)
    expect(wsOriginAllowed('https://localhost', [], 'box')).toBe(false)
    expect(wsOriginAllowed('https://evil.example', undefined, 'box')).toBe(false)
    expect(wsOriginAllowed('http://localhost', ['https://dapp.example'], 'box')).toBe(false)
    expect(wsOriginAllowed('https://dapp.example', ['', 'https://dapp.example'])).toBe(true)
  })

  it('--ws.origins reaches the WebSocket options', () => {
    const p = parseArgs(['--ws', '--ws.origins', 'https://a.example,localhost'])
    expect(nodeConfigFromFlags(p.flags).ws?.origins).toEqual(['https://a.example', 'localhost'])
    expect(nodeConfigFromFlags(parseArgs(['--ws']).flags).ws?.origins).toBeUndefined()
  })
})

describe('the WebSocket server', () => {
  let server: WsRpcServer | undefined
  afterEach(async () => {
    await server?.close()
    server = undefined
  })

  /** The status of a handshake with this Origin: 101 taken, else the refusal's status and body. */
  const handshake = (url: string, origin: string | undefined) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const ws = new WebSocket(url, origin === undefined ? {} : { origin })
      ws.once('open', () => {
        ws.close()
        resolve({ status: 101, body: '' })
      })
      ws.once('unexpected-response', (_req, res) => {
        let body = ''
        res.on('data', (c: Buffer) => {
          body += c.toString('utf8')
        })
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
      })
      ws.once('error', (e) => reject(e))
    })

  it('refuses an origin not allowed with 403, takes allowed ones and non-browsers', async () => {
    server = await startWsServer(
      { methods: {} },
      { host: '127.0.0.1', port: 0, allowedOrigins: ['https://dapp.example'] },
    )
    expect(await handshake(server.url, 'https://dapp.example')).toEqual({ status: 101, body: '' })
    expect(await handshake(server.url, undefined)).toEqual({ status: 101, body: '' })
    const refused = await handshake(server.url, 'https://evil.example')
    expect(refused.status).toBe(403)
    expect(refused.body).toContain(wsOriginRefusedMessage)
  })

  it('by default takes http://localhost on any port and refuses other sites', async () => {
    server = await startWsServer({ methods: {} }, { host: '127.0.0.1', port: 0, hostname: 'box' })
    expect((await handshake(server.url, 'http://localhost:3000')).status).toBe(101)
    expect((await handshake(server.url, 'https://evil.example')).status).toBe(403)
  })
})
