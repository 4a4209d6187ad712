import { FakeClock, flush } from '@ethwire/interface/testing'
import {
  type BlockHeader,
  bytesToHex,
  DisconnectReason,
  decodeMessage,
  type EthConnection,
  type EthMessage,
  encodeMessage,
  isWireError,
} from '@ethwire/rlp-wire'
import {
  genBlock,
  genBody,
  genHeader,
  genReceipt,
  genTransaction,
  msgPipe,
  Rand,
} from '@ethwire/rlp-wire/testing'
import { describe, expect, it } from 'vitest'
import { isPeerError, KnownSet, Peer, type PeerError } from '../src/index.js'
import { peerPair, testStatus } from '../src/testing.js'

const r = new Rand(42)
const hash = (n: number) =>
  new Uint8Array(32).fill(0).map((_, i) => (i === 0 ? n >> 8 : i === 1 ? n & 0xff : 7))

async function readOn(remote: EthConnection, version: number): Promise<EthMessage> {
  return decodeMessage(version, await remote.readMsg())
}

/** The remote answers with `msg` (eth/66+: with the request's id). */
async function answer(remote: EthConnection, version: number, msg: EthMessage): Promise<void> {
  const { code, payload } = encodeMessage(version, msg)
  await remote.writeMsg(code, payload)
}

async function errorOf(p: Promise<unknown>): Promise<PeerError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  )
  expect(isPeerError(e), String(e)).toBe(true)
  return e as PeerError
}

describe('peer state', () => {
  it('eth/68: head and TD from the Status, updated by NewBlock (parent, TD minus difficulty)', () => {
    const { peer } = peerPair({ version: 68, status: testStatus(68, { td: 100n }) })
    expect(peer.td).toBe(100n)
    expect(peer.blockRange).toBeUndefined()
    const block = genBlock(r)
    peer.observe({ name: 'NewBlock', block, td: 1_000_000n + block.header.difficulty })
    expect(peer.td).toBe(1_000_000n)
    expect(bytesToHex(peer.headHash)).toBe(bytesToHex(block.header.parentHash))
    expect(peer.knowsBlock(block.hash)).toBe(true)
    // A lower TD does not move the head back.
    peer.observe({ name: 'NewBlock', block: genBlock(r), td: 5n })
    expect(peer.td).toBe(1_000_000n)
  })

  it('eth/69: block range from the Status, updated by BlockRangeUpdate', () => {
    const { peer } = peerPair({ version: 69, status: testStatus(69, { number: 50n }) })
    expect(peer.td).toBeUndefined()
    expect(peer.blockRange?.latestBlock).toBe(50n)
    peer.observe({
      name: 'BlockRangeUpdate',
      range: { earliestBlock: 2n, latestBlock: 60n, latestBlockHash: hash(60) },
    })
    expect(peer.blockRange).toEqual({
      earliestBlock: 2n,
      latestBlock: 60n,
      latestBlockHash: hash(60),
    })
    expect(peer.headHash).toEqual(hash(60))
    expect(peer.info()).toMatchObject({ version: 69, blockRange: { latestBlock: 60n } })
    const block = genBlock(r)
    peer.observe({ name: 'NewBlock', block, td: 10n ** 30n })
    expect(peer.knowsBlock(block.hash)).toBe(true)
    expect(peer.headHash).toEqual(hash(60))
    expect(peer.td).toBeUndefined()
  })

  it('announcements mark blocks and transactions known', () => {
    const { peer } = peerPair({ version: 68 })
    const tx = genTransaction(r, 2)
    peer.observe({ name: 'NewBlockHashes', entries: [{ hash: hash(1), number: 1n }] })
    peer.observe({ name: 'Transactions', txs: [tx] })
    peer.observe({
      name: 'NewPooledTransactionHashes',
      hashes: [hash(2)],
      types: [2],
      sizes: [100],
    })
    expect(peer.knowsBlock(hash(1))).toBe(true)
    expect(peer.knowsTx(tx.hash)).toBe(true)
    expect(peer.knowsTx(hash(2))).toBe(true)
    expect(peer.knowsTx(hash(3))).toBe(false)
  })
})

