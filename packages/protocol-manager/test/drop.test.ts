/**
 * A peer that breaks the protocol is dropped with a typed reason and the node goes on: unknown
 * codes per version, a second Status, an over-cap message, undecodable RLP, eth/69 block
 * announcements; refusal beyond maxPeers; handle() never rejects.
 */
import type { Chain } from '@ethwire/chain'
import { isHandshakeError } from '@ethwire/handshake'
import { DisconnectReason, encodeStatus, isWireError, MsgCode, rlpEncode } from '@ethwire/rlp-wire'
import { beforeEach, describe, expect, it } from 'vitest'
import type { ProtocolManagerEvents } from '../src/index.js'
import { attachRemote, pipePair, type RemotePeer, waitFor } from '../src/testing.js'
import { extend, localStatusOf, newChain, newManager, stopAllAfterEach } from './helpers.js'

let chain: Chain
beforeEach(async () => {
  chain = await newChain()
  await extend(chain, 20)
})
stopAllAfterEach()

async function stillServes(r: RemotePeer): Promise<void> {
  await r.send({
    name: 'GetBlockHeaders',
    requestId: 42n,
    request: { origin: { number: 3n }, amount: 2n, skip: 0n, reverse: false },
  })
  const res = await r.readUntil('BlockHeaders')
  expect(res.headers.map((h) => h.number)).toEqual([3n, 4n])
}

interface DropCase {
  name: string
  version: number
  maxMessageSize?: number
  code: string
  send: (r: RemotePeer) => Promise<void>
}

const cases: DropCase[] = [
  {
    name: 'unknown code 0x0b on eth/68',
    version: 68,
    code: 'ErrInvalidMsgCode',
    send: (r) => r.sendRaw(0x0b, rlpEncode([])),
  },
  {
    name: 'GetNodeData on eth/67',
    version: 67,
    code: 'ErrInvalidMsgCode',
    send: (r) => r.sendRaw(MsgCode.GetNodeData, rlpEncode([1, []])),
  },
  {
    name: 'GetNodeData on eth/68',
    version: 68,
    code: 'ErrInvalidMsgCode',
    send: (r) => r.sendRaw(MsgCode.GetNodeData, rlpEncode([1, []])),
  },
  {
    name: 'BlockRangeUpdate on eth/68',
    version: 68,
    code: 'ErrInvalidMsgCode',
    send: (r) => r.sendRaw(MsgCode.BlockRangeUpdate, rlpEncode([0, 1, new Uint8Array(32)])),
  },
  {
    name: 'GetReceipts on eth/62',
    version: 62,
    code: 'ErrInvalidMsgCode',
    send: (r) => r.sendRaw(MsgCode.GetReceipts, rlpEncode([])),
  },
  {
    name: 'NewPooledTransactionHashes on eth/63',
    version: 63,
    code: 'ErrInvalidMsgCode',
    send: (r) => r.sendRaw(MsgCode.NewPooledTransactionHashes, rlpEncode([])),
  },
  {
    name: 'code 0x20 on eth/69',
    version: 69,
    code: 'ErrInvalidMsgCode',
    send: (r) => r.sendRaw(0x20, rlpEncode([])),
  },
  {
    name: 'a second Status',
    version: 68,
    code: 'ErrExtraStatusMsg',
    send: async (r) => r.sendRaw(MsgCode.Status, encodeStatus(r.status)),
  },
  {
    name: 'a message over 10 MiB',
    version: 68,
    maxMessageSize: 12 * 1024 * 1024,
    code: 'ErrMsgTooLarge',
    send: (r) => r.sendRaw(MsgCode.Transactions, new Uint8Array(10 * 1024 * 1024 + 1)),
  },
  {
    name: 'bad RLP',
    version: 68,
    code: 'ErrDecode',
    send: (r) => r.sendRaw(MsgCode.GetBlockHeaders, new Uint8Array([0xff, 0x01])),
  },
  {
    name: 'trailing bytes',
    version: 66,
    code: 'ErrDecode',
    send: (r) => r.sendRaw(MsgCode.GetBlockBodies, new Uint8Array([0xc2, 0x01, 0xc0, 0x00])),
  },
  {
    name: 'wrong shape on eth/63',
    version: 63,
    code: 'ErrDecode',
    send: (r) => r.sendRaw(MsgCode.GetBlockHeaders, rlpEncode([1, 2])),
  },
  {
    name: 'NewBlockHashes on eth/69',
    version: 69,
    code: 'ErrBlockAnnounceForbidden',
    send: (r) =>
      r.send({
        name: 'NewBlockHashes',
        entries: [{ hash: new Uint8Array(32).fill(1), number: 30n }],
      }),
  },
  {
    name: 'NewBlock on eth/69',
    version: 69,
    code: 'ErrBlockAnnounceForbidden',
    send: async (r) => {
      const block = (await chain.getBlockByNumber(5n))!
      await r.sendRaw(MsgCode.NewBlock, rlpEncode([block.toRlpInput(), 1n]))
    },
  },
  {
    name: 'NewBlock with a TD over 100 bits',
    version: 68,
    code: 'ErrInvalidNewBlock',
    send: async (r) => {
      const block = (await chain.getBlockByNumber(5n))!
      await r.send({ name: 'NewBlock', block, td: 1n << 100n })
    },
  },
]

