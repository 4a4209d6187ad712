import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  type ChainEvent,
  calcBaseFee,
  createBeacon,
  createFaker,
  type GenesisJson,
  genesisHeader,
} from '@ethwire/chain'
import { privateKeyToAddress } from '@ethwire/crypto'
import { createExecutor } from '@ethwire/executor'
import { createMemoryStateDatabase, transfer } from '@ethwire/executor/testing'
import { type Block, type BlockHeader, bytesToHex, type Transaction } from '@ethwire/rlp-wire'
import { createTxPool } from '@ethwire/txpool'
import { afterEach, describe, expect, it } from 'vitest'
import { openExecutedChain } from './executed.js'

const key = new Uint8Array(32).fill(7)
const sender = privateKeyToAddress(key)
const X = new Uint8Array(20).fill(0x11)
const Y = new Uint8Array(20).fill(0x22)
const genesis: GenesisJson = {
  config: {
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
  },
  gasLimit: '0x1c9c380',
  difficulty: '0x0',
  alloc: { [bytesToHex(sender)]: { balance: '0x3635c9adc5dea00000' } },
}
const dirs: string[] = []
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

/** Builds blocks with the executor's builder over an in-memory state (the "other node"). */
async function builder() {
  const db = createMemoryStateDatabase()
  const root = db.loadGenesis(genesis.alloc ?? {})
  const g = genesisHeader(genesis, root)
  const ex = await createExecutor({ state: db }, { config: genesis.config })
  const build = async (parent: BlockHeader, txs: Transaction[], salt: number) => {
    const { block, skipped } = await ex.buildBlock({
      parent,
      header: {
        coinbase: new Uint8Array(20).fill(salt),
        time: parent.time + 12n,
        gasLimit: parent.gasLimit,
        baseFee: calcBaseFee(genesis.config, parent),
      },
      transactions: txs.map((tx) => ({ tx, sender })),
      withdrawals: [],
    })
    expect(skipped).toEqual([])
    return block
  }
  return { g, build }
}

const tx = (to: Uint8Array, value: bigint, nonce: bigint) =>
  transfer({ key, to, value, nonce, chainId: 1337n })