describe('bounded known sets', () => {
  it('KnownSet evicts the oldest first', () => {
    const s = new KnownSet(3)
    for (let i = 0; i < 5; i++) s.add(hash(i))
    expect(s.size).toBe(3)
    expect([0, 1, 2, 3, 4].map((i) => s.has(hash(i)))).toEqual([false, false, true, true, true])
    s.add(hash(2)) // re-adding does not refresh or grow
    s.add(hash(5))
    expect(s.has(hash(2))).toBe(false)
    expect(() => new KnownSet(0)).toThrow(RangeError)
  })

  it('KnownSet behaves like a FIFO model under random adds', () => {
    const rand = new Rand(5)
    const cap = 17
    const s = new KnownSet(cap)
    const model: number[] = []
    for (let i = 0; i < 2_000; i++) {
      const v = rand.int(60)
      s.add(hash(v))
      if (!model.includes(v)) {
        model.push(v)
        if (model.length > cap) model.shift()
      }
      if (i % 50 === 0) {
        for (let x = 0; x < 60; x++) expect(s.has(hash(x))).toBe(model.includes(x))
      }
    }
    expect(s.size).toBe(model.length)
  })

  it('KnownSet keys by content: one hash object shared by many sets, copies and views all match', () => {
    const sets = Array.from({ length: 5 }, () => new KnownSet(4))
    const h = hash(42)
    for (const s of sets) s.add(h)
    const backing = new Uint8Array(96)
    backing.set(h, 40)
    const view = backing.subarray(40, 72)
    for (const s of sets) {
      expect(s.has(h)).toBe(true)
      expect(s.has(h.slice())).toBe(true)
      expect(s.has(view)).toBe(true)
      expect(s.has(hash(43))).toBe(false)
    }
    // a set that forgot the shared hash does not affect the others
    for (let i = 0; i < 4; i++) sets[0]?.add(hash(100 + i))
    expect(sets[0]?.has(h)).toBe(false)
    expect(sets[1]?.has(h)).toBe(true)
  })

  it('KnownSet tells long keys apart by every byte (keys past 64 bytes go in chunks)', () => {
    const s = new KnownSet(8)
    const long = new Uint8Array(10_000).fill(7)
    s.add(long)
    const last = long.slice()
    last[9_999] = 8
    const first = long.slice()
    first[0] = 8
    expect(s.has(long.slice())).toBe(true)
    expect(s.has(last)).toBe(false)
    expect(s.has(first)).toBe(false)
    expect(s.has(long.subarray(0, 9_999))).toBe(false)
  })

  it('default peer limits are 1,024 blocks and 32,768 txs', () => {
    const { peer } = peerPair({ version: 68 })
    for (let i = 0; i < 1_025; i++) peer.markBlock(hash(i))
    expect(peer.knownBlocks.size).toBe(1_024)
    expect(peer.knowsBlock(hash(0))).toBe(false)
    expect(peer.knowsBlock(hash(1_024))).toBe(true)
    const tx = (i: number) => Uint8Array.of(i >> 16, (i >> 8) & 0xff, i & 0xff)
    for (let i = 0; i < 32_769; i++) peer.markTransaction(tx(i))
    expect(peer.knownTxs.size).toBe(32_768)
    expect(peer.knowsTx(tx(0))).toBe(false)
    expect(peer.knowsTx(tx(1))).toBe(true)
  })

  it('limits are options', () => {
    const { peer } = peerPair({ options: { maxKnownBlocks: 2, maxKnownTxs: 1 } })
    peer.markBlock(hash(1))
    peer.markBlock(hash(2))
    peer.markBlock(hash(3))
    expect(peer.knownBlocks.size).toBe(2)
    expect(peer.knownTxs.capacity).toBe(1)
  })
})

