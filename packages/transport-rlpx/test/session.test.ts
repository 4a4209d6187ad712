import { FakeClock, flush } from '@ethwire/interface/testing'
/**
 * Sessions over an in-memory socket pair with real crypto: version negotiation, several
 * capabilities on one connection, snappy, Ping/Pong, Disconnect both ways, and the typed errors
 * (bad MAC, oversize frame, over-cap snappy length, handshake timeout, keep-alive timeout).
 */

import { systemClock } from '@ethwire/interface/runtime'
import { rlpEncode } from '@ethwire/rlp-wire'
import { describe, expect, it } from 'vitest'
import { equalBytes, toHex, utf8 } from '../src/bytes.js'
import { handshakeTimeoutMs as defaultHandshakeTimeoutMs } from '../src/constants.js'
import { loadCryptoBackend, pureCryptoBackend } from '../src/crypto.js'
import { publicKeyOf, randomSecretKey } from '../src/ecies.js'
import { isRlpxError } from '../src/errors.js'
import type { FrameCodec } from '../src/frame.js'
import { handshake, type SessionOptions } from '../src/session.js'
import { memorySocketPair, rlpxSessionPair } from '../src/testing.js'
import { ethCapability } from '../src/transport.js'
import { systemRandom } from '../src/types.js'
import { DisconnectReason, isWireError, maxMessageSizeBytes } from '../src/wire.js'

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p
  } catch (e) {
    return e
  }
  throw new Error('expected a rejection')
}

