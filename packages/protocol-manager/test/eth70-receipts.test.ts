/**
 * eth/70 (EIP-7975) partial receipts: serving GetReceipts with firstBlockReceiptIndex and the
 * packet cap (lastBlockIncomplete), and the request side in the downloader adapter — a cut block
 * continued from the same peer and merged, EIP-7975's checks on every cut list, and the drops.
 * Plus which downloader requests an adapter offers per version (receipts on eth/63+, node data on
 * eth/63–66 only).
 */
import type { Chain } from '@ethwire/chain'
import { handshake, type LocalStatus } from '@ethwire/handshake'
import { Peer } from '@ethwire/peerset'
import {
  type Block,
  bytesToHex,
  decodeMessage,
  type EthConnection,
  type EthMessage,
  encodeMessage,
  equalBytes,
  type ReceiptData,
  receiptsRoot,
} from '@ethwire/rlp-wire'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  answerGetReceiptsEth70,
  createReceiptRequests,
  isProtocolError,
  type ProtocolError,
  type ReceiptRequests,
  toDownloaderPeer,
} from '../src/index.js'
import { attachRemote, pipePair } from '../src/testing.js'
import {
  cleanupChains,
  localStatusOf,
  newChain,
  newManager,
  receiptChain,
  stopManagers,
} from './helpers.js'

let chain: Chain
let serving: Chain
let blocks: Block[]
let receipts: Map<string, ReceiptData[]>
const rs = (b: Block) => receipts.get(bytesToHex(b.hash))!

beforeEach(async () => {
  chain = await newChain()
  // 6 blocks of 20 receipts, each with 1,000 bytes of log data (about 1.1 KB on the wire).
  ;({ serving, blocks, receipts } = await receiptChain(chain, 6, { perBlock: 20, logBytes: 1000 }))
})
const closers: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const c of closers.splice(0)) await c().catch(() => {})
  await stopManagers()
  await cleanupChains()
})

const receiptBytes = 1_000 + 100 // a generous per-receipt size for the limits below

describe('serving GetReceipts on eth/70', () => {
  it('the first list starts at firstBlockReceiptIndex; whole lists after it', async () => {
    const a = await answerGetReceiptsEth70(serving, [blocks[0]!.hash, blocks[1]!.hash], 7n)
    expect(a.lastBlockIncomplete).toBe(false)
    expect(a.receipts.map((l) => l.length)).toEqual([13, 20])
    expect(a.receipts[0]![0]!.cumulativeGasUsed).toBe(rs(blocks[0]!)[7]!.cumulativeGasUsed)
  })

  it('a block over the packet cap is cut after the last receipt that fits, flag set', async () => {
    const cap = Math.floor(receiptBytes * 30) // 1.5 blocks
    const a = await answerGetReceiptsEth70(
      serving,
      blocks.map((b) => b.hash),
      0n,
      { maxPacketBytes: cap },
    )
    expect(a.lastBlockIncomplete).toBe(true)
    expect(a.receipts.length).toBe(2)
    expect(a.receipts[0]!.length).toBe(20)
    const cut = a.receipts[1]!.length
    expect(cut).toBeGreaterThan(0)
    expect(cut).toBeLessThan(20)
    // What a continuation from there serves is the rest of that block, then the next ones.
    const b = await answerGetReceiptsEth70(
      serving,
      blocks.slice(1).map((x) => x.hash),
      BigInt(cut),
      { maxPacketBytes: cap },
    )
    expect(b.receipts[0]!.length).toBe(20 - cut)
    expect([...a.receipts[1]!, ...b.receipts[0]!]).toEqual(rs(blocks[1]!))
  })

  it('ends at the first block it does not have (no skipping: lists follow the request)', async () => {
    const a = await answerGetReceiptsEth70(
      serving,
      [blocks[0]!.hash, new Uint8Array(32).fill(9), blocks[1]!.hash],
      0n,
    )
    expect(a.receipts.length).toBe(1)
    expect(a.lastBlockIncomplete).toBe(false)
  })

  it('an index at the end gives an empty first list; past the end, an empty answer', async () => {
    const at = await answerGetReceiptsEth70(serving, [blocks[0]!.hash, blocks[1]!.hash], 20n)
    expect(at.receipts.map((l) => l.length)).toEqual([0, 20])
    const past = await answerGetReceiptsEth70(serving, [blocks[0]!.hash, blocks[1]!.hash], 21n)
    expect(past).toEqual({ receipts: [], lastBlockIncomplete: false })
  })

  it('whole lists stop at the soft limit (checked before each block), never cut by it', async () => {
    const a = await answerGetReceiptsEth70(
      serving,
      blocks.map((b) => b.hash),
      0n,
      { softResponseLimitBytes: receiptBytes * 25 },
    )
    expect(a.lastBlockIncomplete).toBe(false)
    expect(a.receipts.map((l) => l.length)).toEqual([20, 20])
  })

  it('through a manager: eth/70 cut with lastBlockIncomplete, eth/69 whole', async () => {
    const pm = newManager(
      serving,
      {},
      {
        minSyncPeers: 100,
        serveLimits: { maxPacketBytes: receiptBytes * 30 },
      },
    )
    await pm.start()
    const hashes = blocks.slice(0, 3).map((b) => b.hash)
    const r70 = await attachRemote(pm, { version: 70, local: await localStatusOf(chain) })
    await r70.send({ name: 'GetReceipts', requestId: 5n, hashes, firstBlockReceiptIndex: 4n })
    const a = await r70.readUntil('Receipts')
    expect(a.requestId).toBe(5n)
    expect(a.lastBlockIncomplete).toBe(true)
    expect(a.receipts[0]!.length).toBe(16)
    expect(a.receipts.length).toBe(2)
    const r69 = await attachRemote(pm, { version: 69, local: await localStatusOf(chain) })
    await r69.send({ name: 'GetReceipts', requestId: 6n, hashes })
    const b = await r69.readUntil('Receipts')
    expect(b.receipts.map((l) => l.length)).toEqual([20, 20, 20])
  })
})

