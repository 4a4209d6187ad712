/**
 * Polling filters and the chain event source over a hand-made Backend, on a FakeClock: block,
 * pending-transaction and log filters see what the chain emits (reorged-out logs with
 * `removed: true`), a filter not polled for 5 minutes is gone, 10,000 filters is the cap (a clear
 * -32005 past it, the node keeps serving), buffers are bounded, and eth_getLogs' malformed
 * parameters and oversized ranges are -32602 with go-ethereum's words.
 */
import { ChainError } from '@ethwire/chain'
import { FakeClock } from '@ethwire/interface/testing'
import {
  Block,
  BlockHeader,
  bytesToHex,
  EMPTY_TRIE_ROOT,
  EMPTY_UNCLE_HASH,
  type ReceiptData,
  Transaction,
} from '@ethwire/rlp-wire'
import { describe, expect, it } from 'vitest'
import type { Backend, BackendChainEvent } from '../src/rpc/backend.js'
import { dispatch, type RpcMethods } from '../src/rpc/dispatch.js'
import { createChainEvents, createFilters, filterTimeoutMs } from '../src/rpc/filters.js'
import { createRpcMethods } from '../src/rpc/methods/index.js'

const header = (number: bigint, salt: number, parent?: BlockHeader) =>
  BlockHeader.fromData({
    parentHash: parent ? parent.hash : new Uint8Array(32).fill(salt),
    uncleHash: EMPTY_UNCLE_HASH,
    coinbase: new Uint8Array(20),
    stateRoot: new Uint8Array(32).fill(salt),
    txRoot: EMPTY_TRIE_ROOT,
    receiptRoot: EMPTY_TRIE_ROOT,
    bloom: new Uint8Array(256),
    difficulty: 0n,
    number,
    gasLimit: 30_000_000n,
    gasUsed: 21_000n,
    time: 100n + number,
    extra: new Uint8Array([salt]),
    mixDigest: new Uint8Array(32),
    nonce: new Uint8Array(8),
    baseFee: 7n,
  })

const tx = (nonce: bigint) =>
  Transaction.fromData({
    type: 2,
    chainId: 1n,
    nonce,
    maxPriorityFeePerGas: 1n,
    maxFeePerGas: 10n,
    gasLimit: 21_000n,
    to: new Uint8Array(20).fill(1),
    value: 0n,
    data: new Uint8Array(0),
    accessList: [],
    v: 0n,
    r: 1n,
    s: 1n,
  })

const emitter = new Uint8Array(20).fill(0xcc)
const topicA = new Uint8Array(32).fill(0xaa)
const topicB = new Uint8Array(32).fill(0xbb)

function receipt(topic: Uint8Array): ReceiptData {
  return {
    type: 2,
    postStateOrStatus: Uint8Array.of(1),
    cumulativeGasUsed: 21_000n,
    logs: [{ address: emitter, topics: [topic], data: Uint8Array.of(1) }],
  }
}

/** A backend whose chain and pool events the test fires by hand. */
function fakeChain() {
  const chainListeners = new Set<(e: BackendChainEvent) => void>()
  const poolListeners = new Set<(h: Uint8Array[]) => void>()
  const blocks = new Map<string, Block>()
  const receipts = new Map<string, ReceiptData[]>()
  let head = header(0n, 0)
  const backend = {
    currentHeader: () => head,
    blockByHash: async (h: Uint8Array) => blocks.get(bytesToHex(h)),
    headerByHash: async (h: Uint8Array) => blocks.get(bytesToHex(h))?.header,
    receipts: async (h: Uint8Array) => receipts.get(bytesToHex(h)),
    onChainEvent: (l: (e: BackendChainEvent) => void) => {
      chainListeners.add(l)
      return () => chainListeners.delete(l)
    },
    onPendingTransactions: (l: (h: Uint8Array[]) => void) => {
      poolListeners.add(l)
      return () => poolListeners.delete(l)
    },
    getLogs: async () => [],
  } as unknown as Backend
  const fire = (e: BackendChainEvent) => {
    for (const l of chainListeners) l(e)
  }
  return {
    backend,
    chainListeners,
    /** Stores and announces a canonical block with one tx emitting `topic`. */
    add(number: bigint, salt: number, parent: BlockHeader | undefined, topic: Uint8Array) {
      const h = header(number, salt, parent)
      const block = new Block(h, { transactions: [tx(number)], uncles: [] })
      blocks.set(bytesToHex(h.hash), block)
      receipts.set(bytesToHex(h.hash), [receipt(topic)])
      head = h
      fire({ type: 'block', block, canonical: true })
      fire({ type: 'head', header: h })
      return h
    },
    fire,
    pending(hashes: Uint8Array[]) {
      for (const l of poolListeners) l(hashes)
    },
  }
}

