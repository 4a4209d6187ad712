import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  type BlockHeader,
  bytesToHex,
  keccak256,
  type Log,
  logsBloom,
  type ReceiptData,
} from '@ethwire/rlp-wire'
import { Level } from 'level'
import { afterEach, describe, expect, it } from 'vitest'
import {
  type BloomStore,
  bloomBitsOf,
  createBloomIndex,
  type FoundLog,
  isChainError,
  type LogFilter,
  type LogSource,
} from '../src/index.js'

// A chain of headers and receipts in memory: a test double for the index's LogSource. Each block
// has a few logs from a small set of addresses and topics, so filters match some blocks only.
const addr = (i: number) => keccak256(Uint8Array.of(1, i)).subarray(12)
const topic = (i: number) => keccak256(Uint8Array.of(2, i))

function rng(seed: number) {
  let s = seed >>> 0
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0
    return s / 2 ** 32
  }
}

interface FakeBlock {
  header: BlockHeader
  receipts: ReceiptData[]
  txHashes: Uint8Array[]
}

function makeBlocks(n: number, seed: number, fork = 0): FakeBlock[] {
  const r = rng(seed)
  const out: FakeBlock[] = []
  for (let i = 0; i < n; i++) {
    const receipts: ReceiptData[] = []
    const txs = Math.floor(r() * 3)
    for (let t = 0; t < txs; t++) {
      const logs: Log[] = []
      const nLogs = Math.floor(r() * 3)
      for (let k = 0; k < nLogs; k++)
        logs.push({
          address: addr(Math.floor(r() * 8)),
          topics: Array.from({ length: Math.floor(r() * 3) }, () => topic(Math.floor(r() * 12))),
          data: Uint8Array.of(i & 0xff, t, k),
        })
      receipts.push({
        type: 2,
        postStateOrStatus: Uint8Array.of(1),
        cumulativeGasUsed: 21000n,
        logs,
      })
    }
    const hash = keccak256(Uint8Array.of(fork, i >> 16, (i >> 8) & 0xff, i & 0xff))
    const header = {
      number: BigInt(i),
      hash,
      time: BigInt(1000 + i),
      bloom: logsBloom(receipts.flatMap((x) => x.logs)),
    } as unknown as BlockHeader
    out.push({
      header,
      receipts,
      txHashes: receipts.map((_, t) => keccak256(Uint8Array.of(9, fork, i & 0xff, t))),
    })
  }
  return out
}

function fakeSource(blocks: { current: FakeBlock[] }) {
  const listeners = new Set<(e: { type: string }) => void>()
  let cached: { of: FakeBlock[]; map: Map<string, FakeBlock> } | undefined
  const byHash = () => {
    if (cached?.of !== blocks.current)
      cached = {
        of: blocks.current,
        map: new Map(blocks.current.map((b) => [bytesToHex(b.header.hash), b])),
      }
    return cached.map
  }
  const source: LogSource = {
    currentHeader: () => blocks.current.at(-1)!.header,
    getCanonicalHash: async (n) => blocks.current[Number(n)]?.header.hash,
    getHeaderByNumber: async (n) => blocks.current[Number(n)]?.header,
    getHeaderByHash: async (h) => byHash().get(bytesToHex(h))?.header,
    getReceipts: async (h) => byHash().get(bytesToHex(h))?.receipts,
    getTransactionHashes: async (h) => byHash().get(bytesToHex(h))?.txHashes,
    on: (l) => {
      listeners.add(l)
      return () => listeners.delete(l)
    },
  }
  return {
    source,
    emitHead: () => {
      for (const l of listeners) l({ type: 'head' })
    },
    listeners,
  }
}

function mapStore(): BloomStore & { size(): number; reads: number } {
  const m = new Map<string, Uint8Array>()
  const s = {
    reads: 0,
    size: () => m.size,
    get: async (k: Uint8Array) => {
      s.reads++
      return m.get(bytesToHex(k))
    },
    write: async (puts: [Uint8Array, Uint8Array][], dels: Uint8Array[]) => {
      for (const d of dels) m.delete(bytesToHex(d))
      for (const [k, v] of puts) m.set(bytesToHex(k), v)
    },
  }
  return s
}

/** The answer by brute force: every log of every block in range, matched directly. */
function bruteForce(blocks: FakeBlock[], f: LogFilter): string[] {
  const out: string[] = []
  const head = blocks.length - 1
  const from = Number(f.fromBlock ?? BigInt(head))
  const to = Number(f.toBlock ?? BigInt(head))
  for (let n = from; n <= to; n++) {
    let li = 0
    for (const [ti, r] of blocks[n]!.receipts.entries())
      for (const l of r.logs) {
        const addrOk =
          !f.addresses?.length || f.addresses.some((a) => bytesToHex(a) === bytesToHex(l.address))
        const topicsOk =
          (f.topics ?? []).length <= l.topics.length &&
          (f.topics ?? []).every(
            (alts, i) =>
              !alts?.length || alts.some((t) => bytesToHex(t) === bytesToHex(l.topics[i]!)),
          )
        if (addrOk && topicsOk) out.push(`${n}/${ti}/${li}`)
        li++
      }
  }
  return out
}
const ids = (logs: FoundLog[]) => logs.map((l) => `${l.blockNumber}/${l.txIndex}/${l.logIndex}`)

