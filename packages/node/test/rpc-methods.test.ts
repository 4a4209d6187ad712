/**
 * The JSON-RPC methods against a hand-made Backend (no node): what the narrow interface buys.
 * Block parameters resolve to the right header (tags, numbers, hashes, EIP-1898 with
 * requireCanonical), missing blocks and states are go-ethereum's errors, and a revert from the
 * executor becomes error 3 with the data.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ExecutorError } from '@ethwire/executor'
import { BlockHeader, bytesToHex, EMPTY_TRIE_ROOT, EMPTY_UNCLE_HASH } from '@ethwire/rlp-wire'
import { describe, expect, it } from 'vitest'
import { createNodeAccounts } from '../src/accounts/node.js'
import type { Backend } from '../src/rpc/backend.js'
import { dispatch } from '../src/rpc/dispatch.js'
import { createRpcMethods } from '../src/rpc/methods/index.js'

const header = (number: bigint, salt: number) =>
  BlockHeader.fromData({
    parentHash: new Uint8Array(32).fill(salt),
    uncleHash: EMPTY_UNCLE_HASH,
    coinbase: new Uint8Array(20),
    stateRoot: new Uint8Array(32).fill(number === 1n ? 0xee : Number(number) + 1),
    txRoot: EMPTY_TRIE_ROOT,
    receiptRoot: EMPTY_TRIE_ROOT,
    bloom: new Uint8Array(256),
    difficulty: 2n,
    number,
    gasLimit: 30_000_000n,
    gasUsed: 0n,
    time: 100n + number,
    extra: new Uint8Array(0),
    mixDigest: new Uint8Array(32),
    nonce: new Uint8Array(8),
    baseFee: 7n,
  })

const canonical = [header(0n, 0), header(1n, 1), header(2n, 2)]
const side = header(2n, 9) // a non-canonical block 2
const all = [...canonical, side]
const hex = bytesToHex

/** Balances by state root: each header's root gives the block number as balance. */
function fakeBackend(over: Partial<Backend> = {}): Backend {
  const b: Partial<Backend> = {
    currentHeader: () => canonical[2] as BlockHeader,
    headerByNumber: async (n) => canonical[Number(n)],
    headerByHash: async (h) => all.find((x) => hex(x.hash) === hex(h)),
    canonicalHash: async (n) => canonical[Number(n)]?.hash,
    // block 1's state is not stored
    hasState: async (h) => h.number !== 1n,
    balance: async (_a, h) => 1000n + h.number + (h === side ? 50n : 0n),
    ...over,
  }
  return b as Backend
}

const call = async (b: Backend, method: string, params: unknown[]) =>
  dispatch(createRpcMethods(b), { jsonrpc: '2.0', id: 1, method, params })

const addr = `0x${'ab'.repeat(20)}`

describe('state methods over a Backend', () => {
  it('tags, numbers, hashes and EIP-1898 objects pick the header', async () => {
    const b = fakeBackend()
    const balance = async (ref: unknown) => (await call(b, 'eth_getBalance', [addr, ref])).result
    expect(await balance('latest')).toBe('0x3ea')
    expect(await balance(undefined)).toBe('0x3ea')
    expect(await balance('finalized')).toBeUndefined() // no forkchoice: an error
    const fin = fakeBackend({ finality: () => ({ finalized: canonical[0], safe: canonical[2] }) })
    expect((await call(fin, 'eth_getBalance', [addr, 'finalized'])).result).toBe('0x3e8')
    expect((await call(fin, 'eth_getBalance', [addr, 'safe'])).result).toBe('0x3ea')
    expect(await balance('earliest')).toBe('0x3e8')
    expect(await balance('0x2')).toBe('0x3ea')
    expect(await balance(hex(side.hash))).toBe('0x41c')
    expect(await balance({ blockHash: hex(side.hash) })).toBe('0x41c')
    expect(await balance({ blockNumber: '0x0' })).toBe('0x3e8')
  })

  it("missing blocks, non-canonical hashes and missing state are errors in go-ethereum's words", async () => {
    const b = fakeBackend()
    expect((await call(b, 'eth_getBalance', [addr, '0x9'])).error).toEqual({
      code: -32000,
      message: 'header not found',
    })
    expect(
      (
        await call(b, 'eth_getBalance', [
          addr,
          { blockHash: hex(side.hash), requireCanonical: true },
        ])
      ).error,
    ).toEqual({ code: -32000, message: `hash ${hex(side.hash)} is not currently canonical` })
    const missing = await call(b, 'eth_getBalance', [addr, '0x1'])
    expect(missing.error?.code).toBe(-32000)
    expect(missing.error?.message).toMatch(/^missing trie node 0xeeee/)
    expect(
      (await call(b, 'eth_getBalance', [addr, { blockHash: hex(side.hash), blockNumber: '0x1' }]))
        .error?.code,
    ).toBe(-32602)
    expect((await call(b, 'eth_getBalance', [addr, '0x01'])).error?.code).toBe(-32602)
    expect((await call(b, 'eth_getBalance', [addr, 7])).error?.code).toBe(-32602)
  })

  it('a revert from the executor is code 3 with the reason and the data; other failures -32000', async () => {
    // Error("no") as Solidity encodes it
    const data = Uint8Array.from(
      Buffer.from(
        `08c379a0${'0'.repeat(62)}20${'0'.repeat(63)}2${Buffer.from('no').toString('hex').padEnd(64, '0')}`,
        'hex',
      ),
    )
    const b = fakeBackend({
      call: async () => ({
        returnData: data,
        gasUsed: 1n,
        refund: 0n,
        success: false,
        error: 'execution reverted',
        logs: [],
      }),
      estimateGas: async () => {
        throw new ExecutorError('ErrExecutionReverted', 'execution reverted: no', { data })
      },
    })
    expect((await call(b, 'eth_call', [{ to: addr }, 'latest'])).error).toEqual({
      code: 3,
      message: 'execution reverted: no',
      data: hex(data),
    })
    expect((await call(b, 'eth_estimateGas', [{ to: addr }])).error).toEqual({
      code: 3,
      message: 'execution reverted: no',
      data: hex(data),
    })
    const oog = fakeBackend({
      call: async () => ({
        returnData: new Uint8Array(0),
        gasUsed: 1n,
        refund: 0n,
        success: false,
        error: 'out of gas',
        logs: [],
      }),
      estimateGas: async () => {
        throw new ExecutorError('ErrInvalidTx', 'insufficient funds for gas * price + value')
      },
    })
    expect((await call(oog, 'eth_call', [{ to: addr }, 'latest'])).error).toEqual({
      code: -32000,
      message: 'out of gas',
    })
    expect((await call(oog, 'eth_estimateGas', [{ to: addr }])).error).toEqual({
      code: -32000,
      message: 'insufficient funds for gas * price + value',
    })
    // call objects are checked
    expect((await call(b, 'eth_call', [{ to: '0x12' }, 'latest'])).error?.code).toBe(-32602)
    expect(
      (await call(b, 'eth_call', [{ to: addr, data: '0x01', input: '0x02' }, 'latest'])).error
        ?.message,
    ).toMatch(/both "data" and "input" are set and not equal/)
  })
})

