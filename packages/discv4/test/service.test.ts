/**
 * The service's own behaviour on a virtual clock: revalidation (and the EIP-868 record update
 * it triggers), removal of dead nodes, lookups across scripted peers, persistence, and bad input.
 * Sockets are real (127.0.0.1); every timer that decides behaviour runs on the ManualClock.
 */
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import {
  createDiscv4,
  type Discv4,
  type Discv4Options,
  Enr,
  ethEntry,
  ipToBytes,
  nodesFileName,
  PacketType,
  publicKeyOf,
} from '../src/index.js'
import { flush, ManualClock, TestPeer, testKey } from '../src/testing.js'

const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

async function start(
  clock: ManualClock,
  opts: Partial<Discv4Options> = {},
  key = 1,
): Promise<Discv4> {
  const d = createDiscv4(
    { clock },
    { privateKey: testKey(key), listen: { host: '127.0.0.1', port: 0 }, tcpPort: 30303, ...opts },
  )
  await d.start()
  cleanups.push(() => d.stop())
  for (let i = 0; i < 100 && !d.isReady; i++) await flush()
  return d
}

async function peerOf(clock: ManualClock, key: number): Promise<TestPeer> {
  const p = await TestPeer.create({ clock, privateKey: testKey(key) })
  cleanups.push(() => p.close())
  return p
}

/** Advances the clock in steps, letting real I/O run between, until `cond` (bounded). */
async function advanceUntil(clock: ManualClock, cond: () => boolean, stepMs = 250, maxSteps = 400) {
  for (let i = 0; i < maxSteps && !cond(); i++) {
    await clock.advance(stepMs)
    await new Promise((r) => setTimeout(r, 2))
  }
  expect(cond()).toBe(true)
}