function randomFilter(r: () => number, head: number): LogFilter {
  const from = Math.floor(r() * head)
  const to = Math.min(head, from + Math.floor(r() * head))
  const f: LogFilter = { fromBlock: BigInt(from), toBlock: BigInt(to) }
  if (r() < 0.6)
    f.addresses = Array.from({ length: 1 + Math.floor(r() * 2) }, () => addr(Math.floor(r() * 8)))
  if (r() < 0.7)
    f.topics = Array.from({ length: 1 + Math.floor(r() * 2) }, () =>
      r() < 0.3
        ? null
        : Array.from({ length: 1 + Math.floor(r() * 2) }, () => topic(Math.floor(r() * 12))),
    )
  return f
}

describe('bloom-bits index and getLogs', () => {
  it('bloomBitsOf gives the bits logsBloom sets', () => {
    const v = addr(3)
    const bloom = logsBloom([{ address: v, topics: [], data: new Uint8Array() }])
    for (const bit of bloomBitsOf(v))
      expect(bloom[255 - (bit >> 3)]! & (1 << (bit & 7))).not.toBe(0)
  })

  it('indexed, unindexed and brute force agree on 300 random filters', async () => {
    const blocks = { current: makeBlocks(1000, 7) }
    const { source } = fakeSource(blocks)
    const store = mapStore()
    const index = createBloomIndex({ source, store }, { sectionBlocks: 64, confirmBlocks: 16 })
    await index.update()
    expect(index.sections()).toBe(Math.floor((1000 - 16) / 64)) // 15 sections: blocks 0..959
    const scan = createBloomIndex(
      { source, store: mapStore() },
      { sectionBlocks: 64, confirmBlocks: 1e9 },
    )
    await scan.update()
    expect(scan.sections()).toBe(0)
    const r = rng(11)
    let nonEmpty = 0
    for (let i = 0; i < 300; i++) {
      const f = randomFilter(r, 999)
      const want = bruteForce(blocks.current, f)
      if (want.length > 0) nonEmpty++
      expect(ids(await index.getLogs(f))).toEqual(want)
      expect(ids(await scan.getLogs(f))).toEqual(want)
    }
    expect(nonEmpty).toBeGreaterThan(100)
  })

  it('reads far fewer keys through the index than headers a scan reads', async () => {
    const blocks = { current: makeBlocks(2048 + 64, 3) }
    const { source } = fakeSource(blocks)
    let headerReads = 0
    const counting: LogSource = {
      ...source,
      getHeaderByNumber: (n) => {
        headerReads++
        return source.getHeaderByNumber(n)
      },
    }
    const store = mapStore()
    const index = createBloomIndex(
      { source: counting, store },
      { sectionBlocks: 1024, confirmBlocks: 64 },
    )
    await index.update()
    expect(index.sections()).toBe(2)
    headerReads = 0
    const f: LogFilter = {
      fromBlock: 0n,
      toBlock: 2047n,
      addresses: [addr(1)],
      topics: [[topic(5)]],
    }
    const logs = await index.getLogs(f)
    expect(ids(logs)).toEqual(bruteForce(blocks.current, f))
    // only the candidate blocks' headers were read, not all 2,048
    expect(headerReads).toBeLessThan(400)
    expect(headerReads).toBeGreaterThanOrEqual(new Set(logs.map((l) => l.blockNumber)).size)
  })

  it('carries where each log is: block, hash, time, transaction and log index', async () => {
    const blocks = { current: makeBlocks(200, 5) }
    const { source } = fakeSource(blocks)
    const index = createBloomIndex(
      { source, store: mapStore() },
      { sectionBlocks: 64, confirmBlocks: 16 },
    )
    await index.update()
    const logs = await index.getLogs({ fromBlock: 0n, toBlock: 199n })
    expect(logs.length).toBeGreaterThan(50)
    for (const l of logs) {
      const b = blocks.current[Number(l.blockNumber)]!
      expect(l.blockHash).toEqual(b.header.hash)
      expect(l.blockTimestamp).toBe(1000n + l.blockNumber)
      expect(l.txHash).toEqual(b.txHashes[l.txIndex])
      expect(b.receipts.flatMap((x) => x.logs)[l.logIndex]).toBe(l.log)
    }
    // by block hash
    const one = logs[0]!
    const byHash = await index.getLogs({ blockHash: one.blockHash })
    expect(byHash.every((l) => l.blockNumber === one.blockNumber)).toBe(true)
    expect(byHash.length).toBe(logs.filter((l) => l.blockNumber === one.blockNumber).length)
  })

  it('a reorg below stored sections drops them and builds them again from the new chain', async () => {
    const blocks = { current: makeBlocks(600, 1) }
    const { source, emitHead } = fakeSource(blocks)
    const store = mapStore()
    const index = createBloomIndex({ source, store }, { sectionBlocks: 64, confirmBlocks: 16 })
    await index.start()
    await index.update()
    expect(index.sections()).toBe(9)
    // a different branch from block 100 on (other logs, other hashes)
    const other = makeBlocks(620, 2, 1)
    blocks.current = [...blocks.current.slice(0, 100), ...other.slice(100)]
    emitHead()
    await index.update()
    expect(index.sections()).toBe(9)
    const f: LogFilter = { fromBlock: 0n, toBlock: 619n, addresses: [addr(2)] }
    expect(ids(await index.getLogs(f))).toEqual(bruteForce(blocks.current, f))
    await index.stop()
  })

  it('errors: reversed range, past the head, hash with a range, too many results, too wide', async () => {
    const blocks = { current: makeBlocks(300, 9) }
    const { source } = fakeSource(blocks)
    const index = createBloomIndex(
      { source, store: mapStore() },
      { sectionBlocks: 64, confirmBlocks: 16 },
    )
    await index.update()
    const code = async (f: LogFilter, o = {}) => {
      try {
        await index.getLogs(f, o)
        return 'ok'
      } catch (e) {
        expect(isChainError(e)).toBe(true)
        return (e as Error).message
      }
    }
    expect(await code({ fromBlock: 50n, toBlock: 47n })).toBe(
      'ErrLogsFilter: invalid block range params',
    )
    expect(await code({ fromBlock: 250n, toBlock: 400n })).toBe(
      'ErrLogsFilter: block range extends beyond current head block',
    )
    expect(await code({ blockHash: blocks.current[3]!.header.hash, fromBlock: 3n })).toMatch(
      /cannot specify both BlockHash and FromBlock\/ToBlock/,
    )
    expect(await code({ fromBlock: 0n, toBlock: 299n }, { maxResults: 5 })).toBe(
      'ErrLogsLimit: query returned more than 5 results',
    )
    expect(await code({ fromBlock: 0n, toBlock: 299n }, { maxBlockRange: 100n })).toBe(
      'ErrLogsRange: block range is larger than 100 blocks',
    )
    expect(await code({ blockHash: new Uint8Array(32) })).toBe('ErrUnknownBlock: unknown block')
    const ac = new AbortController()
    ac.abort()
    await expect(
      index.getLogs({ fromBlock: 0n, toBlock: 299n }, { signal: ac.signal }),
    ).rejects.toThrow()
  })

  it('enabled: false builds nothing, ignores stored sections and still answers by scanning', async () => {
    const blocks = { current: makeBlocks(400, 4) }
    const { source } = fakeSource(blocks)
    const store = mapStore()
    const built = createBloomIndex({ source, store }, { sectionBlocks: 64, confirmBlocks: 16 })
    await built.update()
    expect(built.sections()).toBe(6)
    const off = createBloomIndex(
      { source, store },
      { sectionBlocks: 64, confirmBlocks: 16, enabled: false },
    )
    await off.start()
    await off.update()
    expect(off.sections()).toBe(0)
    const f: LogFilter = { fromBlock: 0n, toBlock: 399n, topics: [[topic(1), topic(2)]] }
    const want = bruteForce(blocks.current, f)
    expect(want.length).toBeGreaterThan(0)
    expect(ids(await off.getLogs(f))).toEqual(want)
    await off.stop()
  })

  it('stores its sections in LevelDB and reopens them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bloombits-'))
    dirs.push(dir)
    const blocks = { current: makeBlocks(400, 4) }
    const { source } = fakeSource(blocks)
    const open = async () => {
      const db = new Level<Uint8Array, Uint8Array>(dir, {
        keyEncoding: 'view',
        valueEncoding: 'view',
      })
      await db.open()
      const store: BloomStore = {
        get: (k) => db.get(k),
        write: (puts, dels) =>
          db.batch([
            ...dels.map((key) => ({ type: 'del' as const, key })),
            ...puts.map(([key, value]) => ({ type: 'put' as const, key, value })),
          ]),
      }
      return { db, store }
    }
    const a = await open()
    const first = createBloomIndex(
      { source, store: a.store },
      { sectionBlocks: 64, confirmBlocks: 16 },
    )
    await first.update()
    expect(first.sections()).toBe(6)
    await a.db.close()
    const b = await open()
    const again = createBloomIndex(
      { source, store: b.store },
      { sectionBlocks: 64, confirmBlocks: 16 },
    )
    await again.start()
    expect(again.sections()).toBe(6)
    const f: LogFilter = { fromBlock: 0n, toBlock: 399n, topics: [[topic(1), topic(2)]] }
    expect(ids(await again.getLogs(f))).toEqual(bruteForce(blocks.current, f))
    await again.stop()
    await b.db.close()
  })
})

const dirs: string[] = []
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})
