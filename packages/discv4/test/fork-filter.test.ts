/**
 * The fork-id filter (EIP-2124 / EIP-2364) on what the random walk hands a dialer: nodes whose
 * `eth` entry the filter refuses never come out; nodes without an `eth` entry only with
 * `includeNoEth`; our own record follows the head across a fork and peers see the change.
 * Real sockets on 127.0.0.1 and the real clock; every wait is bounded.
 */
import { crc32 } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  type DiscoveredNode,
  type Discv4,
  Enr,
  ethEntry,
  ethNodeFilter,
  ethRecordAccepted,
  type ForkId,
  ipToBytes,
} from '../src/index.js'
import { startLoopbackNetwork, testKey, waitFor } from '../src/testing.js'

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex')
const forkA: ForkId = { hash: Uint8Array.of(0xaa, 0xaa, 0xaa, 0xaa), next: 0n }
const forkB: ForkId = { hash: Uint8Array.of(0xbb, 0xbb, 0xbb, 0xbb), next: 0n }
const acceptA = (id: ForkId) => hex(id.hash) === hex(forkA.hash)

function record(key: number, eth?: unknown): Enr {
  return Enr.sign({
    privateKey: testKey(key),
    seq: 1n,
    entries: {
      ip: ipToBytes('10.9.0.1'),
      udp: 30303,
      tcp: 30303,
      ...(eth === undefined ? {} : { eth: eth as never }),
    },
  })
}

describe('ethRecordAccepted / ethNodeFilter', () => {
  it('accepts what the fork filter accepts, refuses the rest and malformed entries', () => {
    expect(ethRecordAccepted(record(1, ethEntry(forkA)), acceptA)).toBe(true)
    expect(ethRecordAccepted(record(2, ethEntry(forkB)), acceptA)).toBe(false)
    // `eth` present but not [[hash(4), next]]: refused even with includeNoEth.
    for (const bad of [[], [[Uint8Array.of(1, 2, 3), 0n]], Uint8Array.of(1), [[forkA.hash]]]) {
      expect(ethRecordAccepted(record(3, bad), acceptA, { includeNoEth: true })).toBe(false)
    }
    // A filter that throws refuses.
    const throwing = () => {
      throw new Error('boom')
    }
    expect(ethRecordAccepted(record(4, ethEntry(forkA)), throwing)).toBe(false)
    // Extra elements after the fork id (EIP-2124's list may grow) are ignored.
    expect(ethRecordAccepted(record(5, [[forkA.hash, 0n], Uint8Array.of(7)]), acceptA)).toBe(true)
  })

  it('nodes without an eth entry, or without a record, only with includeNoEth', () => {
    const none = record(6)
    expect(ethRecordAccepted(none, acceptA)).toBe(false)
    expect(ethRecordAccepted(none, acceptA, { includeNoEth: true })).toBe(true)
    expect(ethRecordAccepted(undefined, acceptA)).toBe(false)
    expect(ethRecordAccepted(undefined, acceptA, { includeNoEth: true })).toBe(true)
    const strict = ethNodeFilter(acceptA)
    const lax = ethNodeFilter(acceptA, { includeNoEth: true })
    expect([strict({ enr: none }), lax({ enr: none }), strict({}), lax({})]).toEqual([
      false,
      true,
      false,
      true,
    ])
    expect(lax({ enr: record(7, ethEntry(forkB)) })).toBe(false)
  })
})

// Node 0 is the bootnode and the reader: it takes forkA only. 1–3 run forkA, 4–5 forkB, 6–7 have
// no `eth` entry at all.
const kinds = ['boot', 'A', 'A', 'A', 'B', 'B', 'none', 'none'] as const
let net: Awaited<ReturnType<typeof startLoopbackNetwork>>

beforeAll(async () => {
  net = await startLoopbackNetwork({
    count: kinds.length,
    keyOffset: 1200,
    options: (i) => ({
      ...(kinds[i] === 'B' ? { forkId: forkB } : kinds[i] === 'none' ? {} : { forkId: forkA }),
      ...(i === 0 ? { forkFilter: acceptA } : {}),
      revalidationIntervalMs: 200,
    }),
  })
  await waitFor(() => net.nodes[0]!.tableSize >= kinds.length - 1, 'the bootnode knows all', {
    timeoutMs: 30_000,
  })
})

afterAll(async () => {
  await net?.stop()
})

/**
 * Reads the walk until every wanted node came out (or the bound passed), then on until the walker
 * ran `moreLookups` more random lookups (each finds every node of this small network, so a node the
 * filter let through would come out then); returns every node seen.
 */
async function readWalk(
  walker: Discv4,
  it: AsyncIterableIterator<DiscoveredNode>,
  want: Set<string>,
  moreLookups = 2,
): Promise<Map<string, DiscoveredNode>> {
  const seen = new Map<string, DiscoveredNode>()
  const deadline = Date.now() + 20_000
  let settled: number | undefined
  let poll: ReturnType<typeof setInterval> | undefined
  const lookupsDone = new Promise<'enough'>((resolve) => {
    poll = setInterval(() => {
      if (settled !== undefined && walker.stats.lookups >= settled + moreLookups) resolve('enough')
      if (Date.now() > deadline) resolve('enough')
    }, 20)
  })
  try {
    for (;;) {
      if (settled === undefined && [...want].every((id) => seen.has(id))) {
        settled = walker.stats.lookups
      }
      const r = await Promise.race([it.next(), lookupsDone])
      if (r === 'enough' || r.done) break
      seen.set(r.value.idHex, r.value)
    }
  } finally {
    clearInterval(poll)
    await it.return?.()
  }
  return seen
}