describe('session over an in-memory pair', () => {
  it('negotiates the highest shared eth version and carries messages both ways (snappy on)', async () => {
    const pair = await rlpxSessionPair({ versionsA: [68, 67, 66], versionsB: [67, 66, 63] })
    expect(pair.ethA.version).toBe(67)
    expect(pair.ethB.version).toBe(67)
    expect(pair.a.snappy).toBe(true)
    expect(pair.ethA.transport).toBe('rlpx')
    expect(pair.ethA.remoteId).toBe(toHex(pair.a.hello.nodeId))
    expect(pair.ethB.remoteId).toBe(toHex(pair.b.hello.nodeId))
    const big = new Uint8Array(300_000).map((_, i) => i % 251)
    await pair.ethA.writeMsg(0x03, rlpEncode([utf8('a'), 1, 2]))
    await pair.ethA.writeMsg(0x04, big)
    await pair.ethB.writeMsg(0x10, utf8('back'))
    const m1 = await pair.ethB.readMsg()
    expect(m1.code).toBe(0x03)
    expect(m1.payload).toEqual(rlpEncode([utf8('a'), 1, 2]))
    const m2 = await pair.ethB.readMsg()
    expect(m2.code).toBe(0x04)
    expect(equalBytes(m2.payload, big)).toBe(true)
    expect(m2.size).toBe(big.length)
    const m3 = await pair.ethA.readMsg()
    expect(m3).toMatchObject({ code: 0x10, payload: utf8('back') })
    await pair.close()
  })

  it('eth/69 has 18 message ids (BlockRangeUpdate 0x11); ids past the range are refused', async () => {
    const pair = await rlpxSessionPair({ versionsA: [69, 68], versionsB: [69, 68] })
    expect(pair.ethA.version).toBe(69)
    expect(pair.ethA.capability.length).toBe(18)
    await pair.ethA.writeMsg(0x11, rlpEncode([1, 2, new Uint8Array(32)]))
    expect((await pair.ethB.readMsg()).code).toBe(0x11)
    expect(
      isWireError(await rejection(pair.ethA.writeMsg(0x12, utf8('x'))), 'ErrUnknownCode'),
    ).toBe(true)
    await pair.close()
  })

  it('several capabilities on one connection get their own id ranges (alphabetical from 0x10)', async () => {
    const [sa, sb] = memorySocketPair()
    const backend = await loadCryptoBackend('auto')
    const kA = randomSecretKey(systemRandom)
    const kB = randomSecretKey(systemRandom)
    const snap = { name: 'snap', versions: [1], length: () => 8 }
    const aaa = { name: 'aaa', versions: [1, 2], length: (v: number) => v * 3 }
    const base = (nodeKey: Uint8Array, caps: SessionOptions['capabilities']): SessionOptions => ({
      nodeKey,
      clientId: 't',
      listenPort: 0,
      capabilities: caps,
      backend,
      clock: systemClock,
      random: systemRandom,
      handshakeTimeoutMs: 5000,
      pingIntervalMs: 60_000,
      pongTimeoutMs: 60_000,
      disconnectGraceMs: 500,
      maxMessageSizeBytes,
      maxFrameSizeBytes: 0xffffff,
    })
    const [a, b] = await Promise.all([
      handshake(sa, {
        ...base(kA, [ethCapability([68]), snap, aaa]),
        role: 'initiator',
        remoteId: publicKeyOf(kB),
      }),
      handshake(sb, { ...base(kB, [aaa, ethCapability([68, 67]), snap]), role: 'recipient' }),
    ])
    // aaa/2 (6 ids) at 0x10, eth/68 (17 ids) at 0x16, snap/1 at 0x27
    expect(a.capabilities.map((c) => [c.name, c.version, c.offset])).toEqual([
      ['aaa', 2, 16],
      ['eth', 68, 22],
      ['snap', 1, 39],
    ])
    expect(b.capabilities).toEqual(a.capabilities)
    await a.stream('snap')!.writeMsg(2, utf8('snap msg'))
    await a.eth!.writeMsg(2, utf8('eth msg'))
    await a.stream('aaa')!.writeMsg(5, utf8('aaa msg'))
    expect(await b.stream('snap')!.readMsg()).toMatchObject({ code: 2, payload: utf8('snap msg') })
    expect(await b.eth!.readMsg()).toMatchObject({ code: 2, payload: utf8('eth msg') })
    expect(await b.stream('aaa')!.readMsg()).toMatchObject({ code: 5, payload: utf8('aaa msg') })
    const err = await rejection(a.stream('snap')!.writeMsg(8, utf8('x')))
    expect(isWireError(err, 'ErrUnknownCode')).toBe(true)
    await Promise.all([a.close(), b.close()])
  })

  it('the pure crypto backend interoperates with the fast one', async () => {
    const pair = await rlpxSessionPair({ backend: pureCryptoBackend })
    await pair.ethA.writeMsg(1, utf8('pure'))
    expect((await pair.ethB.readMsg()).payload).toEqual(utf8('pure'))
    await pair.close()
  })

  it('Ping is answered with Pong', async () => {
    const pair = await rlpxSessionPair()
    const rtt = await pair.a.ping()
    expect(rtt).toBeGreaterThanOrEqual(0)
    expect(await pair.b.ping()).toBeGreaterThanOrEqual(0)
    await pair.close()
  })

  it('Disconnect with a reason is seen by both sides; reads then reject with ErrClosed', async () => {
    const pair = await rlpxSessionPair()
    const pendingB = rejection(pair.ethB.readMsg())
    await pair.ethA.close(DisconnectReason.UselessPeer)
    expect(pair.ethA.closeInfo).toEqual({ reason: DisconnectReason.UselessPeer, remote: false })
    const errB = await pendingB
    expect(isWireError(errB, 'ErrClosed')).toBe(true)
    expect(errB).toMatchObject({ reason: DisconnectReason.UselessPeer, remote: true })
    expect(await pair.b.closed).toEqual({ reason: DisconnectReason.UselessPeer, remote: true })
    const errA = await rejection(pair.ethA.readMsg())
    expect(errA).toMatchObject({
      code: 'ErrClosed',
      reason: DisconnectReason.UselessPeer,
      remote: false,
    })
    expect(isWireError(await rejection(pair.ethA.writeMsg(1, utf8('x'))), 'ErrClosed')).toBe(true)
  })

  it('a corrupted frame is ErrBadMac: the victim closes with ProtocolError and the sender hears it', async () => {
    let corrupt = false
    const pair = await rlpxSessionPair({
      tap: (dir, chunk) => {
        if (corrupt && dir === 'a->b') chunk[0]! ^= 0x80
        return chunk
      },
    })
    corrupt = true
    await pair.ethA.writeMsg(1, new Uint8Array(100).fill(7))
    const err = await rejection(pair.ethB.readMsg())
    expect(isWireError(err, 'ErrClosed')).toBe(true)
    expect((err as Error).cause).toSatisfy((c: unknown) => isRlpxError(c, 'ErrBadMac'))
    expect(pair.b.error).toSatisfy((c: unknown) => isRlpxError(c, 'ErrBadMac'))
    expect(pair.ethB.closeInfo).toEqual({ reason: DisconnectReason.ProtocolError, remote: false })
    expect(await pair.a.closed).toEqual({ reason: DisconnectReason.ProtocolError, remote: true })
  })

  it('an incoming frame above maxFrameSizeBytes is ErrFrameTooLarge before its body is read', async () => {
    const pair = await rlpxSessionPair({ session: { maxFrameSizeBytes: 4096 } })
    // Incompressible data so the frame stays large after snappy.
    const noise = systemRandom(10_000)
    await pair.ethA.writeMsg(1, noise)
    const err = await rejection(pair.ethB.readMsg())
    expect((err as Error).cause).toSatisfy((c: unknown) => isRlpxError(c, 'ErrFrameTooLarge'))
    expect(await pair.a.closed).toEqual({ reason: DisconnectReason.ProtocolError, remote: true })
  })

  it('writing above the message cap is ErrMsgTooLarge and leaves the connection open', async () => {
    const pair = await rlpxSessionPair({ session: { maxMessageSizeBytes: 1000 } })
    expect(
      isWireError(await rejection(pair.ethA.writeMsg(1, new Uint8Array(1001))), 'ErrMsgTooLarge'),
    ).toBe(true)
    await pair.ethA.writeMsg(1, new Uint8Array(1000))
    expect((await pair.ethB.readMsg()).size).toBe(1000)
    await pair.close()
  })

  it('a snappy block announcing more than the cap is refused from its length header alone', async () => {
    const pair = await rlpxSessionPair()
    // 11 MiB announced as varint, followed by one tiny literal: never decompressed.
    const announced = 11 * 1024 * 1024
    const varint: number[] = []
    for (let v = announced; v >= 0x80; v >>>= 7) varint.push((v & 0x7f) | 0x80)
    varint.push(announced >>> (7 * varint.length))
    const bogus = Uint8Array.from([...varint, 0x00, 0x41])
    const codec = (pair.a as unknown as { codec: FrameCodec }).codec
    const socket = (pair.a as unknown as { socket: { write(b: Uint8Array): boolean } }).socket
    for (const part of codec.encodeMessage(pair.ethA.capability.offset + 1, bogus))
      socket.write(part)
    const err = await rejection(pair.ethB.readMsg())
    expect((err as Error).cause).toSatisfy((c: unknown) => isWireError(c, 'ErrMsgTooLarge'))
    expect(await pair.a.closed).toEqual({ reason: DisconnectReason.ProtocolError, remote: true })
  })

  it('the handshake times out against a silent peer (ErrHandshakeTimeout, socket closed)', async () => {
    const [sa] = memorySocketPair() // nobody answers on the other end
    const k = randomSecretKey(systemRandom)
    // On a fake clock: the configured 150 ms fire, not the default, and not a moment early.
    const clock = new FakeClock()
    let settled = false
    const pending = rejection(
      handshake(sa, {
        nodeKey: k,
        clientId: 't',
        listenPort: 0,
        capabilities: [ethCapability([68])],
        backend: pureCryptoBackend,
        clock,
        random: systemRandom,
        handshakeTimeoutMs: 150,
        pingIntervalMs: 1000,
        pongTimeoutMs: 1000,
        disconnectGraceMs: 100,
        maxMessageSizeBytes,
        maxFrameSizeBytes: 0xffffff,
        role: 'initiator',
        remoteId: publicKeyOf(randomSecretKey(systemRandom)),
      }),
    ).finally(() => {
      settled = true
    })
    await flush()
    expect(150).toBeLessThan(defaultHandshakeTimeoutMs)
    clock.tick(149)
    await flush()
    expect(settled).toBe(false)
    clock.tick(1)
    const err = await pending
    expect(isRlpxError(err, 'ErrHandshakeTimeout')).toBe(true)
    expect(sa.destroyed).toBe(true)
  })

  it('keep-alive: a peer that stops answering is dropped with reason Timeout', async () => {
    let blackhole = false
    const pair = await rlpxSessionPair({
      tap: (dir, chunk) => (blackhole && dir === 'b->a' ? new Uint8Array(0) : chunk),
      session: { pingIntervalMs: 40, pongTimeoutMs: 120, disconnectGraceMs: 50 },
    })
    blackhole = true
    const info = await pair.a.closed
    expect(info).toEqual({ reason: DisconnectReason.Timeout, remote: false })
    expect(pair.a.error).toSatisfy((e: unknown) => isRlpxError(e, 'ErrProtocol'))
    await pair.b.close()
  })

  it('an abort signal stops a pending read without closing the connection', async () => {
    const pair = await rlpxSessionPair()
    const ac = new AbortController()
    const p = pair.ethB.readMsg(ac.signal)
    ac.abort()
    expect((await rejection(p)) as Error).toMatchObject({ name: 'AbortError' })
    await pair.ethA.writeMsg(2, utf8('still open'))
    expect((await pair.ethB.readMsg()).payload).toEqual(utf8('still open'))
    await pair.close()
  })
})