/** Lets the event source's queue run. */
const settle = async () => {
  for (let i = 0; i < 20; i++) await Promise.resolve()
  await new Promise((r) => setImmediate(r))
}

const rpc = async (methods: RpcMethods, method: string, params: unknown[] = []) =>
  dispatch(methods, { jsonrpc: '2.0', id: 1, method, params })

describe('polling filters', () => {
  it('block and pending-transaction filters get what happened since the last poll', async () => {
    const c = fakeChain()
    const clock = new FakeClock()
    const f = createFilters({ backend: c.backend, clock })
    const blocks = (await rpc(f.methods, 'eth_newBlockFilter')).result as string
    const pending = (await rpc(f.methods, 'eth_newPendingTransactionFilter')).result as string
    expect(blocks).toMatch(/^0x[0-9a-f]{32}$/)
    const h1 = c.add(1n, 1, undefined, topicA)
    const h2 = c.add(2n, 2, h1, topicA)
    c.pending([new Uint8Array(32).fill(5)])
    await settle()
    expect((await rpc(f.methods, 'eth_getFilterChanges', [blocks])).result).toEqual([
      bytesToHex(h1.hash),
      bytesToHex(h2.hash),
    ])
    expect((await rpc(f.methods, 'eth_getFilterChanges', [blocks])).result).toEqual([])
    expect((await rpc(f.methods, 'eth_getFilterChanges', [pending])).result).toEqual([
      bytesToHex(new Uint8Array(32).fill(5)),
    ])
    expect((await rpc(f.methods, 'eth_uninstallFilter', [blocks])).result).toBe(true)
    expect((await rpc(f.methods, 'eth_uninstallFilter', [blocks])).result).toBe(false)
    expect((await rpc(f.methods, 'eth_getFilterChanges', [blocks])).error).toEqual({
      code: -32000,
      message: 'filter not found',
    })
    f.close()
    expect(c.chainListeners.size).toBe(0)
  })

  it('log filters match address and topics; a reorg reports the old logs as removed', async () => {
    const c = fakeChain()
    const f = createFilters({ backend: c.backend, clock: new FakeClock() })
    const id = (
      await rpc(f.methods, 'eth_newFilter', [
        { address: bytesToHex(emitter), topics: [[bytesToHex(topicA), bytesToHex(topicB)]] },
      ])
    ).result as string
    const other = (
      await rpc(f.methods, 'eth_newFilter', [{ topics: [bytesToHex(new Uint8Array(32))] }])
    ).result as string
    const g = header(0n, 0)
    const a1 = c.add(1n, 1, g, topicA)
    await settle()
    // block 1 is replaced by b1 (topic B)
    c.fire({ type: 'reorg', oldHead: a1, newHead: header(1n, 9, g), ancestor: 0n })
    c.add(1n, 9, g, topicB)
    await settle()
    const changes = (await rpc(f.methods, 'eth_getFilterChanges', [id])).result as {
      topics: string[]
      removed: boolean
      blockHash: string
      logIndex: string
    }[]
    expect(changes.map((l) => [l.topics[0], l.removed])).toEqual([
      [bytesToHex(topicA), false],
      [bytesToHex(topicA), true],
      [bytesToHex(topicB), false],
    ])
    expect(changes[1]?.blockHash).toBe(bytesToHex(a1.hash))
    expect(changes[0]?.logIndex).toBe('0x0')
    expect((await rpc(f.methods, 'eth_getFilterChanges', [other])).result).toEqual([])
    f.close()
  })

  it('a filter not polled for 5 minutes is uninstalled; polling keeps it', async () => {
    const c = fakeChain()
    const clock = new FakeClock()
    const f = createFilters({ backend: c.backend, clock })
    const kept = (await rpc(f.methods, 'eth_newBlockFilter')).result as string
    const idle = (await rpc(f.methods, 'eth_newBlockFilter')).result as string
    clock.tick(filterTimeoutMs - 1_000)
    await rpc(f.methods, 'eth_getFilterChanges', [kept])
    clock.tick(2_000)
    expect(f.size()).toBe(1)
    expect((await rpc(f.methods, 'eth_getFilterChanges', [idle])).error?.message).toBe(
      'filter not found',
    )
    expect((await rpc(f.methods, 'eth_getFilterChanges', [kept])).result).toEqual([])
    clock.tick(filterTimeoutMs)
    expect(f.size()).toBe(0)
    // the last filter gone, nothing listens to the chain
    expect(c.chainListeners.size).toBe(0)
  })

  it('10,000 filters is the cap: a clear error past it, and the methods keep serving', async () => {
    const c = fakeChain()
    const f = createFilters({ backend: c.backend, clock: new FakeClock() })
    const methods = { ...createRpcMethods({ ...c.backend, chainId: 1n } as Backend), ...f.methods }
    const ids: string[] = []
    for (let i = 0; i < 10_000; i++)
      ids.push((await rpc(methods, 'eth_newBlockFilter')).result as string)
    expect(new Set(ids).size).toBe(10_000)
    const over = await rpc(methods, 'eth_newFilter', [{}])
    expect(over.error?.code).toBe(-32005)
    expect(over.error?.message).toMatch(/too many filters installed \(max 10000\)/)
    expect((await rpc(methods, 'eth_chainId')).result).toBe('0x1')
    await rpc(methods, 'eth_uninstallFilter', [ids[0]])
    expect((await rpc(methods, 'eth_newBlockFilter')).result).toMatch(/^0x/)
    // one chain subscription serves all of them
    expect(c.chainListeners.size).toBe(1)
    f.close()
    expect(f.size()).toBe(0)
  })

  it("a filter's buffer is bounded: the oldest items go", async () => {
    const c = fakeChain()
    const f = createFilters({ backend: c.backend, clock: new FakeClock() }, { maxBuffered: 3 })
    const id = (await rpc(f.methods, 'eth_newPendingTransactionFilter')).result as string
    for (let i = 1; i <= 5; i++) c.pending([new Uint8Array(32).fill(i)])
    expect((await rpc(f.methods, 'eth_getFilterChanges', [id])).result).toEqual(
      [3, 4, 5].map((i) => bytesToHex(new Uint8Array(32).fill(i))),
    )
    f.close()
  })

  it('malformed filter ids and criteria are -32602', async () => {
    const c = fakeChain()
    const f = createFilters({ backend: c.backend, clock: new FakeClock() })
    for (const [method, params] of [
      ['eth_getFilterChanges', []],
      ['eth_getFilterChanges', [42]],
      ['eth_uninstallFilter', ['nope']],
      ['eth_newFilter', ['x']],
      ['eth_newFilter', [{ address: '0x12' }]],
      ['eth_newFilter', [{ topics: [null, null, null, null, null] }]],
      ['eth_newFilter', [{ fromBlock: 'soon' }]],
    ] as const)
      expect((await rpc(f.methods, method, [...params])).error?.code, method).toBe(-32602)
    expect(f.size()).toBe(0)
  })
})