/** Our side of a connection: a Peer fed by a read loop that offers Receipts to `tracker` first. */
async function ourPeer(conn: EthConnection, version: number, local: LocalStatus) {
  const { remote } = await handshake({ conn, local })
  const peer = new Peer({ conn, status: remote })
  const tracker = createReceiptRequests({ random: Math.random })
  const loop = (async () => {
    for (;;) {
      let msg: EthMessage
      try {
        msg = decodeMessage(version, await conn.readMsg())
      } catch {
        break
      }
      if (msg.name === 'Receipts' && tracker.deliver(peer, msg) !== 'not-ours') continue
      peer.deliver(msg)
    }
    peer.close()
    tracker.removePeer(peer)
  })()
  closers.push(async () => {
    await conn.close()
    await loop
  })
  return { peer, tracker }
}

/** A tracker that counts the requests it sends (first indexes). */
function counting(t: ReceiptRequests, firsts: bigint[]): ReceiptRequests {
  return {
    request: (peer, hashes, first, signal) => {
      firsts.push(first)
      return t.request(peer, hashes, first, signal)
    },
    deliver: (peer, msg) => t.deliver(peer, msg),
    removePeer: (peer) => t.removePeer(peer),
    get pending() {
      return t.pending
    },
  }
}

describe('requesting receipts on eth/70 (the downloader adapter)', () => {
  it('cut blocks are continued from the same peer and merged; every list matches its header', async () => {
    const pm = newManager(
      serving,
      {},
      {
        minSyncPeers: 100,
        serveLimits: { maxPacketBytes: receiptBytes * 13 }, // every block needs two rounds or more
      },
    )
    await pm.start()
    const [mine, theirs] = pipePair({ version: 70 })
    void pm.handle(theirs)
    const { peer, tracker } = await ourPeer(mine, 70, await localStatusOf(chain))
    const firsts: bigint[] = []
    const errors: ProtocolError[] = []
    const dp = toDownloaderPeer(peer, {
      receipts: counting(tracker, firsts),
      onProtocolError: (e) => errors.push(e),
    })
    const lists = await dp.requestReceipts!(
      blocks.map((b) => b.hash),
      new AbortController().signal,
    )
    expect(errors).toEqual([])
    expect(lists.length).toBe(blocks.length)
    for (const [i, b] of blocks.entries()) {
      expect(lists[i]).toEqual(rs(b))
      expect(equalBytes(receiptsRoot(lists[i]!), b.header.receiptRoot)).toBe(true)
    }
    expect(firsts.length).toBeGreaterThan(blocks.length) // cut and continued, more than once
    expect(firsts[0]).toBe(0n)
    expect(firsts.some((f) => f > 0n)).toBe(true)
    expect(tracker.pending).toBe(0)
  })

  it('offers requestReceipts on eth/63+ (eth/70 only with a tracker) and requestNodeData on eth/63–66', async () => {
    const pm = newManager(serving, {}, { minSyncPeers: 100 })
    await pm.start()
    for (const version of [62, 63, 66, 67, 68, 69, 70]) {
      const [mine, theirs] = pipePair({ version })
      void pm.handle(theirs)
      const { peer, tracker } = await ourPeer(mine, version, await localStatusOf(chain))
      const with_ = toDownloaderPeer(peer, { receipts: tracker })
      const without = toDownloaderPeer(peer)
      expect(typeof with_.requestReceipts, `eth/${version}`).toBe(
        version >= 63 ? 'function' : 'undefined',
      )
      expect(typeof without.requestReceipts, `eth/${version}`).toBe(
        version >= 63 && version < 70 ? 'function' : 'undefined',
      )
      expect(typeof with_.requestNodeData, `eth/${version}`).toBe(
        version >= 63 && version <= 66 ? 'function' : 'undefined',
      )
      if (version >= 63) {
        const got = await with_.requestReceipts!([blocks[2]!.hash], new AbortController().signal)
        // eth/63–68 receipts carry their bloom on the wire; the rest is the same.
        const noBloom = got.map((l) => l.map(({ bloom: _b, ...r }) => r))
        expect(noBloom).toEqual([rs(blocks[2]!)])
      }
    }
  })
})