const ids = (k: (typeof kinds)[number]) =>
  net.nodes.filter((_, i) => kinds[i] === k).map((n) => n.localNode.idHex)

describe('randomNodes() with forkFilter', () => {
  it('hands out the nodes whose eth entry the filter accepts, never the others', async () => {
    const seen = await readWalk(net.nodes[0]!, net.nodes[0]!.randomNodes(), new Set(ids('A')))
    for (const id of ids('A')) expect(seen.has(id), id).toBe(true)
    for (const id of [...ids('B'), ...ids('none')]) expect(seen.has(id), id).toBe(false)
    for (const n of seen.values()) expect(acceptA(n.enr!.ethForkId!)).toBe(true)
  })

  it('includeNoEth: nodes without an eth entry too, still never a refused fork', async () => {
    const want = new Set([...ids('A'), ...ids('none')])
    const walker = net.nodes[0]!
    const seen = await readWalk(walker, walker.randomNodes({ includeNoEth: true }), want)
    for (const id of want) expect(seen.has(id), id).toBe(true)
    for (const id of ids('B')) expect(seen.has(id), id).toBe(false)
  })

  it('a per-iterator forkFilter replaces the service one', async () => {
    const acceptB = (id: ForkId) => hex(id.hash) === hex(forkB.hash)
    const seen = await readWalk(
      net.nodes[0]!,
      net.nodes[0]!.randomNodes({ forkFilter: acceptB }),
      new Set(ids('B')),
    )
    for (const id of ids('B')) expect(seen.has(id), id).toBe(true)
    for (const id of [...ids('A'), ...ids('none')]) expect(seen.has(id), id).toBe(false)
  })
})

// ---------------------------------------------------------------------------------------------
// Our record across a fork: EIP-2124 ids of a small schedule (genesis, a fork at block 10),
// computed here as the spec says (CRC32 of the genesis hash, then of each passed fork's uint64).

const genesisHash = Buffer.alloc(32, 0x11)
function forkIdAt(head: bigint, forks: readonly bigint[]): ForkId {
  let crc = crc32(genesisHash)
  for (const f of forks) {
    if (f > head) return { hash: u32(crc), next: f }
    const b = Buffer.alloc(8)
    b.writeBigUInt64BE(f)
    crc = crc32(b, crc)
  }
  return { hash: u32(crc), next: 0n }
}
function u32(n: number): Uint8Array {
  const b = Buffer.alloc(4)
  b.writeUInt32BE(n >>> 0)
  return new Uint8Array(b)
}

describe('our record follows the head across a fork', () => {
  it('the EIP-2124 helper of this test matches the mainnet vector', () => {
    const mainnet = Buffer.from(
      'd4e56740f876aef8c010b86a40d5f56745a118d0906a34e69aec8c0db1cb8fa3',
      'hex',
    )
    // EIP-2124: mainnet genesis is 0xfc64ec04, next 1150000.
    let crc = crc32(mainnet)
    expect(hex(u32(crc))).toBe('fc64ec04')
    const b = Buffer.alloc(8)
    b.writeBigUInt64BE(1150000n)
    crc = crc32(b, crc)
    expect(hex(u32(crc))).toBe('97c2c34c') // Homestead
  })

  it('setForkId on every head re-signs only at the fork; a peer reading the walk sees the new entry', async () => {
    const forks = [10n]
    const before = forkIdAt(0n, forks)
    const after = forkIdAt(10n, forks)
    expect(hex(before.hash)).not.toBe(hex(after.hash))
    const walker = net.nodes[0]! // accepts forkA only, as set up above
    const mover = net.nodes[6]! // no eth entry yet
    const seqs: bigint[] = []
    mover.on('localEnrChanged', (e) => seqs.push(e.seq))
    const seq0 = mover.localEnr.seq
    for (let h = 0n; h < 10n; h++) mover.setForkId(forkIdAt(h, forks))
    expect(seqs).toEqual([seq0 + 1n]) // the eth entry appeared once, heads 1–9 changed nothing
    expect(mover.localEnr.ethForkId).toEqual(before)
    for (let h = 10n; h < 20n; h++) mover.setForkId(forkIdAt(h, forks))
    expect(seqs).toEqual([seq0 + 1n, seq0 + 2n]) // crossed block 10: once more
    expect(mover.localEnr.ethForkId).toEqual(after)

    // The walker, whose filter now takes the post-fork id, finds the mover with that record: it
    // learns the new seq from the mover's Pongs (revalidation) and fetches the record again.
    const acceptAfter = (id: ForkId) => hex(id.hash) === hex(after.hash)
    const id = mover.localNode.idHex
    await waitFor(
      () => walker.tableNodes().find((n) => n.idHex === id)?.enr?.seq === mover.localEnr.seq,
      'the walker has the mover’s new record',
      { timeoutMs: 20_000 },
    )
    const seen = await readWalk(
      walker,
      walker.randomNodes({ forkFilter: acceptAfter }),
      new Set([id]),
    )
    expect(seen.get(id)?.enr?.ethForkId).toEqual(after)
    for (const other of seen.keys()) expect(other).toBe(id) // nobody else is on that fork
  })
})