describe('send helpers', () => {
  for (const version of [62, 63, 66, 67, 68, 69]) {
    it(`eth/${version}: NewBlockHashes, NewBlock, Transactions${version >= 66 ? ', NewPooledTransactionHashes' : ''}${version >= 69 ? ', BlockRangeUpdate' : ''}`, async () => {
      const { peer, remote } = peerPair({ version })
      const block = genBlock(r)
      const txs = [genTransaction(r, 0), genTransaction(r, 2)]
      await peer.sendNewBlockHashes([{ hash: block.hash, number: block.header.number }])
      expect(await readOn(remote, version)).toMatchObject({
        name: 'NewBlockHashes',
        entries: [{ hash: block.hash }],
      })
      await peer.sendNewBlock(block, 77n)
      const nb = await readOn(remote, version)
      expect(nb.name === 'NewBlock' && bytesToHex(nb.block.hash)).toBe(bytesToHex(block.hash))
      await peer.sendTransactions(txs)
      const t = await readOn(remote, version)
      expect(t.name === 'Transactions' && t.txs.map((x) => bytesToHex(x.hash))).toEqual(
        txs.map((x) => bytesToHex(x.hash)),
      )
      expect(peer.knowsBlock(block.hash) && peer.knowsTx(txs[1]!.hash)).toBe(true)
      if (version >= 66) {
        const more = [genTransaction(r, 1)]
        await peer.sendPooledTransactionHashes(more)
        const a = await readOn(remote, version)
        expect(a).toMatchObject({ name: 'NewPooledTransactionHashes', hashes: [more[0]!.hash] })
        if (version >= 68) expect(a).toMatchObject({ types: [1], sizes: [more[0]!.size] })
        else expect('types' in a && a.types !== undefined).toBe(false)
      } else {
        expect((await errorOf(peer.sendPooledTransactionHashes([genTransaction(r, 0)]))).code).toBe(
          'ErrUnsupported',
        )
      }
      const range = { earliestBlock: 0n, latestBlock: 9n, latestBlockHash: hash(9) }
      if (version >= 69) {
        await peer.sendBlockRangeUpdate(range)
        expect(await readOn(remote, version)).toEqual({ name: 'BlockRangeUpdate', range })
      } else {
        expect((await errorOf(peer.sendBlockRangeUpdate(range))).code).toBe('ErrUnsupported')
      }
    })
  }

  it('sending on a closed connection closes the peer', async () => {
    const { peer, remote } = peerPair()
    await remote.close(DisconnectReason.UselessPeer)
    expect((await errorOf(peer.sendTransactions([]))).code).toBe('ErrClosed')
    expect(peer.closed).toBe(true)
  })
})