async function until(cond: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 20_000
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`)
    await new Promise((r) => setTimeout(r, 5))
  }
}

describe('revalidation', () => {
  it('pings table nodes; a higher enrSeq in the Pong fetches the new record (EIP-868)', async () => {
    const clock = new ManualClock(1_700_000_000_000)
    const disc = await start(clock)
    const peer = await peerOf(clock, 50)
    await peer.bond(disc.address)
    await until(() => disc.tableSize === 1, 'peer in the table')
    expect(disc.tableNodes()[0]!.enr).toBeUndefined()
    const record = Enr.sign({
      privateKey: peer.privateKey,
      seq: 9n,
      entries: {
        ip: ipToBytes('127.0.0.1'),
        udp: peer.address.port,
        tcp: 30399,
        eth: ethEntry({ hash: Uint8Array.of(1, 2, 3, 4), next: 0n }),
      },
    })
    const stop = peer.serve({ enr: record, enrSeq: 9n })
    cleanups.push(async () => stop())
    await advanceUntil(clock, () => disc.tableNodes()[0]?.enr !== undefined)
    const n = disc.tableNodes()[0]!
    expect(n.enr!.seq).toBe(9n)
    expect(n.tcpPort).toBe(30399)
    expect(n.enr!.ethForkId).toEqual({ hash: Uint8Array.of(1, 2, 3, 4), next: 0n })
  })

  it('a node that stops answering is dropped (nodeRemoved)', async () => {
    const clock = new ManualClock(1_700_000_000_000)
    const disc = await start(clock)
    const peer = await peerOf(clock, 51)
    await peer.bond(disc.address)
    await until(() => disc.tableSize === 1, 'peer in the table')
    const removed: string[] = []
    disc.on('nodeRemoved', (n) => removed.push(n.idHex))
    // The peer never answers the revalidation Ping.
    await advanceUntil(clock, () => removed.length === 1)
    expect(disc.tableSize).toBe(0)
    const ping = await peer.next({ type: PacketType.Ping })
    expect(ping.packet.type).toBe(PacketType.Ping)
  })
})

describe('lookups', () => {
  it('walks scripted peers: A knows B, B knows C; the lookup finds all three', async () => {
    const clock = new ManualClock(1_700_000_000_000)
    const disc = await start(clock)
    const [a, b, c] = [await peerOf(clock, 60), await peerOf(clock, 61), await peerOf(clock, 62)]
    const stops = [
      a.serve({ neighbors: () => [b.asWireNode()] }),
      b.serve({ neighbors: () => [c.asWireNode()] }),
      c.serve({ neighbors: () => [] }),
    ]
    cleanups.push(async () => {
      for (const s of stops) s()
    })
    disc.addNodes([
      {
        ...(await import('../src/index.js')).makeNode({
          publicKey: a.publicKey,
          ip: '127.0.0.1',
          udpPort: a.address.port,
          tcpPort: 30303,
        }),
      },
    ])
    let result: unknown
    const p = disc.lookup(publicKeyOf(testKey(999))).then((r) => {
      result = r
    })
    await advanceUntil(clock, () => result !== undefined, 100)
    await p
    const ids = (result as { idHex: string }[]).map((n) => n.idHex).sort()
    const want = [a, b, c].map((x) => Buffer.from(x.id).toString('hex')).sort()
    expect(ids).toEqual(want)
    expect(disc.tableSize).toBe(3)
    // Each was bonded first: a Ping reached every peer before its FindNode was answered.
    expect(disc.stats.handled.Neighbors).toBeGreaterThanOrEqual(3)
  })

  it('FindNode answers are capped at 16 nodes, relay-checked, in packets of at most 12', async () => {
    const clock = new ManualClock(1_700_000_000_000)
    const disc = await start(clock)
    const { makeNode } = await import('../src/index.js')
    const nodes = Array.from({ length: 40 }, (_, i) =>
      makeNode({
        publicKey: publicKeyOf(testKey(300 + i)),
        // Loopback nodes may go to a loopback asker; 192.0.2.x (TEST-NET) may not go anywhere.
        ip: i % 10 === 0 ? `192.0.2.${i}` : `127.0.${i}.1`,
        udpPort: 30303,
        tcpPort: 30303,
      }),
    )
    disc.addNodes(nodes)
    const peer = await peerOf(clock, 63)
    await peer.bond(disc.address)
    peer.send(disc.address, {
      type: PacketType.FindNode,
      target: publicKeyOf(testKey(5)),
      expiration: peer.expiration(),
    })
    const first = await peer.next({ type: PacketType.Neighbors })
    const { keccak256 } = await import('@ethwire/rlp-wire')
    const { distCompare } = await import('../src/index.js')
    const target = keccak256(publicKeyOf(testKey(5)))
    const closest = disc
      .tableNodes()
      .sort((x, y) => distCompare(target, x.id, y.id))
      .slice(0, 16)
    const relayable = closest.filter((n) => n.ip.startsWith('127.'))
    expect(relayable.length).toBeGreaterThan(12) // so the answer takes two packets
    const all: Uint8Array[] = []
    let r = first
    for (;;) {
      const list = r.packet.type === PacketType.Neighbors ? r.packet.nodes : []
      expect(list.length).toBeLessThanOrEqual(12)
      all.push(...list.map((n) => n.publicKey))
      if (all.length >= relayable.length) break
      r = await peer.next({ type: PacketType.Neighbors })
    }
    expect(all.map((k) => Buffer.from(k).toString('hex'))).toEqual(
      relayable.map((n) => Buffer.from(n.publicKey).toString('hex')),
    )
  })
})

describe('persistence', () => {
  it('writes known nodes with their proofs; a restart seeds from them and keeps the record seq', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'discv4-store-'))
    cleanups.push(() => rm(dir, { recursive: true, force: true }))
    const clock = new ManualClock(1_700_000_000_000)
    const disc = await start(clock, {
      dataDir: dir,
      listen: { host: '127.0.0.1', port: 0 },
      announce: { udpPort: 40404 },
    })
    const seq = disc.localEnr.seq
    const peer = await peerOf(clock, 70)
    await peer.bond(disc.address)
    await until(() => disc.tableSize === 1, 'peer in the table')
    await disc.stop()
    const file = JSON.parse(await readFile(join(dir, nodesFileName), 'utf8'))
    expect(file.nodes).toHaveLength(1)
    expect(file.nodes[0].enode).toContain(Buffer.from(peer.publicKey).toString('hex'))
    expect(file.nodes[0].lastPongMs).toBe(clock.now())
    expect(file.nodes[0].lastPingMs).toBe(clock.now())

    const again = await start(clock, { dataDir: dir, announce: { udpPort: 40404 } })
    expect(again.tableNodes().map((n) => n.idHex)).toEqual([Buffer.from(peer.id).toString('hex')])
    expect(again.localEnr.seq).toBe(seq) // same content: same seq
    await again.stop()
    const moved = await start(clock, { dataDir: dir, announce: { udpPort: 40405 } })
    expect(moved.localEnr.seq).toBe(seq + 1n) // new port: seq + 1
  })

  it('a corrupt file is ignored (the service starts), and replaced at stop', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'discv4-store-'))
    cleanups.push(() => rm(dir, { recursive: true, force: true }))
    await writeFile(join(dir, nodesFileName), '{ not json')
    const clock = new ManualClock(1_700_000_000_000)
    const disc = await start(clock, { dataDir: dir })
    expect(disc.tableSize).toBe(0)
    await disc.stop()
    expect(JSON.parse(await readFile(join(dir, nodesFileName), 'utf8')).version).toBe(1)
    expect(existsSync(join(dir, nodesFileName))).toBe(true)
  })
})

describe('bad input from peers', () => {
  it('garbage, oversized and truncated datagrams are dropped with typed errors; the node goes on', async () => {
    const clock = new ManualClock(1_700_000_000_000)
    const disc = await start(clock)
    const peer = await peerOf(clock, 80)
    let seed = 1
    const rnd = () => {
      seed = (seed * 1103515245 + 12345) >>> 0
      return seed >>> 24
    }
    // In batches, each after the last was seen dropped: a burst would overflow the socket's
    // receive buffer and UDP would lose some (which proves nothing about us).
    const sent = 300
    for (let i = 0; i < sent; ) {
      const target = i + 20
      for (; i < target; i++) {
        const len = i % 50 === 0 ? 2000 : 20 + (rnd() % 300)
        peer.sendRaw(disc.address, Uint8Array.from({ length: len }, rnd))
      }
      await until(() => disc.stats.packetsIn === i, `${i} datagrams seen`)
    }
    const good = peer.sendPing(disc.address)
    const pong = await peer.next({ type: PacketType.Pong })
    expect(
      pong.packet.type === PacketType.Pong && Buffer.from(pong.packet.pingHash).equals(good),
    ).toBe(true)
    const dropped = Object.values(disc.stats.dropped).reduce((a, b) => a + b, 0)
    expect(dropped).toBe(sent)
    expect(disc.stats.dropped.ErrPacketTooLarge).toBe(6)
    expect(Object.keys(disc.stats.dropped).sort()).toEqual(
      expect.arrayContaining(['ErrPacketTooLarge']),
    )
  })

  it('memory stays bounded under a flood of pings from many keys', async () => {
    const clock = new ManualClock(1_700_000_000_000)
    const disc = await start(clock, { limits: { maxBondRecords: 50, maxPendingRequests: 20 } })
    const internals = () =>
      (disc as unknown as { internals: { bondRecords: number; pendingRequests: number } }).internals
    const peers: TestPeer[] = []
    for (let i = 0; i < 8; i++) peers.push(await peerOf(clock, 500 + i))
    // 8 sockets × 15 keys = 120 identities: each Ping makes the node answer and ping back.
    const pongs = () =>
      peers.reduce(
        (n, p) => n + p.pending.filter((r) => r.packet.type === PacketType.Pong).length,
        0,
      )
    let maxPending = 0
    for (let k = 0; k < 15; k++) {
      for (const [i, p] of peers.entries()) {
        new TestPeerKeyed(p, testKey(1000 + k * 8 + i)).ping(disc.address)
      }
      // One round at a time, so no burst overflows a socket buffer.
      await until(() => pongs() === 8 * (k + 1), `a Pong for each Ping of round ${k}`)
      maxPending = Math.max(maxPending, internals().pendingRequests)
    }
    expect(maxPending).toBeLessThanOrEqual(20)
    expect(internals().bondRecords).toBeLessThanOrEqual(50)
    expect(internals().pendingRequests).toBeLessThanOrEqual(20)
    await clock.advance(1_000) // the ping-backs time out
    expect(internals().pendingRequests).toBe(0)
  })
})

/** Sends from a test peer's socket but signs with another key (many identities, few sockets). */
class TestPeerKeyed {
  constructor(
    readonly sock: TestPeer,
    readonly key: Uint8Array,
  ) {}
  ping(to: { ip: string; port: number }) {
    return this.sock.sendAs(this.key, to, {
      type: PacketType.Ping,
      version: 4n,
      from: this.sock.endpoint(),
      to: { ip: ipToBytes(to.ip), udpPort: to.port, tcpPort: 0 },
      expiration: this.sock.expiration(),
    })
  }
}

describe('our record', () => {
  it('setForkId re-signs with seq + 1, tells listeners, and peers get the new record', async () => {
    const clock = new ManualClock(1_700_000_000_000)
    const disc = await start(clock, { forkId: { hash: Uint8Array.of(1, 1, 1, 1), next: 5n } })
    const seq = disc.localEnr.seq
    expect(disc.localEnr.ethForkId).toEqual({ hash: Uint8Array.of(1, 1, 1, 1), next: 5n })
    const changed: bigint[] = []
    disc.on('localEnrChanged', (e) => changed.push(e.seq))
    disc.setForkId({ hash: Uint8Array.of(2, 2, 2, 2), next: 0n })
    expect(disc.localEnr.seq).toBe(seq + 1n)
    expect(changed).toEqual([seq + 1n])
    disc.setForkId({ hash: Uint8Array.of(2, 2, 2, 2), next: 0n }) // same content: no change
    expect(disc.localEnr.seq).toBe(seq + 1n)
    const peer = await peerOf(clock, 90)
    await peer.bond(disc.address)
    const h = peer.send(disc.address, {
      type: PacketType.EnrRequest,
      expiration: peer.expiration(),
    })
    const r = await peer.next({ type: PacketType.EnrResponse })
    if (r.packet.type !== PacketType.EnrResponse) throw new Error('no ENRResponse')
    expect(Buffer.from(r.packet.requestHash).equals(h)).toBe(true)
    const enr = Enr.decode(r.packet.record)
    expect(enr.seq).toBe(seq + 1n)
    expect(enr.ethForkId?.hash).toEqual(Uint8Array.of(2, 2, 2, 2))
    disc.setForkId(undefined)
    expect(disc.localEnr.get('eth')).toBeUndefined()
  })

  it('listening on 0.0.0.0, it announces the IP that enough Pongs report', async () => {
    const clock = new ManualClock(1_700_000_000_000)
    const disc = await start(clock, { listen: { host: '0.0.0.0', port: 0 }, endpointStatements: 2 })
    expect(disc.localEnr.ip).toBe('127.0.0.1') // the fallback until nodes agree
    const local = { ip: '127.0.0.1', port: disc.address.port }
    for (const key of [91, 92]) {
      const peer = await peerOf(clock, key)
      peer.sendPing(local)
      const ping = await peer.next({ type: PacketType.Ping }) // the node pings back
      peer.send(local, {
        type: PacketType.Pong,
        to: { ip: ipToBytes('203.0.114.7'), udpPort: 30303, tcpPort: 0 },
        pingHash: ping.hash,
        expiration: peer.expiration(),
      })
    }
    await until(() => disc.localEnr.ip === '203.0.114.7', 'the predicted IP in our record')
  })

  it('stop leaves no timers behind and refuses further requests', async () => {
    const clock = new ManualClock(1_700_000_000_000)
    const disc = await start(clock, { bootnodes: [] })
    const peer = await peerOf(clock, 93)
    await peer.bond(disc.address)
    await until(() => disc.tableSize === 1, 'peer in the table')
    const pending = disc.ping(disc.tableNodes()[0]!).catch((e) => e.code)
    await disc.stop()
    expect(await pending).toBe('ErrClosed')
    expect(clock.pendingTimers).toBe(0)
    await expect(disc.lookup()).rejects.toMatchObject({ code: 'ErrClosed' })
  })
})

describe('ethNodeFilter', () => {
  it('takes nodes whose eth entry passes, refuses the rest and nodes without one', async () => {
    const { ethNodeFilter, nodeFromEnr } = await import('../src/index.js')
    const good = Uint8Array.of(0xfc, 0x64, 0xec, 0x04)
    const accept = ethNodeFilter((id) => Buffer.from(id.hash).equals(good))
    const mk = (eth?: Uint8Array) =>
      nodeFromEnr(
        Enr.sign({
          privateKey: testKey(94),
          seq: 1n,
          entries: {
            ip: ipToBytes('10.0.0.1'),
            udp: 30303,
            ...(eth === undefined ? {} : { eth: ethEntry({ hash: eth, next: 0n }) }),
          },
        }),
      )!
    expect(accept(mk(good))).toBe(true)
    expect(accept(mk(Uint8Array.of(1, 2, 3, 4)))).toBe(false)
    expect(accept(mk())).toBe(false)
    expect(accept({})).toBe(false)
  })
})

describe('start', () => {
  it('a bad bootnode fails start with a typed error and releases the socket', async () => {
    const clock = new ManualClock(1_700_000_000_000)
    const d = createDiscv4(
      { clock },
      {
        privateKey: testKey(95),
        listen: { host: '127.0.0.1', port: 0 },
        bootnodes: ['enode://nope'],
      },
    )
    await expect(d.start()).rejects.toMatchObject({ code: 'ErrInvalidEnode' })
    expect(clock.pendingTimers).toBe(0)
    await d.stop()
  })

  it('a port in use fails start', async () => {
    const clock = new ManualClock(1_700_000_000_000)
    const a = await start(clock)
    const b = createDiscv4(
      { clock },
      { privateKey: testKey(96), listen: { host: '127.0.0.1', port: a.address.port } },
    )
    await expect(b.start()).rejects.toMatchObject({ code: 'EADDRINUSE' })
  })
})

describe('ping-backs', () => {
  it('repeated Pings from an unbonded node get a Pong each but one Ping back', async () => {
    const clock = new ManualClock(1_700_000_000_000)
    const disc = await start(clock)
    const peer = await peerOf(clock, 97)
    for (let i = 0; i < 5; i++) peer.sendPing(disc.address)
    await until(
      () => peer.pending.filter((r) => r.packet.type === PacketType.Pong).length === 5,
      '5 Pongs',
    )
    await until(() => disc.stats.handled.Ping === 5, '5 Pings handled')
    expect(peer.pending.filter((r) => r.packet.type === PacketType.Ping).length).toBe(1)
  })
})
