/**
 * The TCP transport, ethwire to ethwire on 127.0.0.1: dial/listen by enode URL, onConnection,
 * peer limits and refusals with their reasons, the old-format auth, handshake timeout against a
 * silent server, stop() leaving nothing behind; enode URLs and the node key file.
 */
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { equalBytes, toHex, utf8 } from '../src/bytes.js'
import { publicKeyOf, randomSecretKey } from '../src/ecies.js'
import { formatEnode, parseEnode } from '../src/enode.js'
import { isRlpxError } from '../src/errors.js'
import { loadOrCreateNodeKey } from '../src/nodekey.js'
import type { RlpxStream } from '../src/session.js'
import {
  createRlpxTransport,
  type RlpxTransport,
  type RlpxTransportOptions,
} from '../src/transport.js'
import { systemRandom } from '../src/types.js'
import { DisconnectReason } from '../src/wire.js'
import { loadTestChain } from './helpers/chain.js'

const started: RlpxTransport[] = []
const servers: Server[] = []

afterEach(async () => {
  await Promise.all(started.splice(0).map((t) => t.stop()))
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))))
})

async function node(opts: Partial<RlpxTransportOptions> = {}) {
  const conns: RlpxStream[] = []
  const errors: unknown[] = []
  const t = createRlpxTransport(
    {},
    {
      nodeKey: randomSecretKey(systemRandom),
      listen: { host: '127.0.0.1', port: 0 },
      handshakeTimeoutMs: 3000,
      disconnectGraceMs: 200,
      onConnection: (c) => conns.push(c),
      onInboundError: (e) => errors.push(e),
      ...opts,
    },
  )
  started.push(t)
  await t.listen()
  return { t, conns, errors }
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p
  } catch (e) {
    return e
  }
  throw new Error('expected a rejection')
}

async function until(cond: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 5))
  }
}

