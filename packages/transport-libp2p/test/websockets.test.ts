/**
 * WebSockets beside TCP: the shared compliance suites of `@ethwire/interface/testing` over
 * libp2p WebSockets on 127.0.0.1 (`transportSuite` on a connected pair, `ethTransportSuite` on a
 * WebSockets-only transport), a node listening on both, the address rules, and a child process
 * that dials over ws and stops, then exits by itself (no socket or timer left).
 */
import { fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { ethTransportSuite, transportSuite } from '@ethwire/interface/testing'
import { describe, expect, it } from 'vitest'
import { type ConnectedPair, connectedPair } from '../src/testing.js'
import {
  createLibp2pTransport,
  defaultTransports,
  libp2pTransportFor,
  listenAddresses,
} from '../src/transport.js'

const ws = ['/ip4/127.0.0.1/tcp/0/ws']
const cap = 64 * 1024
let current: ConnectedPair | undefined

await transportSuite({
  name: 'libp2p over WebSockets',
  setup: async () => {
    current = await connectedPair(
      { maxMessageSizeBytes: cap, transports: ['websockets'] },
      { maxMessageSizeBytes: cap, transports: ['websockets'], listen: ws },
    )
    expect(current.outbound.remoteAddress).toMatch(/\/ws\/p2p\//)
    return { outbound: current.outbound, inbound: current.inbound, maxMessageSizeBytes: cap }
  },
  teardown: async () => {
    await current?.stop()
    current = undefined
  },
})

await ethTransportSuite({
  name: 'libp2p over WebSockets',
  create: () =>
    createLibp2pTransport({}, { transports: ['websockets'], listen: ws, versions: [67, 68] }),
})

describe('WebSockets and TCP side by side', () => {
  it('a node listens on both; TCP-only and WebSockets-only dialers each reach it on theirs', async () => {
    const node = createLibp2pTransport(
      {},
      { listen: listenAddresses({ port: 0, wsPort: 0 }), versions: [68] },
    )
    const overTcp = createLibp2pTransport({}, { transports: ['tcp'], versions: [68] })
    const overWs = createLibp2pTransport({}, { transports: ['websockets'], versions: [68] })
    try {
      const addrs = await node.listen()
      const tcpAddr = addrs.find((a) => libp2pTransportFor(a) === 'tcp')!
      const wsAddr = addrs.find((a) => libp2pTransportFor(a) === 'websockets')!
      expect(tcpAddr).toMatch(/^\/ip4\/127\.0\.0\.1\/tcp\/\d+\/p2p\/\w+$/)
      expect(wsAddr).toMatch(/^\/ip4\/127\.0\.0\.1\/tcp\/\d+\/ws\/p2p\/\w+$/)
      expect(node.canDial(tcpAddr) && node.canDial(wsAddr)).toBe(true)
      expect(overTcp.canDial(wsAddr)).toBe(false)
      expect(overWs.canDial(tcpAddr)).toBe(false)
      expect(overWs.addresses()).toEqual([]) // nothing to listen on: dials only
      await overWs.start()
      expect(overWs.addresses()).toEqual([])

      const inbound: string[] = []
      node.onConnection((c) => {
        if (c.direction === 'inbound') inbound.push(c.remoteAddress)
      })
      const a = await overTcp.dial(tcpAddr)
      const b = await overWs.dial(wsAddr)
      expect(a.remoteAddress).toBe(tcpAddr)
      expect(b.remoteAddress).toBe(wsAddr)
      await b.writeMsg(0x03, Uint8Array.of(0xc0))
      await expect.poll(() => inbound.length).toBe(2)
      expect(inbound.filter((r) => r.includes('/ws/'))).toHaveLength(1)
    } finally {
      await Promise.all([node.close(), overTcp.close(), overWs.close()])
    }
  })

  it('a dial over a transport the node does not have fails as ErrDial, not at canDial time', async () => {
    const node = createLibp2pTransport({}, { transports: ['tcp'], versions: [68] })
    try {
      await expect(node.dial('/ip4/127.0.0.1/tcp/1/ws')).rejects.toMatchObject({ code: 'ErrDial' })
    } finally {
      await node.close()
    }
  })

  it('rejects an unknown or empty transport list', () => {
    expect(() => createLibp2pTransport({}, { transports: [] })).toThrow(RangeError)
    expect(() => createLibp2pTransport({}, { transports: ['quic' as unknown as 'tcp'] })).toThrow(
      /unknown libp2p transport quic/,
    )
  })
})

describe('addresses', () => {
  it('libp2pTransportFor tells TCP from WebSockets multiaddrs', () => {
    const id = '12D3KooWH5rj7QMLhwUMeQQTcY3vyXqyPdMHV52zkuui6AEUELWb'
    expect(libp2pTransportFor('/ip4/1.2.3.4/tcp/30303')).toBe('tcp')
    expect(libp2pTransportFor(`/ip4/1.2.3.4/tcp/30303/p2p/${id}`)).toBe('tcp')
    expect(libp2pTransportFor(`/ip6/::1/tcp/1/p2p/${id}`)).toBe('tcp')
    expect(libp2pTransportFor('/dns4/example.org/tcp/443/wss')).toBe('websockets')
    expect(libp2pTransportFor(`/ip4/127.0.0.1/tcp/8546/ws/p2p/${id}`)).toBe('websockets')
    expect(libp2pTransportFor('/dns/example.org/tcp/443/tls/ws')).toBe('websockets')
    expect(libp2pTransportFor('/dns/example.org/tcp/443/tls/sni/example.org/ws')).toBe('websockets')
    expect(libp2pTransportFor('/ip4/1.2.3.4/udp/30303/quic-v1')).toBeUndefined()
    expect(libp2pTransportFor('/ip4/1.2.3.4/tcp/1/http')).toBeUndefined()
    expect(libp2pTransportFor('enode://ab@1.2.3.4:30303')).toBeUndefined()
    expect(libp2pTransportFor('')).toBeUndefined()
  })

  it('listenAddresses builds a node listen list from its ports', () => {
    expect(listenAddresses()).toEqual(['/ip4/127.0.0.1/tcp/0'])
    expect(listenAddresses({ host: '0.0.0.0', port: 30304, wsPort: 8546 })).toEqual([
      '/ip4/0.0.0.0/tcp/30304',
      '/ip4/0.0.0.0/tcp/8546/ws',
    ])
    expect(listenAddresses({ wsPort: 0 })).toEqual(['/ip4/127.0.0.1/tcp/0/ws'])
    expect(listenAddresses({ host: '::1', port: 1 })).toEqual(['/ip6/::1/tcp/1'])
    expect(() => listenAddresses({ wsPort: 70_000 })).toThrow(RangeError)
  })

  it('defaults to TCP and WebSockets on Node', () => {
    expect(defaultTransports()).toEqual(['tcp', 'websockets'])
  })
})

it('a WebSockets dial and stop() leave the process nothing to wait for: it exits by itself', async () => {
  const child = fork(fileURLToPath(new URL('./helpers/ws-loopback.ts', import.meta.url)), [], {
    execArgv: ['--conditions=@ethwire/source', '--import', 'tsx'],
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  })
  let out = ''
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString()
  })
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000)
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve))
  clearTimeout(timer)
  expect(child.signalCode).toBeNull() // not killed: it exited on its own
  expect(code).toBe(0)
  expect(out).toMatch(/^got 0x3 over \/ip4\/127\.0\.0\.1\/tcp\/\d+\/ws\/p2p\/\w+\nstopped\n$/)
}, 30_000)

it('in a browser build the node key on disk is a stub that says what to pass instead', async () => {
  const { loadOrCreatePeerKey } = await import('../src/peer-key.browser.js')
  await expect(loadOrCreatePeerKey('/data')).rejects.toMatchObject({
    code: 'ErrPeerKey',
    message: expect.stringMatching(/pass options\.privateKey/),
  })
})