describe('protocol violations drop the peer, the node goes on', () => {
  for (const c of cases) {
    it(c.name, async () => {
      const pm = newManager(chain, {}, { minSyncPeers: 100 })
      pm.start()
      const removed: ProtocolManagerEvents['peer:removed'][] = []
      pm.on('peer:removed', (e) => removed.push(e))
      const local = await localStatusOf(chain)
      const bystander = await attachRemote(pm, { version: c.version, local, id: 'bystander' })
      const victim = await attachRemote(pm, {
        version: c.version,
        local,
        id: 'victim',
        ...(c.maxMessageSize !== undefined ? { maxMessageSize: c.maxMessageSize } : {}),
      })
      await waitFor(() => pm.peerCount === 2)
      await c.send(victim)
      await victim.done // handle() resolved, never rejected
      expect(victim.conn.closeInfo).toEqual({
        reason: DisconnectReason.ProtocolError,
        remote: true,
      })
      expect(removed.map((e) => [e.id, e.error])).toEqual([['victim', c.code]])
      expect(pm.stats().peersDropped).toBe(1)
      const logged = pm.log.entries.find((e) => e.message === 'dropping peer')
      expect(logged?.context?.code).toBe(c.code)
      expect(pm.peerInfos().map((p) => p.id)).toEqual(['bystander'])
      expect(pm.parts.downloader.peerIds()).toEqual(['bystander'])
      expect(pm.parts.txSync.peerCount).toBe(1)
      await stillServes(bystander)
      await bystander.close()
      expect(pm.peerCount).toBe(0)
      // Unregistered everywhere.
      expect(pm.parts.downloader.peerIds()).toEqual([])
      expect(pm.parts.txSync.peerCount).toBe(0)
    })
  }
})