describe('the chain event source', () => {
  it('subscribes to the backend only while it has listeners', async () => {
    const c = fakeChain()
    const events = createChainEvents(c.backend)
    expect(c.chainListeners.size).toBe(0)
    const heads: bigint[] = []
    const off = events.onNewHead((h) => heads.push(h.number))
    expect(c.chainListeners.size).toBe(1)
    c.add(1n, 1, undefined, topicA)
    await settle()
    expect(heads).toEqual([1n])
    off()
    expect(c.chainListeners.size).toBe(0)
  })
})

describe('eth_getLogs abuse', () => {
  const withLogs = (getLogs: Backend['getLogs']) =>
    createRpcMethods({ ...fakeChain().backend, getLogs } as Backend)

  it('the chain log errors are -32602 (range, filter) and -32005 (limit), prefix stripped', async () => {
    const cases = [
      ['ErrLogsRange', 'block range is larger than 1000000 blocks', -32602],
      ['ErrLogsFilter', 'invalid block range params', -32602],
      ['ErrLogsLimit', 'query returned more than 10000 results', -32005],
    ] as const
    for (const [code, message, rpcCode] of cases) {
      const methods = withLogs(async () => {
        throw new ChainError(code, message)
      })
      const res = await rpc(methods, 'eth_getLogs', [{ fromBlock: '0x0', toBlock: 'latest' }])
      expect(res.error).toEqual({ code: rpcCode, message })
    }
  })

  it('malformed criteria never reach the chain', async () => {
    let calls = 0
    const methods = withLogs(async () => {
      calls++
      return []
    })
    const bad: unknown[][] = [
      [],
      ['latest'],
      [{ fromBlock: '0x01' }],
      [{ toBlock: 12 }],
      [{ address: ['0xzz'] }],
      [{ address: Array.from({ length: 1001 }, () => `0x${'11'.repeat(20)}`) }],
      [{ topics: 'x' }],
      [{ topics: [['0x1234']] }],
      [{ blockHash: `0x${'00'.repeat(32)}`, fromBlock: '0x1' }],
    ]
    for (const params of bad)
      expect((await rpc(methods, 'eth_getLogs', params)).error?.code, JSON.stringify(params)).toBe(
        -32602,
      )
    expect(calls).toBe(0)
    expect((await rpc(methods, 'eth_getLogs', [{ topics: [null, [null]] }])).result).toEqual([])
    expect(calls).toBe(1)
  })
})
