import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import {
  createLibp2pTransport,
  type Libp2pTransport,
  loadOrCreatePeerKey,
  peerKeyFileName,
  TransportError,
} from '../src/index.js'
import { connectedPair } from '../src/testing.js'
import { DisconnectReason, type EthConnection, WireError } from '../src/wire.js'

const MiB = 1024 * 1024
const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

async function started(
  options: Parameters<typeof createLibp2pTransport>[1] = {},
): Promise<Libp2pTransport> {
  const t = createLibp2pTransport({}, options)
  await t.start()
  cleanups.push(() => t.stop())
  return t
}

async function pair(dialerVersions: number[], listenerVersions: number[]) {
  const p = await connectedPair({ versions: dialerVersions }, { versions: listenerVersions })
  cleanups.push(p.stop)
  return p
}

function closedError(conn: EthConnection): Promise<WireError> {
  return conn.readMsg(AbortSignal.timeout(5_000)).then(
    () => {
      throw new Error('expected the read to fail')
    },
    (err: unknown) => err as WireError,
  )
}

describe('two libp2p nodes on 127.0.0.1', () => {
  it('agree on the highest common version, whatever each side supports', async () => {
    const a = await pair([62, 63, 66, 67, 68], [66, 67, 68, 69])
    expect(a.outbound.version).toBe(68)
    expect(a.inbound.version).toBe(68)
    expect(a.outbound.transport).toBe('libp2p')
    expect(a.outbound.remoteId).toBe(a.listener.peerId)
    expect(a.inbound.remoteId).toBe(a.dialer.peerId)
    expect(a.outbound.remoteAddress).toMatch(/^\/ip4\/127\.0\.0\.1\/tcp\/\d+/)

    const b = await pair([69, 68], [62, 63, 66, 67, 68, 69])
    expect([b.outbound.version, b.inbound.version]).toEqual([69, 69])

    const c = await pair([63, 62], [62, 66])
    expect([c.outbound.version, c.inbound.version]).toEqual([62, 62])
  })

  it('fails with ErrNoCommonVersion when no version is shared', async () => {
    const listener = await started({ versions: [68, 69] })
    const dialer = await started({ versions: [62, 63] })
    const err = await dialer.dial(listener.multiaddrs()[0] as string).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(TransportError)
    expect((err as TransportError).code).toBe('ErrNoCommonVersion')
  })

  it('fails with ErrDial for an address nobody listens on', async () => {
    const dialer = await started({ dialTimeoutMs: 3_000 })
    const err = await dialer.dial('/ip4/127.0.0.1/tcp/1').catch((e: unknown) => e)
    expect((err as TransportError).code).toBe('ErrDial')
  })

  it('carries messages both ways, in order, including concurrent writes and 1 MiB payloads', async () => {
    const { outbound, inbound } = await pair([68], [68])
    const big = Uint8Array.from({ length: MiB }, (_, i) => (i * 31) & 0xff)
    const writes = []
    for (let i = 0; i < 50; i++) writes.push(outbound.writeMsg(i % 0x11, Uint8Array.of(i, i, i)))
    writes.push(outbound.writeMsg(0x06, big))
    await Promise.all(writes)
    for (let i = 0; i < 50; i++) {
      const msg = await inbound.readMsg(AbortSignal.timeout(5_000))
      expect(msg.code).toBe(i % 0x11)
      expect([...msg.payload]).toEqual([i, i, i])
      expect(msg.size).toBe(3)
    }
    const bigMsg = await inbound.readMsg(AbortSignal.timeout(5_000))
    expect(bigMsg.size).toBe(MiB)
    expect(Buffer.from(bigMsg.payload).equals(Buffer.from(big))).toBe(true)

    await inbound.writeMsg(0x04, Uint8Array.of(0xc0))
    const back = await outbound.readMsg(AbortSignal.timeout(5_000))
    expect(back.code).toBe(0x04)
    expect([...back.payload]).toEqual([0xc0])
  })

  it('refuses to send over the cap, and a read aborts with the signal', async () => {
    const { outbound, inbound } = await pair([68], [68])
    const err = await outbound.writeMsg(0x06, new Uint8Array(10 * MiB + 1)).catch((e: unknown) => e)
    expect((err as WireError).code).toBe('ErrMsgTooLarge')
    const ac = new AbortController()
    const read = inbound.readMsg(ac.signal)
    ac.abort()
    await expect(read).rejects.toMatchObject({ name: 'AbortError' })
    // The connection is still usable.
    await outbound.writeMsg(1, Uint8Array.of(1))
    expect((await inbound.readMsg(AbortSignal.timeout(5_000))).code).toBe(1)
  })

  it('a peer announcing an over-cap frame is dropped with ErrMsgTooLarge, and sees ProtocolError', async () => {
    const { outbound, inbound } = await pair([68], [68])
    // The receiver's cap is 10 MiB; make the sender believe it may send more by writing raw frames
    // under the sender's own larger cap.
    const p = await connectedPair(
      { versions: [68], maxMessageSizeBytes: 11 * MiB },
      { versions: [68] },
    )
    cleanups.push(p.stop)
    void p.outbound.writeMsg(0x06, new Uint8Array(10 * MiB + 1)).catch(() => {})
    const err = await p.inbound.readMsg(AbortSignal.timeout(10_000)).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(WireError)
    expect((err as WireError).code).toBe('ErrMsgTooLarge')
    expect(p.inbound.closeInfo).toEqual({ reason: DisconnectReason.ProtocolError, remote: false })
    const remoteErr = await closedError(p.outbound)
    expect(remoteErr.code).toBe('ErrClosed')
    expect(remoteErr.reason).toBe(DisconnectReason.ProtocolError)
    expect(remoteErr.remote).toBe(true)
    // unrelated pair unaffected
    await outbound.writeMsg(2, Uint8Array.of(2))
    expect((await inbound.readMsg(AbortSignal.timeout(5_000))).code).toBe(2)
  })

  it('close sends the reason: both sides see it, pending reads and later writes fail with ErrClosed', async () => {
    const { outbound, inbound, dialer, listener } = await pair([68], [68])
    // Both reads fail while close() is still waiting for the peer's end: catch them from the start.
    const pendingLocal = outbound.readMsg().catch((e: unknown) => e)
    const pendingRemote = inbound.readMsg().catch((e: unknown) => e)
    await outbound.close(DisconnectReason.UselessPeer)
    expect(outbound.closeInfo).toEqual({ reason: DisconnectReason.UselessPeer, remote: false })
    const local = (await pendingLocal) as WireError
    expect(local.code).toBe('ErrClosed')
    expect(local).toMatchObject({ reason: DisconnectReason.UselessPeer, remote: false })
    const remote = (await pendingRemote) as WireError
    expect(remote).toMatchObject({
      code: 'ErrClosed',
      reason: DisconnectReason.UselessPeer,
      remote: true,
    })
    expect(inbound.closeInfo).toEqual({ reason: DisconnectReason.UselessPeer, remote: true })
    await expect(outbound.writeMsg(1, Uint8Array.of(1))).rejects.toMatchObject({
      code: 'ErrClosed',
    })
    await expect(inbound.writeMsg(1, Uint8Array.of(1))).rejects.toMatchObject({ code: 'ErrClosed' })
    // idempotent
    await outbound.close(DisconnectReason.TooManyPeers)
    expect(outbound.closeInfo?.reason).toBe(DisconnectReason.UselessPeer)
    // both transports forget the connection, and the libp2p connection is hung up
    await waitFor(() => dialer.connections.size === 0 && listener.connections.size === 0)
    await waitFor(
      () =>
        dialer.node.getConnections().length === 0 && listener.node.getConnections().length === 0,
    )
  })

  it('the peer reads the Disconnect reason even though the closer hangs up the libp2p connection', async () => {
    // Hanging up as soon as our end was closed used to drop the Disconnect frame now and then, and
    // the peer saw a bare reset (NetworkError). Many fresh pairs make that race show.
    const seen: number[] = []
    for (let i = 0; i < 20; i++) {
      const p = await connectedPair({ versions: [68] }, { versions: [68] })
      try {
        const pending = closedError(p.inbound)
        await p.outbound.close(DisconnectReason.TooManyPeers)
        const err = await pending
        expect(err.code).toBe('ErrClosed')
        seen.push(err.reason as number)
      } finally {
        await p.stop()
      }
    }
    expect(seen).toEqual(Array(20).fill(DisconnectReason.TooManyPeers))
  })

  it('dialling the same peer again right after a close opens a fresh connection', async () => {
    const listener = await started({ versions: [68] })
    const dialer = await started({ versions: [68] })
    const addr = listener.multiaddrs()[0] as string
    for (let i = 0; i < 3; i++) {
      const accepted = listener.accept(AbortSignal.timeout(5_000))
      const out = await dialer.dial(addr)
      const inn = await accepted
      await out.writeMsg(1, Uint8Array.of(i))
      expect([...(await inn.readMsg(AbortSignal.timeout(5_000))).payload]).toEqual([i])
      // closing hangs up the libp2p connection; the next dial must not reuse it
      await out.close(DisconnectReason.Requested)
    }
  })

  it('stop() closes open connections with ClientQuitting, seen by the peer', async () => {
    const { outbound, inbound, listener } = await pair([68], [68])
    await listener.stop()
    expect(inbound.closeInfo).toEqual({ reason: DisconnectReason.ClientQuitting, remote: false })
    const err = await closedError(outbound)
    expect(err).toMatchObject({
      code: 'ErrClosed',
      reason: DisconnectReason.ClientQuitting,
      remote: true,
    })
  })

  it('back-pressure: a writer that outpaces a non-reading peer is held back', async () => {
    const { outbound, inbound } = await pair([68], [68])
    const chunk = new Uint8Array(256 * 1024)
    let written = 0
    const writer = (async () => {
      for (let i = 0; i < 200; i++) {
        await outbound.writeMsg(0x06, chunk)
        written++
      }
    })()
    // Wait until the writer either finishes (no back-pressure) or stops making progress: the
    // count unchanged over `stillPolls` polls (bounded by waitFor's timeout).
    const stillPolls = 10
    let last = -1
    let still = 0
    const finished = writer.then(() => true)
    let done = false
    void finished.then(() => {
      done = true
    })
    await waitFor(() => {
      if (done) return true
      still = written === last ? still + 1 : 0
      last = written
      return still >= stillPolls
    }, 20_000)
    expect(done).toBe(false)
    // 200 × 256 KiB = 50 MiB would be sent without back-pressure; the reader's queue (4 MiB) plus
    // the yamux window and socket buffers hold far less.
    expect(written).toBeLessThan(150)
    for (let i = 0; i < 200; i++) await inbound.readMsg(AbortSignal.timeout(10_000))
    await writer
    expect(written).toBe(200)
  })

  it('inbound() yields accepted connections and ends at stop()', async () => {
    const listener = createLibp2pTransport({}, { versions: [68] })
    await listener.start()
    const dialer = await started({ versions: [68] })
    const seen: EthConnection[] = []
    const loop = (async () => {
      for await (const c of listener.inbound()) seen.push(c)
    })()
    const out = await dialer.dial(listener.multiaddrs()[0] as string)
    await waitFor(() => seen.length === 1)
    expect(seen[0]?.remoteId).toBe(dialer.peerId)
    await listener.stop()
    await loop
    expect(out.version).toBe(68)
  })

  it('the onInbound option (and its deprecated name onConnection) receives inbound connections only', async () => {
    const got: EthConnection[] = []
    const old: EthConnection[] = []
    const listener = await started({ versions: [67, 68], onInbound: (c) => got.push(c) })
    const dialer = await started({ versions: [67], onConnection: (c) => old.push(c) })
    await dialer.dial(listener.multiaddrs()[0] as string)
    await waitFor(() => got.length === 1)
    expect(got[0]?.version).toBe(67)
    expect(got[0]?.direction).toBe('inbound')
    expect(old).toEqual([]) // the option is inbound only: our own dial is not reported there
    const third = await started({ versions: [67] })
    await third.dial(dialer.multiaddrs()[0] as string)
    await waitFor(() => old.length === 1)
    expect(old[0]?.direction).toBe('inbound')
  })

  it('with an onConnection() listener inbound connections are not queued for accept()', async () => {
    const listener = await started({ versions: [68] })
    const seen: EthConnection[] = []
    listener.onConnection((c) => seen.push(c))
    const dialer = await started({ versions: [68] })
    await dialer.dial(listener.multiaddrs()[0] as string)
    await waitFor(() => seen.length === 1)
    const err = await listener.accept(AbortSignal.timeout(200)).catch((e: unknown) => e)
    expect((err as Error).name).toBe('TimeoutError')
  })

  it('deps.clock stamps receivedAt', async () => {
    const listener = createLibp2pTransport({ clock: { now: () => 42 } }, { versions: [68] })
    cleanups.push(() => listener.close())
    const accepted = new Promise<EthConnection>((resolve) => listener.onConnection(resolve))
    const [addr] = await listener.listen()
    const dialer = await started({ versions: [68] })
    const out = await dialer.dial(addr as string)
    const inn = await accepted
    await out.writeMsg(1, Uint8Array.of(1))
    expect((await inn.readMsg()).receivedAt).toBe(42)
  })

  it('is not restarted after stop: start, listen and dial reject with ErrNotRunning', async () => {
    const t = createLibp2pTransport({}, { versions: [68] })
    await t.start()
    await t.stop()
    await expect(t.start()).rejects.toMatchObject({ code: 'ErrNotRunning' })
    await expect(t.listen()).rejects.toMatchObject({ code: 'ErrNotRunning' })
    await expect(t.dial('/ip4/127.0.0.1/tcp/1')).rejects.toMatchObject({ code: 'ErrNotRunning' })
    expect(t.addresses()).toEqual([])
    await t.stop()
  })
})

