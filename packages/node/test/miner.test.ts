/**
 * The dev miner: transactions from the pool go into blocks in price-and-nonce order, are executed
 * (balances, receipts), the pool follows the head; `--dev.period 0` seals when a transaction
 * arrives; gas limit and extra-data as configured.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { privateKeyToAddress } from '@ethwire/crypto'
import { bytesToHex, hexToBytes, type Transaction } from '@ethwire/rlp-wire'
import { signTx } from '@ethwire/txpool/testing'
import { afterAll, describe, expect, it } from 'vitest'
import { silentLogger } from '../src/log.js'
import { createNode, type EthwireNode, type NodeConfig } from '../src/node.js'
import { calcGasLimit } from '../src/parts/sealer.js'

const root = mkdtempSync(join(tmpdir(), 'ethwire-miner-'))
const running: EthwireNode[] = []
afterAll(async () => {
  for (const n of running.reverse()) await n.stop()
  rmSync(root, { recursive: true, force: true })
})

const start = async (name: string, config: Partial<NodeConfig>) => {
  const n = createNode({
    datadir: join(root, name),
    port: 0,
    logger: silentLogger,
    logIntervalMs: 0,
    ...config,
  })
  running.push(n)
  await n.start()
  return n
}

const keyOf = (n: EthwireNode) =>
  hexToBytes(`0x${readFileSync(join(n.config.datadir, 'dev-signer-key'), 'utf8').trim()}`)

const transfer = (key: Uint8Array, nonce: bigint, to: Uint8Array, value: bigint, tip = 1n) =>
  signTx(
    {
      type: 2,
      chainId: 1337n,
      nonce,
      maxPriorityFeePerGas: tip * 1_000_000_000n,
      maxFeePerGas: 10_000_000_000n,
      gasLimit: 21_000n,
      to,
      value,
      data: new Uint8Array(0),
    },
    key,
  ) as Transaction

async function waitFor(what: string, f: () => boolean | Promise<boolean>, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs
  while (!(await f())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

describe('calcGasLimit (go-ethereum core.CalcGasLimit)', () => {
  it('moves toward the target by at most parent/1024 - 1', () => {
    expect(calcGasLimit(30_000_000n, 30_000_000n)).toBe(30_000_000n)
    expect(calcGasLimit(30_000_000n, 36_000_000n)).toBe(30_000_000n + 30_000_000n / 1024n - 1n)
    expect(calcGasLimit(30_000_000n, 29_990_000n)).toBe(29_990_000n)
    expect(calcGasLimit(30_000_000n, 1n)).toBe(30_000_000n - 30_000_000n / 1024n + 1n)
  })
})

describe('dev miner', () => {
  it('mines pool transactions by price and nonce, executes them, the pool follows the head', async () => {
    const extra = new TextEncoder().encode('ethwire miner test')
    const n = await start('period', {
      dev: { periodSeconds: 3600 },
      miner: { gasLimit: 36_000_000n, extraData: extra },
    })
    const key = keyOf(n)
    const me = privateKeyToAddress(key)
    const bob = new Uint8Array(20).fill(0xb0)
    const before = (await n.chain.getBlockByNumber(0n))?.header.stateRoot as Uint8Array
    const txs = [0n, 1n, 2n].map((nonce) => transfer(key, nonce, bob, 1000n + nonce))
    // sent out of order: nonce 2 first is queued until 0 and 1 are in
    for (const tx of [txs[2], txs[0], txs[1]])
      await n.txPool.add(tx as Transaction, { local: true })
    expect(n.txPool.status()).toEqual({ pending: 3, queued: 0 })
    const block = await n.sealBlock()
    expect(block.transactions.map((t) => bytesToHex(t.hash))).toEqual(
      txs.map((t) => bytesToHex(t.hash)),
    )
    expect(n.chain.currentHeader().number).toBe(1n)
    expect(block.header.gasUsed).toBe(63_000n)
    expect(block.header.gasLimit).toBe(30_000_000n + 30_000_000n / 1024n - 1n)
    expect(Buffer.from(block.header.extra.subarray(0, extra.length)).toString()).toBe(
      'ethwire miner test',
    )
    expect(bytesToHex(block.header.stateRoot)).not.toBe(bytesToHex(before))
    // executed: bob has the value, receipts are stored, the pool is empty
    expect(await n.backend.balance(bob, block.header)).toBe(3003n)
    expect(await n.backend.nonce(me, block.header)).toBe(3n)
    const receipts = await n.chain.getReceipts(block.hash)
    expect(receipts?.map((r) => r.cumulativeGasUsed)).toEqual([21_000n, 42_000n, 63_000n])
    expect(n.txPool.status()).toEqual({ pending: 0, queued: 0 })
    // an empty block still comes when asked
    expect((await n.sealBlock()).transactions).toHaveLength(0)
  })

  it('--dev.period 0 seals when a transaction arrives, and only then', async () => {
    const n = await start('ontx', { dev: { periodSeconds: 0 } })
    const key = keyOf(n)
    const bob = new Uint8Array(20).fill(0xb1)
    expect(n.chain.currentHeader().number).toBe(0n)
    await n.txPool.add(transfer(key, 0n, bob, 7n), { local: true })
    await waitFor('a block with it', () => n.chain.currentHeader().number === 1n)
    expect((await n.chain.currentBlock()).transactions).toHaveLength(1)
    await waitFor('the pool emptied', () => n.txPool.status().pending === 0)
    // a burst: every transaction is mined, in as few blocks as the arrivals allow
    for (let i = 1n; i <= 5n; i++) await n.txPool.add(transfer(key, i, bob, 7n), { local: true })
    await waitFor(
      'all mined',
      async () => (await n.backend.nonce(privateKeyToAddress(key), n.chain.currentHeader())) === 6n,
    )
    const head = n.chain.currentHeader().number
    expect(head).toBeGreaterThanOrEqual(2n)
    expect(head).toBeLessThanOrEqual(6n)
    expect(await n.backend.balance(bob, n.chain.currentHeader())).toBe(42n)
    // no block without a transaction
    for (let i = 1n; i <= head; i++)
      expect((await n.chain.getBlockByNumber(i))?.transactions.length).toBeGreaterThan(0)
  })
})
