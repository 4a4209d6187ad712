/**
 * eth_call / eth_estimateGas / eth_createAccessList with go-ethereum's state and block overrides on
 * a --dev node. The contract is itself an override: code at an empty address that returns its
 * block environment, its balance and two storage slots.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { hexToBytes } from '@ethwire/rlp-wire'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { toChecksumAddress } from '../src/accounts/address.js'
import { silentLogger } from '../src/log.js'
import { createNode, type EthwireNode } from '../src/node.js'
import { rpcCall } from '../src/testing.js'

const root = mkdtempSync(join(tmpdir(), 'ethwire-rpcoverrides-'))
let node: EthwireNode
let url: string

/** JSON-RPC reply (result or error) without throwing. */
async function raw(method: string, params: unknown[]) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
    signal: AbortSignal.timeout(10_000),
  })
  return (await res.json()) as { result?: unknown; error?: { code: number; message: string } }
}

// NUMBER TIMESTAMP GASLIMIT COINBASE BASEFEE DIFFICULTY SELFBALANCE SLOAD(0) SLOAD(1); the dev
// chain is clique on London: DIFFICULTY, no BLOBBASEFEE (PREVRANDAO and the blob base fee are
// in rpc-compat.test.ts, on a chain past the merge and Cancun)
const fields = [
  'number',
  'time',
  'gasLimit',
  'coinbase',
  'baseFee',
  'difficulty',
  'balance',
  'slot0',
  'slot1',
] as const
const ops: number[][] = [[0x43], [0x42], [0x45], [0x41], [0x48], [0x44], [0x47]]
ops.push([0x60, 0x00, 0x54], [0x60, 0x01, 0x54])
const code = `0x${[
  ...ops.flatMap((op, i) => [...op, 0x61, (i * 32) >> 8, (i * 32) & 0xff, 0x52]),
  ...[0x61, 0x01, 0x20, 0x60, 0x00, 0xf3],
]
  .map((b) => b.toString(16).padStart(2, '0'))
  .join('')}`
const env = `0x${'e7'.repeat(20)}`
const poor = `0x${'77'.repeat(20)}`
const word = (n: bigint | number) => `0x${n.toString(16).padStart(64, '0')}`

function decode(hex: string): Record<(typeof fields)[number], bigint> {
  const out = {} as Record<(typeof fields)[number], bigint>
  fields.forEach((f, i) => {
    out[f] = BigInt(`0x${hex.slice(2 + i * 64, 2 + (i + 1) * 64)}`)
  })
  return out
}
const callEnv = async (extra: object, state: object = {}, block?: object, more: object = {}) => {
  const params: unknown[] = [
    { to: env, ...extra },
    'latest',
    { ...more, [env]: { code, ...state } },
  ]
  if (block) params.push(block)
  const r = await raw('eth_call', params)
  if (r.error) throw new Error(r.error.message)
  return decode(r.result as string)
}

beforeAll(async () => {
  node = createNode({
    datadir: join(root, 'dev'),
    dev: { periodSeconds: 3600 },
    http: { host: '127.0.0.1', port: 0 },
    port: 0,
    logger: silentLogger,
    logIntervalMs: 0,
  })
  await node.start()
  url = node.rpcUrl as string
})
afterAll(async () => {
  await node.stop()
  rmSync(root, { recursive: true, force: true })
})