describe('RLPx transport over TCP', () => {
  it('dials by enode URL; both sides get an EthConnection for the highest shared version', async () => {
    const a = await node({ ethVersions: [69, 68, 67] })
    const b = await node({ ethVersions: [68, 67, 66] })
    expect(b.t.enode).toMatch(/^enode:\/\/[0-9a-f]{128}@127\.0\.0\.1:\d+$/)
    expect(toHex(parseEnode(b.t.enode).id)).toBe(b.t.nodeId)
    const conn = await a.t.dial(b.t.enode)
    expect(a.conns).toEqual([conn])
    await until(() => b.conns.length === 1)
    const other = b.conns[0]!
    expect([conn.version, other.version]).toEqual([68, 68])
    expect(conn.remoteId).toBe(b.t.nodeId)
    expect(other.remoteId).toBe(a.t.nodeId)
    expect(conn.remoteAddress).toBe(b.t.enode)
    expect(other.remoteAddress).toBe(a.t.enode) // the Hello listen port names the inbound peer
    expect(a.t.peerCount).toBe(1)
    await conn.writeMsg(0x02, utf8('over tcp'))
    expect(await other.readMsg()).toMatchObject({ code: 0x02, payload: utf8('over tcp') })
    // 5 MiB message: several TCP chunks, snappy, one frame
    const big = new Uint8Array(5 * 1024 * 1024).map((_, i) => (i * 7) & 0xff)
    await other.writeMsg(0x06, big)
    expect(equalBytes((await conn.readMsg()).payload, big)).toBe(true) // (deep toEqual on 5 MiB is very slow)
    await conn.close(DisconnectReason.TooManyPeers)
    await until(() => other.closeInfo !== undefined)
    expect(other.closeInfo).toEqual({ reason: DisconnectReason.TooManyPeers, remote: true })
    await until(() => a.t.peerCount === 0 && b.t.peerCount === 0)
  })

  it('refuses a second connection to the same node and peers beyond maxPeers, telling them why', async () => {
    const a = await node()
    const b = await node({ maxPeers: 1 })
    const c = await node()
    await a.t.dial(b.t.enode)
    const again = await rejection(a.t.dial(b.t.enode))
    expect(isRlpxError(again, 'ErrAlreadyConnected')).toBe(true)
    await until(() => b.t.peerCount === 1)
    const full = await rejection(c.t.dial(b.t.enode))
    expect(isRlpxError(full, 'ErrDisconnected') && full.reason).toBe(DisconnectReason.TooManyPeers)
    await until(() => b.errors.length === 1)
    expect(isRlpxError(b.errors[0], 'ErrTooManyPeers')).toBe(true)
    expect(isRlpxError(await rejection(a.t.dial(a.t.enode)), 'ErrIdentity')).toBe(true)
  })

  it('options.admit can refuse a peer with any reason; it is told before Hello', async () => {
    const seen: string[] = []
    const inboundErrors: unknown[] = []
    const b = createRlpxTransport({
      nodeKey: randomSecretKey(systemRandom),
      listen: { host: '127.0.0.1', port: 0 },
      admit: (id) => {
        seen.push(id)
        return DisconnectReason.UselessPeer
      },
      onInboundError: (e) => inboundErrors.push(e),
    })
    started.push(b)
    await b.listen()
    const a = await node()
    const err = await rejection(a.t.dial(b.enode))
    expect(isRlpxError(err, 'ErrDisconnected') && err.reason).toBe(DisconnectReason.UselessPeer)
    expect(seen).toEqual([a.t.nodeId])
    expect(b.peerCount).toBe(0)
    // our side names the refusal for what it is (it used to say ErrIdentity), with the reason
    await until(() => inboundErrors.length === 1)
    const refused = inboundErrors[0]
    expect(isRlpxError(refused, 'ErrRefused') && refused.reason).toBe(DisconnectReason.UselessPeer)
  })

  it('connections carry the direction the transport knows; listen resolves with the enode URL', async () => {
    const a = await node()
    const b = await node()
    expect(await b.t.listen()).toEqual([b.t.enode])
    expect(b.t.addresses()).toEqual([b.t.enode])
    expect(b.t.listenAddress?.port).toBe(parseEnode(b.t.enode).port)
    expect(b.t.canDial(b.t.enode)).toBe(true)
    expect(b.t.canDial('enode://nothex@127.0.0.1:1')).toBe(false)
    expect(b.t.canDial('/ip4/127.0.0.1/tcp/1')).toBe(false)
    const out = await a.t.dial(b.t.enode)
    await until(() => b.conns.length === 1)
    expect(out.direction).toBe('outbound')
    expect(out.session.direction).toBe('outbound')
    expect(b.conns[0]?.direction).toBe('inbound')
    expect(a.t.connectionCount).toBe(1)
  })

  it('a peer with no shared eth version is refused as UselessPeer', async () => {
    const a = await node({ ethVersions: [69] })
    const b = await node({ ethVersions: [66] })
    const err = await rejection(a.t.dial(b.t.enode))
    expect(
      isRlpxError(err, 'ErrUselessPeer') ||
        (isRlpxError(err, 'ErrDisconnected') && err.reason === DisconnectReason.UselessPeer),
    ).toBe(true)
    expect(a.t.peerCount + b.t.peerCount).toBe(0)
  })

  it('dialing the wrong node id fails the handshake', async () => {
    const a = await node()
    const b = await node()
    const wrong = formatEnode({
      ...parseEnode(b.t.enode),
      id: publicKeyOf(randomSecretKey(systemRandom)),
    })
    const err = await rejection(a.t.dial(wrong))
    expect(isRlpxError(err)).toBe(true)
    if (isRlpxError(err))
      expect(['ErrDisconnected', 'ErrNetwork', 'ErrHandshake']).toContain(err.code)
    await until(() => b.errors.length === 1)
    expect(isRlpxError(b.errors[0], 'ErrHandshake')).toBe(true) // B could not decrypt an auth meant for someone else
  })

  it('the recipient accepts the old (pre-EIP-8) auth and answers in kind', async () => {
    const a = await node()
    const b = await node()
    const conn = await a.t.dial(b.t.enode, { legacyAuth: true })
    await until(() => b.conns.length === 1)
    await b.conns[0]!.writeMsg(1, utf8('legacy ok'))
    expect((await conn.readMsg()).payload).toEqual(utf8('legacy ok'))
  })

  it('dial times out the handshake against a server that never answers', async () => {
    const silent = createServer((sock) => {
      sock.on('error', () => {})
      sock.on('end', () => sock.destroy())
      sock.resume() // read (and ignore) the auth, so the client's close is seen
    })
    servers.push(silent)
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r))
    const port = (silent.address() as { port: number }).port
    // The dial timeout is far beyond the test's own: only the 200 ms handshake timeout can end it.
    const a = await node({ handshakeTimeoutMs: 200, dialTimeoutMs: 600_000 })
    const enode = formatEnode({
      id: publicKeyOf(randomSecretKey(systemRandom)),
      host: '127.0.0.1',
      port,
    })
    const err = await rejection(a.t.dial(enode))
    expect(isRlpxError(err, 'ErrHandshakeTimeout')).toBe(true)
  })

  it('a refused TCP connection is ErrNetwork; a bad URL is ErrInvalidEnode', async () => {
    const a = await node()
    const closed = createServer()
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r))
    const port = (closed.address() as { port: number }).port
    await new Promise((r) => closed.close(r))
    const enode = formatEnode({
      id: publicKeyOf(randomSecretKey(systemRandom)),
      host: '127.0.0.1',
      port,
    })
    expect(isRlpxError(await rejection(a.t.dial(enode)), 'ErrNetwork')).toBe(true)
    expect(
      isRlpxError(await rejection(a.t.dial('enode://1234@127.0.0.1:30303')), 'ErrInvalidEnode'),
    ).toBe(true)
  })

  it('stop() closes sessions with ClientQuitting and leaves no sockets or timers', async () => {
    const timersBefore = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length
    const a = await node()
    const b = await node()
    const conn = await a.t.dial(b.t.enode)
    await until(() => b.conns.length === 1)
    await a.t.stop()
    expect(conn.closeInfo).toEqual({ reason: DisconnectReason.ClientQuitting, remote: false })
    await until(() => b.conns[0]!.closeInfo !== undefined)
    expect(b.conns[0]!.closeInfo).toEqual({ reason: DisconnectReason.ClientQuitting, remote: true })
    await b.t.stop()
    started.length = 0
    await until(
      () =>
        process
          .getActiveResourcesInfo()
          .filter((r) => r === 'TCPSocketWrap' || r === 'TCPServerWrap').length === 0,
    )
    const timers = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length
    expect(timers).toBeLessThanOrEqual(timersBefore) // our keep-alive and grace timers are gone
    expect(isRlpxError(await rejection(a.t.dial(b.t.enode)), 'ErrStopped')).toBe(true)
  })
})

