import { genesisHeader } from '@ethwire/chain'
import { privateKeyToAddress } from '@ethwire/crypto'
import { bytesToHex } from '@ethwire/rlp-wire'
import { describe, expect, it } from 'vitest'
import { compareWithHeader, createExecutor, type PendingTx } from '../src/index.js'
import { createMemoryStateDatabase, signTransaction, transfer } from '../src/testing.js'

const keyA = new Uint8Array(32).fill(1)
const keyB = new Uint8Array(32).fill(2)
const keyPoor = new Uint8Array(32).fill(3)
const A = privateKeyToAddress(keyA)
const B = privateKeyToAddress(keyB)
const poor = privateKeyToAddress(keyPoor)
const to = new Uint8Array(20).fill(0x42)
const config = {
  chainId: 1337,
  homesteadBlock: 0,
  eip150Block: 0,
  eip155Block: 0,
  eip158Block: 0,
  byzantiumBlock: 0,
  constantinopleBlock: 0,
  petersburgBlock: 0,
  istanbulBlock: 0,
  berlinBlock: 0,
  londonBlock: 0,
  shanghaiTime: 0,
  terminalTotalDifficulty: 0,
}
const genesis = {
  config,
  gasLimit: '0x1c9c380',
  difficulty: '0x0',
  alloc: {
    [bytesToHex(A)]: { balance: '0xde0b6b3a7640000' },
    [bytesToHex(B)]: { balance: '0xde0b6b3a7640000' },
    [bytesToHex(poor)]: { balance: '0x1' },
  },
}

async function setup() {
  const db = createMemoryStateDatabase()
  const root = db.loadGenesis(genesis.alloc)
  const parent = genesisHeader(genesis, root)
  const ex = await createExecutor({ state: db }, { config })
  return { db, parent, ex }
}
const tx = (key: Uint8Array, nonce: bigint, value = 1n, tip = 1n) =>
  transfer({ key, to, value, nonce, chainId: 1337n, maxPriorityFeePerGas: tip })
const pending = (key: Uint8Array, sender: Uint8Array, nonce: bigint): PendingTx => ({
  tx: tx(key, nonce),
  sender,
})

describe('buildBlock (the miner)', () => {
  it('fills up to the gas limit, skips failing transactions and drops the sender of a gap', async () => {
    const { db, parent, ex } = await setup()
    const list: PendingTx[] = [
      pending(keyA, A, 0n),
      pending(keyPoor, poor, 0n), // insufficient funds: skipped
      pending(keyB, B, 5n), // nonce too high: B is dropped
      pending(keyB, B, 6n), // … so this one is not tried
      pending(keyA, A, 1n),
      pending(keyA, A, 2n),
      pending(keyA, A, 3n), // the block is full after three transfers
    ]
    const { block, execution, skipped } = await ex.buildBlock({
      parent,
      header: {
        coinbase: new Uint8Array(20).fill(9),
        time: 12n,
        gasLimit: 63_000n + 20_000n,
        baseFee: 875_000_000n,
      },
      transactions: list,
      withdrawals: [],
    })
    expect(block.transactions.map((t) => t.nonce)).toEqual([0n, 1n, 2n])
    expect(block.header.gasUsed).toBe(63_000n)
    // The fourth of A's is never tried: less than 21,000 gas is left (go-ethereum stops there too).
    expect(skipped.map((s) => s.reason.split(':')[0])).toEqual(['ErrInvalidTx', 'ErrInvalidTx'])
    expect(skipped[0]?.reason).toMatch(/insufficient funds/)
    expect(skipped[1]?.reason).toMatch(/nonce too high/)
    expect(execution.receipts.map((r) => r.cumulativeGasUsed)).toEqual([21_000n, 42_000n, 63_000n])
    // The block executes on a fresh executor with every header field matching.
    const fresh = await createExecutor({ state: db }, { config })
    const again = await fresh.executeBlock({ block, parent })
    expect(compareWithHeader(block.header, again)).toBeUndefined()
    expect(bytesToHex(again.stateRoot)).toBe(bytesToHex(block.header.stateRoot))
    const st = await (await db.open(block.header.stateRoot)).getAccount(to)
    expect(st?.balance).toBe(3n)
  })

  it('a block with an invalid transaction fails execution with ErrInvalidTx', async () => {
    const { parent, ex } = await setup()
    const { block } = await ex.buildBlock({
      parent,
      header: {
        coinbase: new Uint8Array(20),
        time: 12n,
        gasLimit: 30_000_000n,
        baseFee: 875_000_000n,
      },
      transactions: [pending(keyA, A, 0n)],
      withdrawals: [],
    })
    // Same block with a replayed nonce-0 transaction appended is invalid (nonce too low).
    const { Block } = await import('@ethwire/rlp-wire')
    const bad = new Block(block.header, {
      ...block.body(),
      transactions: [...block.transactions, block.transactions[0]!],
    })
    await expect(ex.executeBlock({ block: bad, parent })).rejects.toMatchObject({
      code: 'ErrInvalidTx',
    })
    // A legacy transaction signed for another chain is refused too.
    const other = signTransaction(
      {
        type: 0,
        chainId: 1n,
        nonce: 0n,
        gasPrice: 10n ** 10n,
        gasLimit: 21000n,
        to,
        value: 1n,
        data: new Uint8Array(0),
      },
      keyB,
    )
    const wrongChain = new Block(block.header, { ...block.body(), transactions: [other] })
    await expect(ex.executeBlock({ block: wrongChain, parent })).rejects.toThrow(/invalid chain id/)
  })
})