describe('state and block overrides', () => {
  it('a code override runs in the head block context; no fee fields: BASEFEE 0', async () => {
    const head = await rpcCall<{ number: string; timestamp: string; gasLimit: string }>(
      url,
      'eth_getBlockByNumber',
      ['latest', false],
    )
    const v = await callEnv({})
    expect(v.number).toBe(BigInt(head.number))
    expect(v.time).toBe(BigInt(head.timestamp))
    expect(v.gasLimit).toBe(BigInt(head.gasLimit))
    expect(v.baseFee).toBe(0n)
    expect(v.balance).toBe(0n)
    expect(v.slot0).toBe(0n)
  })

  it('block overrides: number, time, gasLimit, feeRecipient, difficulty, baseFeePerGas', async () => {
    const v = await callEnv(
      { from: poor, gasPrice: '0x3b9aca00', gas: '0x186a0' },
      {},
      {
        number: '0x1234',
        time: '0x64000000',
        gasLimit: '0x1c9c380',
        feeRecipient: `0x${'fe'.repeat(20)}`,
        difficulty: '0xabcdef',
        baseFeePerGas: '0x3b9ac9ff',
      },
      { [poor]: { balance: '0xde0b6b3a7640000' } },
    )
    expect(v).toMatchObject({
      number: 0x1234n,
      time: 0x64000000n,
      gasLimit: 30_000_000n,
      coinbase: BigInt(`0x${'fe'.repeat(20)}`),
      difficulty: 0xabcdefn,
      baseFee: 0x3b9ac9ffn,
    })
  })

  it('state overrides: balance, state and stateDiff', async () => {
    const a = await callEnv({}, { balance: '0x2a', state: { '0x0': word(5) } })
    expect([a.balance, a.slot0, a.slot1]).toEqual([42n, 5n, 0n])
    const b = await callEnv({}, { stateDiff: { [word(1)]: word(7) } })
    expect([b.slot0, b.slot1]).toEqual([0n, 7n])
  })

  it("both state and stateDiff: go-ethereum's error; malformed fields: invalid params", async () => {
    const both = await raw('eth_call', [
      { to: env },
      'latest',
      { [env]: { state: {}, stateDiff: {} } },
    ])
    expect(both.error).toEqual({
      code: -32000,
      message: `account ${toChecksumAddress(hexToBytes(env))} has both 'state' and 'stateDiff'`,
    })
    const bad = await raw('eth_call', [{ to: env }, 'latest', { [env]: { nonce: '0x01' } }])
    expect(bad.error?.code).toBe(-32602)
    const move = await raw('eth_call', [
      { to: env },
      'latest',
      { '0x0000000000000000000000000000000000000001': { movePrecompileToAddress: env } },
    ])
    expect(move.error?.code).toBe(-32602)
    const beacon = await raw('eth_call', [{ to: env }, 'latest', {}, { beaconRoot: word(1) }])
    expect(beacon.error).toEqual({
      code: -32000,
      message: 'block override "beaconRoot" is not supported for this RPC method',
    })
  })

  it('eth_estimateGas pays from an overridden balance; eth_createAccessList runs the overridden code', async () => {
    const tx = { from: poor, to: env, gasPrice: '0x3b9aca00', value: '0x1' }
    const without = await raw('eth_estimateGas', [tx, 'latest'])
    expect(without.error?.message).toMatch(/insufficient funds/)
    const withBalance = await raw('eth_estimateGas', [
      tx,
      'latest',
      { [poor]: { balance: '0xde0b6b3a7640000' }, [env]: { code } },
    ])
    expect(BigInt(withBalance.result as string)).toBeGreaterThan(21_000n)
    const al = (await raw('eth_createAccessList', [{ to: env }, 'latest', { [env]: { code } }]))
      .result as { accessList: Array<{ address: string; storageKeys: string[] }> }
    expect(al.accessList).toEqual([{ address: env, storageKeys: [word(0), word(1)] }])
  })
})

describe('safe and finalized on a clique dev chain', () => {
  it("are go-ethereum's errors until a forkchoice sets them, then name those blocks", async () => {
    expect((await raw('eth_getBlockByNumber', ['safe', false])).error).toEqual({
      code: -32000,
      message: 'safe block not found',
    })
    expect((await raw('eth_getBalance', [poor, 'finalized'])).error).toEqual({
      code: -32000,
      message: 'finalized block not found',
    })
    expect(
      (await raw('eth_getLogs', [{ fromBlock: 'finalized', toBlock: 'latest' }])).error,
    ).toEqual({ code: -32000, message: 'finalized header not found' })
    expect((await raw('eth_getBlockByNumber', ['latest', false])).error).toBeUndefined()
    const genesis = await rpcCall<{ hash: string }>(url, 'eth_getBlockByNumber', ['0x0', false])
    await node.backend.setFinality?.({ finalized: hexToBytes(genesis.hash) })
    const fin = await rpcCall<{ hash: string }>(url, 'eth_getBlockByNumber', ['finalized', false])
    expect(fin.hash).toBe(genesis.hash)
    expect((await raw('eth_getBlockByNumber', ['safe', false])).error?.message).toBe(
      'safe block not found',
    )
    await expect(node.backend.setFinality?.({ safe: new Uint8Array(32) })).rejects.toThrow(
      /not stored/,
    )
  })
})
