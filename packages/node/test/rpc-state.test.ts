/**
 * JSON-RPC on the executed chain of a --dev node: balances, nonces (pending too), code, storage,
 * receipts with logs, eth_call / eth_estimateGas with go-ethereum's revert error, fee suggestions,
 * block tags and hashes, and eth_sendRawTransaction's go-ethereum error texts. Blocks are sealed by
 * the test (sealBlock), so nothing races the assertions.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { privateKeyToAddress, randomPrivateKey } from '@ethwire/crypto'
import { bytesToHex, hexToBytes, type Transaction, type TxData } from '@ethwire/rlp-wire'
import { signTx } from '@ethwire/txpool/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { silentLogger } from '../src/log.js'
import { createNode, type EthwireNode } from '../src/node.js'
import { createdAddress } from '../src/rpc/receipt.js'
import { rpcCall } from '../src/testing.js'
import { initCode, runtime, wordOf } from './helpers/contract.js'

const root = mkdtempSync(join(tmpdir(), 'ethwire-rpcstate-'))
let node: EthwireNode
let url: string
let key: Uint8Array
let me: string
const rpc = <T = unknown>(method: string, params: unknown[] = []) => rpcCall<T>(url, method, params)
const gwei = 1_000_000_000n

function sign(fields: Partial<TxData> & { nonce: bigint }, k = key): Transaction {
  return signTx(
    {
      type: 2,
      chainId: 1337n,
      maxPriorityFeePerGas: gwei,
      maxFeePerGas: 10n * gwei,
      gasLimit: 21_000n,
      value: 0n,
      data: new Uint8Array(0),
      ...fields,
      to: fields.to ?? null,
    },
    k,
  ) as Transaction
}
const send = (tx: Transaction) => rpc<string>('eth_sendRawTransaction', [bytesToHex(tx.encode())])

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
  key = hexToBytes(`0x${readFileSync(join(root, 'dev', 'dev-signer-key'), 'utf8').trim()}`)
  me = bytesToHex(privateKeyToAddress(key))
})
afterAll(async () => {
  await node.stop()
  rmSync(root, { recursive: true, force: true })
})

describe('JSON-RPC over the executed chain', () => {
  let contract: string
  let deployHash: string

  it('a deployment: pending nonce, receipt with contractAddress, code and storage', async () => {
    const genesisBalance = BigInt(await rpc<string>('eth_getBalance', [me, 'latest']))
    expect(genesisBalance).toBe(10n ** 24n)
    deployHash = await send(sign({ nonce: 0n, gasLimit: 200_000n, to: null, data: initCode }))
    expect(await rpc('eth_getTransactionCount', [me, 'pending'])).toBe('0x1')
    expect(await rpc('eth_getTransactionCount', [me, 'latest'])).toBe('0x0')
    expect(await rpc('eth_getTransactionReceipt', [deployHash])).toBeNull()

    const block = await node.sealBlock()
    const receipt = await rpc<Record<string, unknown>>('eth_getTransactionReceipt', [deployHash])
    contract = bytesToHex(createdAddress(hexToBytes(me), 0n))
    const baseFee = block.header.baseFee as bigint
    expect(receipt).toMatchObject({
      transactionHash: deployHash,
      blockHash: bytesToHex(block.hash),
      blockNumber: '0x1',
      transactionIndex: '0x0',
      from: me,
      to: null,
      contractAddress: contract,
      status: '0x1',
      logs: [],
      type: '0x2',
      effectiveGasPrice: `0x${(baseFee + gwei).toString(16)}`,
    })
    const gasUsed = BigInt(receipt.gasUsed as string)
    expect(gasUsed).toBeGreaterThan(53_000n)
    expect(receipt.cumulativeGasUsed).toBe(receipt.gasUsed)
    expect(await rpc('eth_getCode', [contract, 'latest'])).toBe(bytesToHex(runtime))
    expect(await rpc('eth_getCode', [contract, 'earliest'])).toBe('0x')
    expect(await rpc('eth_getStorageAt', [contract, '0x0', 'latest'])).toBe(
      bytesToHex(wordOf(0x2an)),
    )
    expect(await rpc('eth_getTransactionCount', [me, 'latest'])).toBe('0x1')
    // the sender paid gas at the effective price (clique: the signer is paid the tip back)
    const after = BigInt(await rpc<string>('eth_getBalance', [me, 'latest']))
    expect(genesisBalance - after).toBe(gasUsed * baseFee)
  })

  it('a call with a log and a transfer in one block: logs, gas, cumulative gas', async () => {
    const bob = `0x${'b0'.repeat(20)}`
    const callHash = await send(
      sign({ nonce: 1n, gasLimit: 100_000n, to: hexToBytes(contract), data: wordOf(5n) }),
    )
    const transferHash = await send(sign({ nonce: 2n, to: hexToBytes(bob), value: 777n }))
    const block = await node.sealBlock()
    expect(block.transactions).toHaveLength(2)
    const r1 = await rpc<Record<string, unknown>>('eth_getTransactionReceipt', [callHash])
    const r2 = await rpc<Record<string, unknown>>('eth_getTransactionReceipt', [transferHash])
    expect(r1).toMatchObject({ status: '0x1', to: contract, contractAddress: null })
    expect(r1.logs).toEqual([
      {
        address: contract,
        topics: [bytesToHex(wordOf(0x77n))],
        data: bytesToHex(wordOf(5n)),
        blockNumber: '0x2',
        blockHash: bytesToHex(block.hash),
        blockTimestamp: `0x${block.header.time.toString(16)}`,
        transactionHash: callHash,
        transactionIndex: '0x0',
        logIndex: '0x0',
        removed: false,
      },
    ])
    expect(r2).toMatchObject({
      status: '0x1',
      gasUsed: '0x5208',
      transactionIndex: '0x1',
      logs: [],
    })
    expect(BigInt(r2.cumulativeGasUsed as string)).toBe(BigInt(r1.gasUsed as string) + 21_000n)
    expect(BigInt(r2.cumulativeGasUsed as string)).toBe(block.header.gasUsed)
    expect(r1.logsBloom).not.toBe(`0x${'00'.repeat(256)}`)
    expect(await rpc('eth_getBalance', [bob, 'latest'])).toBe('0x309')
    expect(await rpc('eth_getStorageAt', [contract, '0x1', 'latest'])).toBe(bytesToHex(wordOf(5n)))
  })

  it('block tags and hashes name the state', async () => {
    const bob = `0x${'b0'.repeat(20)}`
    const b1 = await node.chain.getBlockByNumber(1n)
    for (const tag of ['latest', 'pending'])
      expect(await rpc('eth_getBalance', [bob, tag])).toBe('0x309')
    // clique: no forkchoice, so no safe or finalized block (go-ethereum's errors)
    for (const tag of ['safe', 'finalized'])
      await expect(rpc('eth_getBalance', [bob, tag])).rejects.toThrow(`${tag} block not found`)
    expect(await rpc('eth_getBalance', [bob, 'earliest'])).toBe('0x0')
    expect(await rpc('eth_getBalance', [bob, '0x1'])).toBe('0x0')
    expect(await rpc('eth_getBalance', [bob, bytesToHex(b1?.hash as Uint8Array)])).toBe('0x0')
    expect(
      await rpc('eth_getBalance', [
        bob,
        { blockHash: bytesToHex(b1?.hash as Uint8Array), requireCanonical: true },
      ]),
    ).toBe('0x0')
    expect(await rpc('eth_getBalance', [bob, { blockNumber: '0x2' }])).toBe('0x309')
    await expect(rpc('eth_getBalance', [bob, '0x99'])).rejects.toMatchObject({
      rpcCode: -32000,
      message: 'header not found',
    })
    await expect(rpc('eth_getBalance', [bob, `0x${'12'.repeat(32)}`])).rejects.toThrow(
      'header not found',
    )
    await expect(rpc('eth_getBalance', ['0x12', 'latest'])).rejects.toMatchObject({
      rpcCode: -32602,
    })
    const latest = await rpc<{ number: string }>('eth_getBlockByNumber', ['latest', false])
    expect(latest.number).toBe('0x2')
  })

  it('eth_call and eth_estimateGas: results, and reverts as code 3 with the reason and data', async () => {
    expect(await rpc('eth_call', [{ to: contract }, 'latest'])).toBe(bytesToHex(wordOf(0x2an)))
    // at block 1 the contract existed with slot 0 set
    expect(await rpc('eth_call', [{ to: contract, input: '0x' }, '0x1'])).toBe(
      bytesToHex(wordOf(0x2an)),
    )
    const revert = rpc('eth_call', [{ to: contract, data: bytesToHex(wordOf(0xdeadn)) }, 'latest'])
    await expect(revert).rejects.toMatchObject({ rpcCode: 3, message: 'execution reverted: nope' })
    const raw = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'eth_estimateGas',
        params: [{ from: me, to: contract, data: bytesToHex(wordOf(0xdeadn)) }],
      }),
    })
    const body = (await raw.json()) as { error: { code: number; message: string; data: string } }
    expect(body.error.code).toBe(3)
    expect(body.error.message).toBe('execution reverted: nope')
    expect(body.error.data.slice(0, 10)).toBe('0x08c379a0')
    expect(
      await rpc('eth_estimateGas', [{ from: me, to: `0x${'b0'.repeat(20)}`, value: '0x1' }]),
    ).toBe('0x5208')
    // the estimate is enough: the same call with exactly that gas limit succeeds
    const est = BigInt(
      await rpc<string>('eth_estimateGas', [
        { from: me, to: contract, data: bytesToHex(wordOf(9n)) },
      ]),
    )
    expect(est).toBeGreaterThan(21_000n + 2_900n)
    expect(est).toBeLessThan(100_000n)
    const h = await send(
      sign({ nonce: 3n, gasLimit: est, to: hexToBytes(contract), data: wordOf(9n) }),
    )
    await node.sealBlock()
    const r = await rpc<{ status: string; gasUsed: string }>('eth_getTransactionReceipt', [h])
    expect(r.status).toBe('0x1')
    expect(BigInt(r.gasUsed)).toBeLessThanOrEqual(est)
    expect(await rpc('eth_getStorageAt', [contract, '0x1', 'latest'])).toBe(bytesToHex(wordOf(9n)))
    // a call that may not pay: go-ethereum's words, code -32000
    const poor = bytesToHex(privateKeyToAddress(randomPrivateKey()))
    await expect(
      rpc('eth_call', [{ from: poor, to: contract, value: '0x1' }, 'latest']),
    ).rejects.toMatchObject({
      rpcCode: -32000,
      message: expect.stringMatching(/insufficient funds/),
    })
  })

  it("fee suggestions and eth_sendRawTransaction errors in go-ethereum's words", async () => {
    // every mined transaction paid a 1 gwei tip
    expect(await rpc('eth_maxPriorityFeePerGas')).toBe(`0x${gwei.toString(16)}`)
    const baseFee = node.chain.currentHeader().baseFee as bigint
    expect(await rpc('eth_gasPrice')).toBe(`0x${(gwei + baseFee).toString(16)}`)
    await expect(send(sign({ nonce: 0n, to: hexToBytes(contract) }))).rejects.toMatchObject({
      rpcCode: -32000,
      message: 'nonce too low: next nonce 4, tx nonce 0',
    })
    const stranger = randomPrivateKey()
    await expect(
      send(sign({ nonce: 0n, to: hexToBytes(contract), value: 1n }, stranger)),
    ).rejects.toMatchObject({
      rpcCode: -32000,
      message: expect.stringMatching(
        /^insufficient funds for gas \* price \+ value: balance 0, tx cost /,
      ),
    })
    expect(await rpc('eth_getTransactionReceipt', [`0x${'00'.repeat(32)}`])).toBeNull()
    expect((await rpc<{ hash: string }>('eth_getTransactionByHash', [deployHash])).hash).toBe(
      deployHash,
    )
  })
})