/** A test-played server on eth/70 answering GetReceipts with `answer(request, round)`. */
async function lyingServer(
  answer: (req: Extract<EthMessage, { name: 'GetReceipts' }>, round: number) => EthMessage,
) {
  const local = await localStatusOf(chain)
  const [mine, theirs] = pipePair({ version: 70 })
  const [ours] = await Promise.all([ourPeer(mine, 70, local), handshake({ conn: theirs, local })])
  let round = 0
  const serve = (async () => {
    for (;;) {
      let msg: EthMessage
      try {
        msg = decodeMessage(70, await theirs.readMsg())
      } catch {
        return
      }
      if (msg.name !== 'GetReceipts') continue
      const { code, payload } = encodeMessage(70, answer(msg, round++))
      await theirs.writeMsg(code, payload).catch(() => {})
    }
  })()
  closers.push(async () => {
    await theirs.close()
    await serve
  })
  const errors: ProtocolError[] = []
  const headers = new Map(blocks.map((b) => [bytesToHex(b.hash), b.header]))
  const dp = toDownloaderPeer(ours.peer, {
    receipts: ours.tracker,
    onProtocolError: (e) => errors.push(e),
    headerOf: (h) => headers.get(bytesToHex(h)),
  })
  const request = (bs: Block[]) =>
    dp.requestReceipts!(
      bs.map((b) => b.hash),
      new AbortController().signal,
    ).catch((e: unknown) => e)
  return { request, errors, tracker: ours.tracker }
}

describe('EIP-7975 checks on a cut list (the peer is dropped)', () => {
  const reply = (
    req: { requestId?: bigint },
    lists: ReceiptData[][],
    lastBlockIncomplete: boolean,
  ): EthMessage => ({
    name: 'Receipts',
    requestId: req.requestId!,
    receipts: lists,
    lastBlockIncomplete,
  })

  it('more receipts than the block’s gas allows', async () => {
    // 20 receipts at 100,000 gas each: gasUsed 2,000,000 allows at most 95 receipts.
    const tooMany = Array.from({ length: 96 }, () => rs(blocks[0]!)[0]!)
    const s = await lyingServer((req) => reply(req, [tooMany], true))
    const err = await s.request([blocks[0]!])
    expect(isProtocolError(err, 'ErrInvalidReceipts')).toBe(true)
    expect(s.errors.map((e) => e.code)).toEqual(['ErrInvalidReceipts'])
  })

  it('cumulative gas going down', async () => {
    const [a, b] = rs(blocks[0]!)
    const s = await lyingServer((req) => reply(req, [[b!, a!]], true))
    expect(isProtocolError(await s.request([blocks[0]!]), 'ErrInvalidReceipts')).toBe(true)
  })

  it('a continuation that adds nothing', async () => {
    const part = rs(blocks[0]!).slice(0, 5)
    const s = await lyingServer((req, round) => reply(req, round === 0 ? [part] : [[]], true))
    const err = await s.request([blocks[0]!])
    expect(isProtocolError(err, 'ErrInvalidReceipts')).toBe(true)
    expect(String(err)).toContain('added no receipt')
  })

  it('more lists than blocks asked', async () => {
    const s = await lyingServer((req) => reply(req, [rs(blocks[0]!), rs(blocks[1]!)], false))
    const err = await s.request([blocks[0]!])
    expect(isProtocolError(err, 'ErrInvalidReceipts')).toBe(true)
    expect(s.errors.length).toBe(1)
    expect(s.tracker.pending).toBe(0)
  })

  it('at most maxPartialReceiptRounds continuations for one block', async () => {
    // A block that (claims to) need one round per receipt: 1 receipt each time.
    const {
      serving: _s,
      blocks: big,
      receipts: bigRs,
    } = await receiptChain(chain, 1, {
      perBlock: 60,
      logBytes: 10,
      gasPerTx: 21_000n,
    })
    blocks.push(big[0]!)
    const all = bigRs.get(bytesToHex(big[0]!.hash))!
    const s = await lyingServer((req) => {
      const from = Number(req.firstBlockReceiptIndex ?? 0n)
      return reply(req, [all.slice(from, from + 1)], true)
    })
    const err = await s.request([big[0]!])
    expect(isProtocolError(err, 'ErrInvalidReceipts')).toBe(true)
    expect(String(err)).toContain('continuations')
  })

  it('a continuation answered with nothing ends the answer before the cut block', async () => {
    const s = await lyingServer((req, round) =>
      round === 0
        ? reply(req, [rs(blocks[0]!), rs(blocks[1]!).slice(0, 3)], true)
        : reply(req, [], false),
    )
    const got = await s.request([blocks[0]!, blocks[1]!, blocks[2]!])
    expect(got).toEqual([rs(blocks[0]!)])
    expect(s.errors).toEqual([])
  })
})
