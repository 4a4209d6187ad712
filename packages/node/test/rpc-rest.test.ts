/**
 * eth_capabilities, state and block overrides of eth_call / eth_estimateGas /
 * eth_createAccessList, and the `safe` / `finalized` tags, against a hand-made Backend.
 */
import { BlockHeader, bytesToHex, EMPTY_TRIE_ROOT, EMPTY_UNCLE_HASH } from '@ethwire/rlp-wire'
import { describe, expect, it } from 'vitest'
import type { Backend, BackendCall } from '../src/rpc/backend.js'
import { dispatch } from '../src/rpc/dispatch.js'
import { createRpcMethods } from '../src/rpc/methods/index.js'

const header = (number: bigint) =>
  BlockHeader.fromData({
    parentHash: new Uint8Array(32).fill(Number(number)),
    uncleHash: EMPTY_UNCLE_HASH,
    coinbase: new Uint8Array(20),
    stateRoot: new Uint8Array(32).fill(Number(number) + 1),
    txRoot: EMPTY_TRIE_ROOT,
    receiptRoot: EMPTY_TRIE_ROOT,
    bloom: new Uint8Array(256),
    difficulty: 0n,
    number,
    gasLimit: 30_000_000n,
    gasUsed: 0n,
    time: 100n + number,
    extra: new Uint8Array(0),
    mixDigest: new Uint8Array(32),
    nonce: new Uint8Array(8),
    baseFee: 7n,
  })

const chain = Array.from({ length: 20 }, (_v, i) => header(BigInt(i)))
const hex = bytesToHex

function fakeBackend(over: Partial<Backend> = {}): Backend {
  const b: Partial<Backend> = {
    currentHeader: () => chain[19] as BlockHeader,
    headerByNumber: async (n) => chain[Number(n)],
    headerByHash: async (h) => chain.find((x) => hex(x.hash) === hex(h)),
    canonicalHash: async (n) => chain[Number(n)]?.hash,
    hasState: async () => true,
    ...over,
  }
  return b as Backend
}

const call = async (b: Backend, method: string, params: unknown[] = []) =>
  dispatch(createRpcMethods(b), { jsonrpc: '2.0', id: 1, method, params })

describe('eth_capabilities', () => {
  it('reports the head, and every resource kept from genesis, never deleted', async () => {
    const res = (await call(fakeBackend(), 'eth_capabilities')).result as Record<string, unknown>
    const head = chain[19] as BlockHeader
    expect(res.head).toEqual({ number: '0x13', hash: hex(head.hash) })
    for (const k of ['state', 'tx', 'logs', 'receipts', 'blocks', 'stateproofs'])
      expect(res[k]).toEqual({
        disabled: false,
        oldestBlock: '0x0',
        deleteStrategy: { type: 'none' },
      })
  })

  it('state starts at the lowest block whose state is stored', async () => {
    const b = fakeBackend({ hasState: async (h) => h.number >= 13n })
    const res = (await call(b, 'eth_capabilities')).result as Record<
      string,
      { oldestBlock: string }
    >
    expect(res.state?.oldestBlock).toBe('0xd')
    expect(res.stateproofs?.oldestBlock).toBe('0xd')
    expect(res.blocks?.oldestBlock).toBe('0x0')
  })
})

describe('override parameters', () => {
  it('reach the backend as the executor takes them (keys lower-case hex, values decoded)', async () => {
    let seen: BackendCall | undefined
    const b = fakeBackend({
      call: async (input) => {
        seen = input
        return { returnData: new Uint8Array(0), gasUsed: 0n, refund: 0n, success: true, logs: [] }
      },
    })
    const a = `0x${'Ab'.repeat(20)}`
    const r = await call(b, 'eth_call', [
      { to: a },
      'latest',
      { [a]: { nonce: '0x5', balance: '0x10', code: '0x00', stateDiff: { '0x1': '0x2' } } },
      { blobBaseFee: '0x9', prevRandao: `0x${'11'.repeat(32)}`, time: '0x20' },
    ])
    expect(r.error).toBeUndefined()
    const o = seen?.stateOverrides?.get('ab'.repeat(20))
    expect(o?.nonce).toBe(5n)
    expect(o?.balance).toBe(16n)
    expect(hex(o?.code as Uint8Array)).toBe('0x00')
    expect(o?.stateDiff?.map(([k, v]) => [hex(k), hex(v)])).toEqual([
      [`0x${'0'.repeat(63)}1`, `0x${'0'.repeat(63)}2`],
    ])
    expect(seen?.blockOverrides).toEqual({
      blobBaseFee: 9n,
      prevRandao: new Uint8Array(32).fill(0x11),
      time: 0x20n,
    })
  })

  it('a nonce past 64 bits or a bad address is invalid params', async () => {
    const b = fakeBackend()
    const big = await call(b, 'eth_call', [
      {},
      'latest',
      { [`0x${'ab'.repeat(20)}`]: { nonce: `0x1${'0'.repeat(16)}` } },
    ])
    expect(big.error?.code).toBe(-32602)
    const addr = await call(b, 'eth_call', [{}, 'latest', { '0x12': {} }])
    expect(addr.error?.code).toBe(-32602)
    const time = await call(b, 'eth_estimateGas', [{}, 'latest', null, { time: 'soon' }])
    expect(time.error?.code).toBe(-32602)
  })
})