describe('reorg with execution', () => {
  it('a longer branch replaces blocks; state, receipts and lookups follow, and back again', async () => {
    const { g, build } = await builder()
    const a1 = await build(g, [tx(X, 1n, 0n)], 1)
    const a2 = await build(a1.header, [tx(X, 2n, 1n)], 1)
    const a3 = await build(a2.header, [tx(X, 3n, 2n)], 1)
    const b2 = await build(a1.header, [tx(Y, 5n, 1n)], 2)
    const b3 = await build(b2.header, [tx(Y, 5n, 2n)], 2)
    const b4 = await build(b3.header, [tx(Y, 5n, 3n), tx(X, 10n, 4n)], 2)
    const a4 = await build(a3.header, [tx(X, 4n, 3n)], 1)
    const a5 = await build(a4.header, [], 1)

    const dir = mkdtempSync(join(tmpdir(), 'chain-reorg-'))
    dirs.push(dir)
    const chain = await openExecutedChain(
      { location: dir, engine: createBeacon(createFaker()) },
      { genesis },
    )
    expect(bytesToHex(chain.genesis.hash)).toBe(bytesToHex(g.hash))
    const events: ChainEvent[] = []
    chain.on((e) => events.push(e))
    const balance = async (a: Uint8Array) => {
      const st = await chain.state.getAccount(chain.currentHeader().stateRoot, a)
      return st?.balance ?? 0n
    }
    const lookup = (b: Block, i = 0) => chain.getTransactionBlock(b.transactions[i]!.hash)

    await chain.insertChain([a1, a2, a3])
    expect(chain.currentHeader().number).toBe(3n)
    expect(await balance(X)).toBe(6n)

    await chain.insertChain([b2, b3, b4])
    expect(bytesToHex(chain.currentHeader().hash)).toBe(bytesToHex(b4.header.hash))
    expect(events.find((e) => e.type === 'reorg')).toMatchObject({ type: 'reorg', ancestor: 1n })
    expect(await balance(X)).toBe(11n)
    expect(await balance(Y)).toBe(15n)
    expect(await lookup(a1)).toBe(1n)
    expect(await lookup(a2)).toBeUndefined()
    expect(await lookup(a3)).toBeUndefined()
    expect(await lookup(b2)).toBe(2n)
    expect(await lookup(b3)).toBe(3n)
    expect(await lookup(b4, 1)).toBe(4n)
    for (const b of [b2, b3, b4]) {
      const rs = await chain.getReceipts(b.header.hash)
      expect(rs?.length).toBe(b.transactions.length)
      expect(rs?.[0]?.postStateOrStatus).toEqual(Uint8Array.of(1))
    }
    expect((await chain.getBlockByNumber(2n))?.header.hash).toEqual(b2.header.hash)

    // Back to A: a4 is stored as a side block, a5 makes A longer; a4 runs on a3's state.
    await chain.insertChain([a4, a5])
    expect(bytesToHex(chain.currentHeader().hash)).toBe(bytesToHex(a5.header.hash))
    expect(await balance(X)).toBe(10n)
    expect(await balance(Y)).toBe(0n)
    expect(await lookup(a2)).toBe(2n)
    expect(await lookup(a4)).toBe(4n)
    expect(await lookup(b2)).toBeUndefined()
    expect(await lookup(b4, 1)).toBeUndefined()
    expect((await chain.getReceipts(a4.header.hash))?.length).toBe(1)
    await chain.verifyIntegrity()
    await chain.close()
  }, 60_000)

  it('the pool follows: mined transactions leave it, a reorg gives back what it removed', async () => {
    const { g, build } = await builder()
    const t1 = tx(X, 2n, 1n)
    const t2 = tx(X, 3n, 2n)
    const t3 = tx(X, 4n, 3n) // never mined: stays pending throughout
    const a1 = await build(g, [tx(X, 1n, 0n)], 1)
    const a2 = await build(a1.header, [t1], 1)
    const a3 = await build(a2.header, [t2], 1)
    // branch B from a1: longer, without t1 and t2
    const b2 = await build(a1.header, [], 2)
    const b3 = await build(b2.header, [], 2)
    const b4 = await build(b3.header, [], 2)

    const dir = mkdtempSync(join(tmpdir(), 'chain-reorg-pool-'))
    dirs.push(dir)
    const chain = await openExecutedChain(
      { location: dir, engine: createBeacon(createFaker()) },
      { genesis },
    )
    const pool = createTxPool(
      {
        chain: {
          currentHeader: () => chain.currentHeader(),
          getBlockByHash: (h) => chain.getBlockByHash(h),
          stateAt: (root) => ({
            getNonce: async (a) => (await chain.state.getAccount(root, a))?.nonce ?? 0n,
            getBalance: async (a) => (await chain.state.getAccount(root, a))?.balance ?? 0n,
          }),
        },
      },
      { chainId: 1337n },
    )
    await pool.start()
    const resets: Promise<void>[] = []
    chain.on((e) => {
      if (e.type === 'head') resets.push(pool.reset(e.header))
    })
    const settle = async () => {
      while (resets.length > 0) await resets.shift()
    }
    const pendingHashes = () => pool.pendingList().map((p) => p.hashHex)

    await chain.insertChain([a1])
    await settle()
    for (const t of [t1, t2, t3]) await pool.add(t, { local: true })
    expect(pendingHashes()).toEqual([t1, t2, t3].map((t) => bytesToHex(t.hash)))
    // a stale nonce is refused against the head state
    await expect(pool.add(tx(Y, 1n, 0n))).rejects.toThrow(/nonce too low/)

    await chain.insertChain([a2, a3])
    await settle()
    expect(pendingHashes()).toEqual([bytesToHex(t3.hash)]) // t1, t2 mined

    await chain.insertChain([b2, b3, b4]) // reorg: a2, a3 leave the canonical chain
    await settle()
    expect(bytesToHex(chain.currentHeader().hash)).toBe(bytesToHex(b4.header.hash))
    expect(pendingHashes()).toEqual([t1, t2, t3].map((t) => bytesToHex(t.hash)))
    expect(await chain.getTransactionBlock(t1.hash)).toBeUndefined()

    await pool.stop()
    await chain.close()
  }, 60_000)
})