describe('requests on eth/66+ (request ids)', () => {
  it('matches concurrent requests by id, answered out of order', async () => {
    const clock = new FakeClock()
    const { peer, remote, conn } = peerPair({ version: 68, clock })
    const h1 = [genHeader(r, 17)]
    const h2 = [genHeader(r, 17), genHeader(r, 17)]
    const p1 = peer.requestHeadersByNumber({ number: 1n, amount: 1 })
    const p2 = peer.requestHeadersByHash({ hash: hash(5), amount: 2, skip: 1, reverse: true })
    const q1 = await readOn(remote, 68)
    const q2 = await readOn(remote, 68)
    if (q1.name !== 'GetBlockHeaders' || q2.name !== 'GetBlockHeaders')
      throw new Error('expected GetBlockHeaders')
    expect(q1.request).toEqual({ origin: { number: 1n }, amount: 1n, skip: 0n, reverse: false })
    expect(q2.request).toEqual({ origin: { hash: hash(5) }, amount: 2n, skip: 1n, reverse: true })
    expect(q1.requestId).not.toBe(q2.requestId)
    await answer(remote, 68, { name: 'BlockHeaders', requestId: q2.requestId!, headers: h2 })
    await answer(remote, 68, { name: 'BlockHeaders', requestId: q1.requestId!, headers: h1 })
    expect(peer.deliver(await conn.readMsg())).toBe('matched')
    expect(peer.deliver(await conn.readMsg())).toBe('matched')
    const hashes = (hs: BlockHeader[]) => hs.map((h) => bytesToHex(h.hash))
    expect(hashes(await p1)).toEqual(hashes(h1))
    expect(hashes(await p2)).toEqual(hashes(h2))
    expect(peer.pendingRequests).toBe(0)
    expect(clock.pending).toBe(0)
  })

  it('unknown id, wrong kind and unasked responses are unsolicited; others are not responses', async () => {
    const { peer, remote } = peerPair({ version: 67, clock: new FakeClock() })
    const p = peer.requestBodies([hash(1)])
    const q = await readOn(remote, 67)
    const id = (q as { requestId: bigint }).requestId
    expect(peer.deliver({ name: 'BlockBodies', requestId: id + 1n, bodies: [] })).toBe(
      'unsolicited',
    )
    expect(peer.deliver({ name: 'Receipts', requestId: id, receipts: [] })).toBe('unsolicited')
    expect(peer.deliver({ name: 'NewBlockHashes', entries: [] })).toBe('not-a-response')
    expect(peer.unsolicitedResponses).toBe(2)
    const body = genBody(r)
    expect(peer.handleResponse({ name: 'BlockBodies', requestId: id, bodies: [body] })).toBe(
      'matched',
    )
    expect((await p).length).toBe(1)
    // A second answer to the same id comes too late.
    expect(peer.deliver({ name: 'BlockBodies', requestId: id, bodies: [] })).toBe('unsolicited')
  })

  it('onUnsolicited receives unmatched responses; raw non-responses are not decoded', () => {
    const seen: string[] = []
    const [a] = msgPipe({ version: 68 })
    const peer = new Peer({
      conn: a,
      status: testStatus(68),
      clock: new FakeClock(),
      onUnsolicited: (m, p) => seen.push(`${m.name}@${p.id}`),
    })
    const { code, payload } = encodeMessage(68, {
      name: 'BlockHeaders',
      requestId: 99n,
      headers: [],
    })
    expect(peer.deliver({ code, payload, size: payload.length, receivedAt: 0 })).toBe('unsolicited')
    expect(seen).toEqual([`BlockHeaders@${a.remoteId}`])
    // A Transactions message with a garbage payload: not a response, so never decoded.
    expect(peer.deliver({ code: 0x02, payload: Uint8Array.of(0xff), size: 1, receivedAt: 0 })).toBe(
      'not-a-response',
    )
    // A response with a garbage payload is decoded and throws a WireError.
    let thrown: unknown
    try {
      peer.deliver({ code: 0x04, payload: Uint8Array.of(0xff), size: 1, receivedAt: 0 })
    } catch (e) {
      thrown = e
    }
    expect(isWireError(thrown)).toBe(true)
  })

  it('a response longer than the request is invalid and fails the request', async () => {
    const { peer, remote } = peerPair({ version: 68, clock: new FakeClock() })
    const p = peer.requestReceipts([hash(1)])
    const q = await readOn(remote, 68)
    const id = (q as { requestId: bigint }).requestId
    expect(q.name).toBe('GetReceipts')
    expect(
      peer.deliver({
        name: 'Receipts',
        requestId: id,
        receipts: [[genReceipt(r)], [genReceipt(r)]],
      }),
    ).toBe('invalid')
    expect((await errorOf(p)).code).toBe('ErrInvalidResponse')
  })

  it('pooled transactions, receipts and node data resolve with their payloads', async () => {
    const { peer, remote, conn } = peerPair({ version: 66, clock: new FakeClock() })
    const txs = [genTransaction(r, 2)]
    const pt = peer.requestPooledTransactions([txs[0]!.hash])
    const nd = peer.requestNodeData([hash(3)])
    const rc = peer.requestReceipts([hash(4)])
    for (let i = 0; i < 3; i++) {
      const q = await readOn(remote, 66)
      const requestId = (q as { requestId: bigint }).requestId
      if (q.name === 'GetPooledTransactions')
        await answer(remote, 66, { name: 'PooledTransactions', requestId, txs })
      if (q.name === 'GetNodeData')
        await answer(remote, 66, { name: 'NodeData', requestId, data: [Uint8Array.of(1, 2, 3)] })
      if (q.name === 'GetReceipts')
        await answer(remote, 66, { name: 'Receipts', requestId, receipts: [[genReceipt(r)]] })
      expect(peer.deliver(await conn.readMsg())).toBe('matched')
    }
    expect((await pt)[0]!.hash).toEqual(txs[0]!.hash)
    expect(await nd).toEqual([Uint8Array.of(1, 2, 3)])
    expect((await rc)[0]!.length).toBe(1)
  })

  it('times out on the injected clock; a late answer is then unsolicited', async () => {
    const clock = new FakeClock()
    const { peer, remote } = peerPair({ version: 68, clock, options: { requestTimeoutMs: 1_000 } })
    const p = peer.requestHeadersByNumber({ number: 1n, amount: 1 })
    const custom = peer.requestBodies([hash(1)], { timeoutMs: 50 })
    const q = await readOn(remote, 68)
    clock.tick(50)
    expect((await errorOf(custom)).code).toBe('ErrTimeout')
    clock.tick(949)
    expect(peer.pendingRequests).toBe(1)
    clock.tick(1)
    const err = await errorOf(p)
    expect(err.code).toBe('ErrTimeout')
    expect(err.disconnectReason).toBe(DisconnectReason.Timeout)
    expect(
      peer.deliver({
        name: 'BlockHeaders',
        requestId: (q as { requestId: bigint }).requestId,
        headers: [],
      }),
    ).toBe('unsolicited')
    expect(clock.pending).toBe(0)
  })

  it('has no timeout of its own: a request without one waits until its requester aborts it', async () => {
    // The requester owns the timeout (the downloader's TTL, the fetchers' fetch timeouts): a
    // peer-level default that fires first would turn every slow answer into a failure.
    const clock = new FakeClock()
    const { peer, remote } = peerPair({ version: 68, clock })
    expect(peer.requestTimeoutMs).toBeUndefined()
    const ac = new AbortController()
    const p = peer.requestHeadersByNumber({ number: 1n, amount: 1 }, { signal: ac.signal })
    const bare = peer.requestBodies([hash(1)])
    await readOn(remote, 68)
    await readOn(remote, 68)
    expect(clock.pending).toBe(0) // no timer armed for either request
    clock.advance(3_600_000)
    expect(peer.pendingRequests).toBe(2)
    ac.abort(new Error('requester gave up'))
    await expect(p).rejects.toThrow('requester gave up')
    expect(peer.pendingRequests).toBe(1)
    peer.close()
    expect((await errorOf(bare)).code).toBe('ErrClosed')
  })

  it('an AbortSignal cancels a request', async () => {
    const clock = new FakeClock()
    const { peer } = peerPair({ version: 68, clock })
    const ac = new AbortController()
    const p = peer.requestBodies([hash(1)], { signal: ac.signal })
    ac.abort(new Error('no longer needed'))
    await expect(p).rejects.toThrow('no longer needed')
    expect(peer.pendingRequests).toBe(0)
    expect(clock.pending).toBe(0)
    await expect(peer.requestBodies([], { signal: ac.signal })).rejects.toThrow('no longer needed')
  })

  it('versions without a message refuse the request', async () => {
    expect((await errorOf(peerPair({ version: 67 }).peer.requestNodeData([hash(1)]))).code).toBe(
      'ErrUnsupported',
    )
    expect(
      (await errorOf(peerPair({ version: 63 }).peer.requestPooledTransactions([hash(1)]))).code,
    ).toBe('ErrUnsupported')
  })

  it('close rejects pending requests and leaves no timers', async () => {
    const clock = new FakeClock()
    const { peer, remote } = peerPair({ version: 68, clock })
    const p = peer.requestHeadersByNumber({ number: 1n, amount: 1 })
    await peer.disconnect(DisconnectReason.UselessPeer)
    expect((await errorOf(p)).code).toBe('ErrClosed')
    expect(remote.closeInfo).toEqual({ reason: DisconnectReason.UselessPeer, remote: true })
    expect(clock.pending).toBe(0)
    expect((await errorOf(peer.requestBodies([hash(1)]))).code).toBe('ErrClosed')
  })
})