describe('enode URLs', () => {
  const id = publicKeyOf(randomSecretKey(systemRandom))
  it('round-trips IPv4, IPv6 and discport', () => {
    for (const e of [
      { id, host: '10.0.0.1', port: 30303 },
      { id, host: '::1', port: 30303 },
      { id, host: 'node.example', port: 1, discPort: 30301 },
    ]) {
      expect(parseEnode(formatEnode(e))).toEqual(e)
    }
    expect(formatEnode({ id, host: '::1', port: 5 })).toBe(`enode://${toHex(id)}@[::1]:5`)
  })
  it('rejects malformed URLs and ids that are not curve points', () => {
    for (const bad of [
      `enode://${toHex(id)}@1.2.3.4`,
      `enode://${toHex(id)}@1.2.3.4:70000`,
      `enode://${toHex(id).slice(2)}@1.2.3.4:1`,
      `enode://${'00'.repeat(64)}@1.2.3.4:1`,
      `enr:-abc`,
    ]) {
      expect(() => parseEnode(bad)).toThrow(/ErrInvalidEnode/)
    }
  })
})

describe('node key file', () => {
  it('creates the key once (0600), then loads the same key; refuses a corrupt file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rlpx-key-'))
    try {
      const datadir = join(dir, 'sub', 'dir')
      const k1 = await loadOrCreateNodeKey(datadir)
      const k2 = await loadOrCreateNodeKey(datadir)
      expect(k2).toEqual(k1)
      expect((await readFile(join(datadir, 'nodekey'), 'utf8')).trim()).toBe(toHex(k1))
      expect((await stat(join(datadir, 'nodekey'))).mode & 0o777).toBe(0o600)
      await writeFile(join(datadir, 'nodekey'), 'not a key')
      expect(isRlpxError(await rejection(loadOrCreateNodeKey(datadir)), 'ErrInvalidNodeKey')).toBe(
        true,
      )
      await writeFile(join(datadir, 'nodekey'), '00'.repeat(32))
      expect(isRlpxError(await rejection(loadOrCreateNodeKey(datadir)), 'ErrInvalidNodeKey')).toBe(
        true,
      )
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})

describe('test chain fixture', () => {
  it('blocks link by parent hash (so the header hashes the interop tests use are right)', () => {
    const { genesisHash, blocks } = loadTestChain()
    let parent = genesisHash
    for (const b of blocks) {
      expect((b.header as Uint8Array[])[0]).toEqual(parent)
      parent = b.hash
    }
    expect(blocks.map((b) => b.number)).toEqual([1, 2, 3, 4, 5, 6, 7, 8])
  })
})
