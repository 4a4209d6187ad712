/**
 * go-ethereum's `devp2p discv4 test` suite (cmd/devp2p/internal/v4test/discv4tests.go), run by
 * a test peer that speaks the raw wire on its own socket against our service. Where go-ethereum
 * waits for a read timeout to prove that no reply came, we wait for the service's
 * `packetError` event (it saw the packet and dropped it, with a typed code), then send a canary
 * Ping: the first thing the test peer receives after that must be the canary's answer.
 */
import { rlpEncode } from '@ethwire/rlp-wire'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { flush, ManualClock, TestPeer, testKey } from '../src/testing.js'
import {
  createDiscv4,
  type Discv4,
  Enr,
  equalBytesForTest,
  ipToBytes,
  isExpired,
  PacketType,
  publicKeyOf,
} from './helpers.js'

let clock: ManualClock
let disc: Discv4
let peer: TestPeer
let extra: TestPeer[] = []

beforeEach(async () => {
  clock = new ManualClock(1_700_000_000_000)
  disc = createDiscv4(
    { clock },
    { privateKey: testKey(1000), listen: { host: '127.0.0.1', port: 0 }, tcpPort: 30303 },
  )
  await disc.start()
  await waitReady(disc)
  peer = await TestPeer.create({ clock, privateKey: testKey(2000) })
  extra = []
})

afterEach(async () => {
  await disc.stop()
  await peer.close()
  for (const p of extra) await p.close()
})

async function waitReady(d: Discv4): Promise<void> {
  for (let i = 0; i < 100 && !d.isReady; i++) await flush()
  expect(d.isReady).toBe(true)
}

/**
 * Resolves with the fate of the next packet from the test peer: the code it was dropped with,
 * or `handled <type>` (so a missing check fails at once instead of at a timeout).
 */
function nextDrop(d: Discv4): Promise<string> {
  return new Promise((resolve) => {
    const offs = [
      d.on('packetError', (e) => {
        for (const off of offs) off()
        resolve(e.error.code)
      }),
      d.on('packetHandled', (e) => {
        if (e.type === 'Pong' || e.type === 'Ping') return // the bonding traffic
        for (const off of offs) off()
        resolve(`handled ${e.type}`)
      }),
    ]
  })
}

/** After a drop: a canary Ping's Pong must be the first packet the peer gets (nothing else came). */
async function expectNothingBeforeCanary(p: TestPeer, allow: number[] = []): Promise<void> {
  const canary = p.sendPing(disc.address)
  for (;;) {
    const r = await p.next()
    if (r.packet.type === PacketType.Pong && equalBytesForTest(r.packet.pingHash, canary)) return
    if (allow.includes(r.packet.type)) continue
    throw new Error(`unexpected ${r.packet.type} before the canary's Pong`)
  }
}

function checkPong(r: Awaited<ReturnType<TestPeer['next']>>, pingHash: Uint8Array, p = peer) {
  if (r.packet.type !== PacketType.Pong) throw new Error(`expected Pong, got ${r.packet.type}`)
  expect(equalBytesForTest(r.packet.pingHash, pingHash)).toBe(true)
  expect(r.packet.to.ip).toEqual(ipToBytes(p.address.ip))
  expect(r.packet.to.udpPort).toBe(p.address.port)
  expect(isExpired(r.packet.expiration, clock.now())).toBe(false)
  expect(r.packet.enrSeq).toBe(disc.localEnr.seq)
}

/** A Pong and a Ping, in either order (go-ethereum's checkPingPong). */
async function checkPingPong(pingHash: Uint8Array): Promise<void> {
  let pings = 0
  let pongs = 0
  for (let i = 0; i < 2; i++) {
    const r = await peer.next()
    if (r.packet.type === PacketType.Pong) {
      checkPong(r, pingHash)
      pongs++
    } else if (r.packet.type === PacketType.Ping) pings++
    else throw new Error(`expected Ping or Pong, got ${r.packet.type}`)
  }
  expect({ pings, pongs }).toEqual({ pings: 1, pongs: 1 })
}

const wrongEndpoint = { ip: Uint8Array.of(192, 0, 2, 0), udpPort: 0, tcpPort: 0 }