describe('requests on eth/62-63 (one in flight per kind)', () => {
  for (const version of [62, 63]) {
    it(`eth/${version}: a second request of a kind waits for the first; other kinds go at once`, async () => {
      const clock = new FakeClock()
      const { peer, remote } = peerPair({ version, clock })
      const a = peer.requestHeadersByNumber({ number: 1n, amount: 1 })
      const b = peer.requestHeadersByNumber({ number: 2n, amount: 1 })
      const c = peer.requestBodies([hash(9)])
      const first = await readOn(remote, version)
      expect(first).toMatchObject({ name: 'GetBlockHeaders', request: { origin: { number: 1n } } })
      expect('requestId' in first).toBe(false)
      expect(await readOn(remote, version)).toMatchObject({ name: 'GetBlockBodies' })
      // b is not on the wire yet: a read started now is still waiting once everything queued has
      // run (the pipe delivers a write at once), and the first thing it gets is b, after a answers.
      let next: EthMessage | undefined
      const reading = readOn(remote, version).then((m) => {
        next = m
        return m
      })
      await flush()
      expect(next).toBeUndefined()
      const h1 = genHeader(r, 15)
      expect(peer.deliver({ name: 'BlockHeaders', headers: [h1] })).toBe('matched')
      expect((await a)[0]!.hash).toEqual(h1.hash)
      expect(await reading).toMatchObject({
        name: 'GetBlockHeaders',
        request: { origin: { number: 2n } },
      })
      expect(peer.deliver({ name: 'BlockHeaders', headers: [] })).toBe('matched')
      expect(await b).toEqual([])
      expect(peer.deliver({ name: 'BlockBodies', bodies: [] })).toBe('matched')
      expect(await c).toEqual([])
      expect(peer.deliver({ name: 'BlockBodies', bodies: [] })).toBe('unsolicited')
      expect(clock.pending).toBe(0)
    })
  }

  it('a timeout frees the slot for the next request; an aborted waiter never goes out', async () => {
    const clock = new FakeClock()
    const { peer, remote } = peerPair({ version: 63, clock, options: { requestTimeoutMs: 100 } })
    const a = peer.requestReceipts([hash(1)])
    const ac = new AbortController()
    const b = peer.requestReceipts([hash(2)], { signal: ac.signal })
    const c = peer.requestReceipts([hash(3)])
    expect(await readOn(remote, 63)).toMatchObject({ name: 'GetReceipts', hashes: [hash(1)] })
    ac.abort(new Error('cancelled'))
    await expect(b).rejects.toThrow('cancelled')
    clock.tick(100)
    expect((await errorOf(a)).code).toBe('ErrTimeout')
    expect(await readOn(remote, 63)).toMatchObject({ name: 'GetReceipts', hashes: [hash(3)] })
    expect(peer.deliver({ name: 'Receipts', receipts: [[]] })).toBe('matched')
    expect(await c).toEqual([[]])
  })

  it('close rejects the in-flight and the waiting requests', async () => {
    const { peer } = peerPair({ version: 62, clock: new FakeClock() })
    const a = peer.requestBodies([hash(1)])
    const b = peer.requestBodies([hash(2)])
    peer.close()
    expect((await errorOf(a)).code).toBe('ErrClosed')
    expect((await errorOf(b)).code).toBe('ErrClosed')
  })
})

describe('deliver with raw messages', () => {
  it('decodes a Msg for the peer version', async () => {
    const { peer, remote, conn } = peerPair({ version: 69, clock: new FakeClock() })
    const p = peer.requestHeadersByNumber({ number: 3n, amount: 1 })
    const q = await readOn(remote, 69)
    await answer(remote, 69, {
      name: 'BlockHeaders',
      requestId: (q as { requestId: bigint }).requestId,
      headers: [],
    })
    const raw = await conn.readMsg()
    expect(peer.deliver(raw)).toBe('matched')
    expect(await p).toEqual([])
    expect(peer instanceof Peer).toBe(true)
  })
})