describe('admission', () => {
  it('refuses peers beyond maxPeers with TooManyPeers', async () => {
    const pm = newManager(chain, {}, { maxPeers: 2, minSyncPeers: 100 })
    pm.start()
    const local = await localStatusOf(chain)
    const r1 = await attachRemote(pm, { version: 68, local })
    const r2 = await attachRemote(pm, { version: 68, local })
    expect(pm.peerCount).toBe(2)
    const err = await attachRemote(pm, { version: 68, local }).catch((e) => e)
    expect(isHandshakeError(err, 'ErrClosed')).toBe(true)
    expect(err.remoteReason).toBe(DisconnectReason.TooManyPeers)
    expect(pm.peerCount).toBe(2)
    // A slot frees up: the next one is taken.
    await r1.close()
    await waitFor(() => pm.peerCount === 1)
    const r3 = await attachRemote(pm, { version: 68, local })
    expect(pm.peerCount).toBe(2)
    await stillServes(r2)
    await stillServes(r3)
  })

  it('a failed handshake registers nothing and handle() resolves', async () => {
    const pm = newManager(chain, {}, { minSyncPeers: 100 })
    pm.start()
    const other = await localStatusOf(chain)
    other.genesisHash = new Uint8Array(32).fill(0xee)
    const err = await attachRemote(pm, { version: 68, local: other }).catch((e) => e)
    expect(isHandshakeError(err)).toBe(true)
    expect(pm.peerCount).toBe(0)
  })

  it('a handshake that never comes times out on the injected clock', async () => {
    const { FakeClock } = await import('@ethwire/interface/testing')
    const clock = new FakeClock()
    const pm = newManager(chain, { clock }, { minSyncPeers: 100, handshakeTimeoutMs: 5_000 })
    pm.start()
    const [mine, theirs] = pipePair({ version: 68 })
    const done = pm.handle(theirs)
    await mine.readMsg() // the pm's Status; we never answer
    await new Promise((r) => setTimeout(r, 10))
    clock.tick(5_000)
    await done
    expect(mine.closeInfo).toEqual({ reason: DisconnectReason.Timeout, remote: true })
    expect(pm.peerCount).toBe(0)
  })

  it('refuses the same peer id twice (AlreadyConnected)', async () => {
    const pm = newManager(chain, {}, { minSyncPeers: 100 })
    pm.start()
    const local = await localStatusOf(chain)
    const r1 = await attachRemote(pm, { version: 68, local, id: 'same' })
    const r2 = await attachRemote(pm, { version: 68, local, id: 'same' })
    await r2.done
    expect(r2.conn.closeInfo?.reason).toBe(DisconnectReason.AlreadyConnected)
    await stillServes(r1)
  })

  it('handle() never rejects, even when the transport throws something odd', async () => {
    const pm = newManager(chain, {}, { minSyncPeers: 100 })
    pm.start()
    const [mine, theirs] = pipePair({ version: 68 })
    let reads = 0
    const odd = new Proxy(theirs, {
      get(t, p) {
        if (p === 'readMsg') {
          return (signal?: AbortSignal) => {
            reads++
            if (reads > 1) throw new TypeError('transport bug')
            return t.readMsg(signal)
          }
        }
        const v = Reflect.get(t, p, t)
        return typeof v === 'function' ? v.bind(t) : v
      },
    })
    const done = pm.handle(odd)
    const { handshake } = await import('@ethwire/handshake')
    await handshake({ conn: mine, local: await localStatusOf(chain) })
    await expect(done).resolves.toBeUndefined()
    expect(pm.peerCount).toBe(0)
    expect(isWireError(await mine.readMsg().catch((e) => e), 'ErrClosed')).toBe(true)
  })

  it('a connection handed over before start() waits for it', async () => {
    const pm = newManager(chain, {}, { minSyncPeers: 100 })
    const local = await localStatusOf(chain)
    const pending = attachRemote(pm, { version: 68, local })
    await new Promise((r) => setTimeout(r, 50))
    expect(pm.peerCount).toBe(0)
    pm.start()
    const r = await pending
    await waitFor(() => pm.peerCount === 1)
    await stillServes(r)
  })

  it('stop() during a handshake ends it at once (ClientQuitting)', async () => {
    // The handshake would wait 10 minutes for our Status: only stop() can end it within the
    // test's timeout, however loaded the machine (no wall-clock bound needed).
    const pm = newManager(chain, {}, { minSyncPeers: 100, handshakeTimeoutMs: 600_000 })
    pm.start()
    const [mine, theirs] = pipePair({ version: 68 })
    const done = pm.handle(theirs)
    await mine.readMsg() // the pm's Status; we never answer
    let ended = false
    void done.then(() => {
      ended = true
    })
    await new Promise((r) => setImmediate(r))
    expect(ended).toBe(false) // still waiting for our Status
    await pm.stop()
    await done
    expect(mine.closeInfo?.reason).toBe(DisconnectReason.ClientQuitting)
  })

  it('after stop() new connections are refused with ClientQuitting', async () => {
    const pm = newManager(chain, {}, { minSyncPeers: 100 })
    pm.start()
    const r = await attachRemote(pm, { version: 68, local: await localStatusOf(chain) })
    await pm.stop()
    await r.done
    expect(r.conn.closeInfo?.reason).toBe(DisconnectReason.ClientQuitting)
    const [mine, theirs] = pipePair({ version: 68 })
    await pm.handle(theirs)
    expect(mine.closeInfo?.reason).toBe(DisconnectReason.ClientQuitting)
  })
})