describe('discv4 test suite', () => {
  it('Ping/Basic', async () => {
    const h = peer.sendPing(disc.address)
    await checkPingPong(h)
  })

  it('Ping/WrongTo', async () => {
    const h = peer.sendPing(disc.address, { to: wrongEndpoint })
    await checkPingPong(h)
  })

  it('Ping/WrongFrom', async () => {
    const h = peer.sendPing(disc.address, { from: wrongEndpoint })
    await checkPingPong(h) // the ping back goes to the UDP source, not the `from` field
  })

  it('Ping/ExtraData', async () => {
    const h = peer.send(disc.address, {
      type: PacketType.Ping,
      data: rlpEncode([
        4,
        [ipToBytes('127.0.0.1'), peer.address.port, 0],
        [ipToBytes('127.0.0.1'), disc.address.port, 0],
        peer.expiration(),
        42,
        Uint8Array.of(9, 8, 7, 6, 5, 4, 3, 2, 1),
      ]),
    })
    await checkPingPong(h)
  })

  it('Ping/ExtraDataWrongFrom', async () => {
    const h = peer.send(disc.address, {
      type: PacketType.Ping,
      data: rlpEncode([
        4,
        [wrongEndpoint.ip, 0, 0],
        [ipToBytes('127.0.0.1'), disc.address.port, 0],
        peer.expiration(),
        42,
        Uint8Array.of(9, 8, 7, 6, 5, 4, 3, 2, 1),
      ]),
    })
    await checkPingPong(h)
  })

  it('Ping/PastExpiration', async () => {
    const drop = nextDrop(disc)
    peer.sendPing(disc.address, { expiration: 2n ** 64n - peer.expiration() })
    expect(await drop).toBe('ErrExpired')
    await expectNothingBeforeCanary(peer, [PacketType.Ping])
    expect(disc.stats.dropped.ErrExpired).toBe(1)
  })

  it('Ping/WrongPacketType', async () => {
    const drop = nextDrop(disc)
    peer.send(disc.address, {
      type: 66,
      data: rlpEncode([
        4,
        [ipToBytes('127.0.0.1'), peer.address.port, 0],
        [ipToBytes('127.0.0.1'), disc.address.port, 0],
        peer.expiration(),
      ]),
    })
    expect(await drop).toBe('ErrUnknownPacketType')
    await expectNothingBeforeCanary(peer, [PacketType.Ping])
  })

  it('Ping/BondThenPingWithWrongFrom', async () => {
    await peer.bond(disc.address)
    const h = peer.sendPing(disc.address, { from: wrongEndpoint })
    for (;;) {
      const r = await peer.next()
      if (r.packet.type === PacketType.FindNode) continue // allowed after the proof
      checkPong(r, h)
      break
    }
  })

  it('ENRRequest', async () => {
    await peer.bond(disc.address)
    const h = peer.send(disc.address, {
      type: PacketType.EnrRequest,
      expiration: peer.expiration(),
    })
    const r = await peer.next({ type: PacketType.EnrResponse })
    if (r.packet.type !== PacketType.EnrResponse) throw new Error(`got ${r.packet.type}`)
    expect(equalBytesForTest(r.packet.requestHash, h)).toBe(true)
    const enr = Enr.decode(r.packet.record)
    expect(equalBytesForTest(enr.publicKey, publicKeyOf(testKey(1000)))).toBe(true)
    expect(enr.seq).toBe(disc.localEnr.seq)
    expect([enr.ip, enr.udp, enr.tcp]).toEqual(['127.0.0.1', disc.address.port, 30303])
  })

  it('ENRRequest without an endpoint proof is dropped', async () => {
    const drop = nextDrop(disc)
    peer.send(disc.address, { type: PacketType.EnrRequest, expiration: peer.expiration() })
    expect(await drop).toBe('ErrUnknownNode')
    await expectNothingBeforeCanary(peer, [PacketType.Ping])
  })

  it('Findnode/WithoutEndpointProof', async () => {
    const drop = nextDrop(disc)
    peer.send(disc.address, {
      type: PacketType.FindNode,
      target: publicKeyOf(testKey(77)),
      expiration: peer.expiration(),
    })
    expect(await drop).toBe('ErrUnknownNode')
    await expectNothingBeforeCanary(peer, [PacketType.Ping])
  })

  it('Findnode/BasicFindnode', async () => {
    await peer.bond(disc.address)
    peer.send(disc.address, {
      type: PacketType.FindNode,
      target: publicKeyOf(testKey(77)),
      expiration: peer.expiration(),
    })
    // Once bonded the peer is in the table, so a revalidation Ping may come first (seen on a
    // loaded machine): wait for the Neighbors, whatever else arrives.
    const r = await peer.next({ type: PacketType.Neighbors })
    expect(r.packet.type).toBe(PacketType.Neighbors)
  })

  it('Findnode/UnsolicitedNeighbors', async () => {
    await peer.bond(disc.address)
    const fake = publicKeyOf(testKey(4242))
    const drop = nextDrop(disc)
    peer.send(disc.address, {
      type: PacketType.Neighbors,
      nodes: [{ ip: Uint8Array.of(1, 2, 3, 4), udpPort: 30303, tcpPort: 30303, publicKey: fake }],
      expiration: peer.expiration(),
    })
    expect(await drop).toBe('ErrUnsolicitedReply')
    peer.send(disc.address, {
      type: PacketType.FindNode,
      target: fake,
      expiration: peer.expiration(),
    })
    const r = await peer.next({ type: PacketType.Neighbors })
    if (r.packet.type !== PacketType.Neighbors) throw new Error(`got ${r.packet.type}`)
    expect(r.packet.nodes.some((n) => equalBytesForTest(n.publicKey, fake))).toBe(false)
    expect(disc.tableNodes().some((n) => equalBytesForTest(n.publicKey, fake))).toBe(false)
  })

  it('Findnode/PastExpiration', async () => {
    await peer.bond(disc.address)
    const drop = nextDrop(disc)
    peer.send(disc.address, {
      type: PacketType.FindNode,
      target: publicKeyOf(testKey(77)),
      expiration: 2n ** 64n - peer.expiration(),
    })
    expect(await drop).toBe('ErrExpired')
    await expectNothingBeforeCanary(peer, [PacketType.Ping])
  })

  it('Amplification/InvalidPongHash', async () => {
    peer.sendPing(disc.address)
    let gotPing = false
    let gotPong = false
    const drop = nextDrop(disc)
    while (!gotPing || !gotPong) {
      const r = await peer.next()
      if (r.packet.type === PacketType.Ping) {
        peer.send(disc.address, {
          type: PacketType.Pong,
          to: { ip: ipToBytes('127.0.0.1'), udpPort: disc.address.port, tcpPort: 0 },
          pingHash: new Uint8Array(32), // not the hash of the node's Ping
          expiration: peer.expiration(),
        })
        gotPing = true
      } else if (r.packet.type === PacketType.Pong) gotPong = true
    }
    expect(await drop).toBe('ErrUnsolicitedReply')
    const drop2 = nextDrop(disc)
    peer.send(disc.address, {
      type: PacketType.FindNode,
      target: publicKeyOf(testKey(77)),
      expiration: peer.expiration(),
    })
    expect(await drop2).toBe('ErrUnknownNode')
    await expectNothingBeforeCanary(peer, [PacketType.Ping])
  })

  it('Amplification/WrongIP', async () => {
    // Linux routes all of 127.0.0.0/8 to loopback; elsewhere 127.0.0.2 may need an alias.
    let l2: TestPeer
    try {
      l2 = await TestPeer.create({ clock, host: '127.0.0.2', privateKey: peer.privateKey })
    } catch {
      if (process.platform === 'linux') throw new Error('cannot bind 127.0.0.2 on Linux')
      return
    }
    extra.push(l2)
    await peer.bond(disc.address)
    const drop = nextDrop(disc)
    l2.send(disc.address, {
      type: PacketType.FindNode,
      target: publicKeyOf(testKey(77)),
      expiration: l2.expiration(),
    })
    expect(await drop).toBe('ErrUnknownNode')
    // Nothing went to 127.0.0.2: a canary from there gets a Pong first (and the node's Ping).
    await expectNothingBeforeCanary(l2, [PacketType.Ping])
  })
})