describe('attaching to an existing libp2p node', () => {
  it('uses the node as is and leaves it running at stop()', async () => {
    const [{ createLibp2p }, { tcp }, { noise }, { yamux }] = await Promise.all([
      import('libp2p'),
      import('@libp2p/tcp'),
      import('@chainsafe/libp2p-noise'),
      import('@chainsafe/libp2p-yamux'),
    ])
    const node = await createLibp2p({
      addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
      transports: [tcp()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
    })
    cleanups.push(async () => {
      await node.stop()
    })
    const attached = createLibp2pTransport({ libp2p: node }, { versions: [67, 68] })
    await attached.start()
    expect(attached.peerId).toBe(node.peerId.toString())
    const dialer = await started({ versions: [68, 69] })
    const accepted = attached.accept(AbortSignal.timeout(5_000))
    const out = await dialer.dial(attached.multiaddrs()[0] as string)
    const inn = await accepted
    expect([out.version, inn.version]).toEqual([68, 68])
    await attached.stop()
    expect(inn.closeInfo).toEqual({ reason: DisconnectReason.ClientQuitting, remote: false })
    expect(node.status).toBe('started')
    // our protocols are gone from the node
    expect(node.getProtocols().some((p) => p.startsWith('/ethwire/eth/'))).toBe(false)
  })
})

describe('node key', () => {
  it('is created once in the data directory and the peer id survives restarts', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ethwire-libp2p-'))
    cleanups.push(() => rm(dir, { recursive: true, force: true }))
    const first = createLibp2pTransport({}, { datadir: dir })
    await first.start()
    const id = first.peerId
    await first.stop()
    const second = createLibp2pTransport({}, { datadir: dir })
    await second.start()
    expect(second.peerId).toBe(id)
    await second.stop()
    const key = await loadOrCreatePeerKey(dir)
    expect(key.publicKey.toString()).toBeTypeOf('string')
    const other = createLibp2pTransport({}, {})
    await other.start()
    expect(other.peerId).not.toBe(id)
    await other.stop()
  })

  it('a corrupt key file is an ErrPeerKey error, not silently replaced', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ethwire-libp2p-'))
    cleanups.push(() => rm(dir, { recursive: true, force: true }))
    await writeFile(join(dir, peerKeyFileName), 'not a key')
    await expect(loadOrCreatePeerKey(dir)).rejects.toMatchObject({ code: 'ErrPeerKey' })
  })
})

async function waitFor(cond: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 20))
  }
}