describe('eth_sendTransaction when filling the gas fails', () => {
  it("a revert while estimating is go-ethereum's error 3 with the reason and the data", async () => {
    // Error("no") as Solidity encodes it
    const data = Uint8Array.from(
      Buffer.from(
        `08c379a0${'0'.repeat(62)}20${'0'.repeat(63)}2${Buffer.from('no').toString('hex').padEnd(64, '0')}`,
        'hex',
      ),
    )
    const datadir = mkdtempSync(join(tmpdir(), 'ethwire-fill-'))
    const accounts = createNodeAccounts({}, { datadir, lightKdf: true })
    const key = new Uint8Array(32).fill(7)
    await accounts.start(key) // the dev signer: imported with an empty password, unlocked
    try {
      const [account] = await accounts.manager.accounts()
      const from = hex(account!.address)
      let estimate: () => Promise<bigint> = async () => {
        throw new ExecutorError('ErrExecutionReverted', 'execution reverted: no', { data })
      }
      const sent: Uint8Array[] = []
      const b = fakeBackend({
        chainId: 1337n,
        pendingNonce: async () => 0n,
        suggestTip: async () => 1n,
        estimateGas: () => estimate(),
        sendRawTransaction: async (raw) => {
          sent.push(raw)
          return `0x${'00'.repeat(32)}`
        },
      })
      const methods = accounts.methods(b)
      const tx = { from, to: addr, data: '0x1003e2d2' }
      const reverted = { code: 3, message: 'execution reverted: no', data: hex(data) }
      for (const [method, params] of [
        ['eth_sendTransaction', [tx]],
        ['personal_sendTransaction', [tx, '']],
      ] as const)
        expect({
          method,
          ...(await dispatch(methods, { jsonrpc: '2.0', id: 1, method, params })).error,
        }).toEqual({ method, ...reverted })
      // signing needs the gas given (go-ethereum's SignTransaction estimates nothing)
      expect(
        (
          await dispatch(methods, {
            jsonrpc: '2.0',
            id: 1,
            method: 'eth_signTransaction',
            params: [tx],
          })
        ).error,
      ).toEqual({ code: -32000, message: 'gas not specified' })
      // other executor failures: -32000 in go-ethereum's words, without the code prefix
      estimate = async () => {
        throw new ExecutorError('ErrInvalidTx', 'insufficient funds for gas * price + value')
      }
      expect(
        (
          await dispatch(methods, {
            jsonrpc: '2.0',
            id: 1,
            method: 'eth_sendTransaction',
            params: [tx],
          })
        ).error,
      ).toEqual({ code: -32000, message: 'insufficient funds for gas * price + value' })
      expect(sent).toEqual([])
      // and with a working estimate the transaction goes to the pool
      estimate = async () => 50_000n
      const ok = await dispatch(methods, {
        jsonrpc: '2.0',
        id: 1,
        method: 'eth_sendTransaction',
        params: [tx],
      })
      expect(ok.error).toBeUndefined()
      expect(sent).toHaveLength(1)
    } finally {
      await accounts.stop()
      rmSync(datadir, { recursive: true, force: true })
    }
  })
})
