import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { importChainFile, isChainError, openChain } from '@ethwire/chain'
import { createExecutor } from '@ethwire/executor'
import { Block, BlockHeader, bytesToHex, rlpSplitConcat } from '@ethwire/rlp-wire'
import { createStateDatabase } from '@ethwire/state'
import { afterEach, describe, expect, it } from 'vitest'
import { openExecutedChain } from './executed.js'

const fx = (f: string) => join(import.meta.dirname, '..', 'fixtures', `ethtest-${f}`)
const genesisJson = readFileSync(fx('genesis.json'), 'utf8')
const headBlock = JSON.parse(readFileSync(fx('headblock.json'), 'utf8')) as {
  hash: string
  stateRoot: string
}
const blocks = () => rlpSplitConcat(readFileSync(fx('chain.rlp'))).map((b) => Block.decode(b))
const dirs: string[] = []
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'chain-exec-'))
  dirs.push(d)
  return d
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

const tamper = (b: Block, f: Partial<ReturnType<BlockHeader['toData']>>) =>
  new Block(BlockHeader.fromData({ ...b.header.toData(), ...f }), b.body())

describe('chain with an executor', () => {
  it('imports the ethtest chain executing every block: state, receipts and tx lookups at the head', async () => {
    const dir = tmp()
    const chain = await openExecutedChain({ location: dir }, { genesis: genesisJson })
    expect(await chain.hasState(chain.genesis.stateRoot)).toBe(true)
    const p = await importChainFile(chain, fx('chain.rlp'), undefined, { batchBlocks: 100 })
    expect(p.inserted).toBe(600)
    const head = chain.currentHeader()
    expect(bytesToHex(head.hash)).toBe(headBlock.hash)
    expect(await chain.hasState(head.stateRoot)).toBe(true)
    await chain.verifyIntegrity()
    // Receipts of every block are stored and agree with the header; lookups point at the block.
    const all = blocks()
    let txs = 0
    for (const b of all) {
      const rs = await chain.getReceipts(b.header.hash)
      expect(rs?.length).toBe(b.transactions.length)
      if (rs?.length) expect(rs[rs.length - 1]?.cumulativeGasUsed).toBe(b.header.gasUsed)
      for (const [i, tx] of b.transactions.entries()) {
        expect(await chain.getTransactionBlock(tx.hash)).toBe(b.header.number)
        expect(rs?.[i]?.type).toBe(tx.type)
        txs++
      }
    }
    expect(txs).toBeGreaterThan(500)
    const found = await chain.getTransaction(all[6]!.transactions[0]!.hash)
    expect(found?.blockNumber).toBe(7n)
    await chain.close()
    // Reopen: the head keeps its state.
    const re = await openExecutedChain({ location: dir })
    expect(bytesToHex(re.currentHeader().hash)).toBe(headBlock.hash)
    await re.close()
  }, 120_000)

  it('rejects a block whose results differ from its header with ErrBadBlock naming the field', async () => {
    const chain = await openExecutedChain({ location: tmp() }, { genesis: genesisJson })
    const all = blocks()
    await chain.insertChain(all.slice(0, 6))
    const b = all[6] as Block // block 7 has a tx with logs
    const cases: [string, Partial<ReturnType<BlockHeader['toData']>>][] = [
      ['stateRoot', { stateRoot: new Uint8Array(32).fill(1) }],
      ['receiptRoot', { receiptRoot: new Uint8Array(32).fill(2) }],
      ['bloom', { bloom: new Uint8Array(256) }],
      ['gasUsed', { gasUsed: b.header.gasUsed + 1n }],
    ]
    for (const [field, f] of cases) {
      const bad = tamper(b, f)
      const err = await chain.insertChain([bad]).catch((e) => e)
      expect(isChainError(err, 'ErrBadBlock'), String(err)).toBe(true)
      expect(err.field).toBe(field)
      expect(chain.currentHeader().number).toBe(6n)
      expect(await chain.hasBlock(bad.header.hash)).toBe(false)
      // Known bad: refused again without executing.
      const again = await chain.insertChain([bad]).catch((e) => e)
      expect(again.field).toBe(field)
    }
    expect(chain.badBlocks().map((x) => x.field)).toEqual([
      'gasUsed',
      'bloom',
      'receiptRoot',
      'stateRoot',
    ])
    // The good block still goes in.
    await chain.insertChain([b])
    expect(chain.currentHeader().number).toBe(7n)
    await chain.close()
  }, 60_000)

  it('an executor error coded ErrInvalid… (a copy of any class) is ErrBadBlock transactions; others pass through', async () => {
    let fail: Error | undefined
    const chain = await openChain(
      {
        location: tmp(),
        executor: async ({ db, config, engine }) => {
          const state = createStateDatabase({ db }, { cacheBytes: 16 << 20 })
          const real = await createExecutor({ state, author: (h) => engine.author(h) }, { config })
          return {
            ...real,
            executeBlock: async (input) => {
              if (fail && input.block.header.number === 7n) throw fail
              return real.executeBlock(input)
            },
          }
        },
      },
      { genesis: genesisJson },
    )
    const all = blocks()
    await chain.insertChain(all.slice(0, 6))
    // A missing state is not the block's fault: the executor's error comes out, nothing is marked bad.
    fail = Object.assign(new Error('state unavailable'), { code: 'ErrMissingState' })
    expect(await chain.insertChain([all[6] as Block]).catch((e) => e)).toBe(fail)
    expect(chain.badBlocks()).toEqual([])
    // Not an ExecutorError instance: only the name brand and the string code, as a second copy makes.
    fail = Object.assign(new Error('tx 0: nonce too low'), {
      name: 'ExecutorError',
      code: 'ErrInvalidTx',
    })
    const err = await chain.insertChain([all[6] as Block]).catch((e) => e)
    expect(isChainError(err, 'ErrBadBlock'), String(err)).toBe(true)
    expect(err.field).toBe('transactions')
    expect(chain.badBlocks().map((x) => [x.number, x.field])).toEqual([[7n, 'transactions']])
    expect(chain.badBlocks()[0]?.reason).toContain('nonce too low')
    expect(chain.currentHeader().number).toBe(6n)
    await chain.close()
  }, 60_000)

  it('a Prague block with a wrong requests hash is ErrBadBlock requestsHash', async () => {
    const chain = await openExecutedChain({ location: tmp() }, { genesis: genesisJson })
    const all = blocks()
    const i = all.findIndex((b) => b.header.requestsHash !== undefined)
    await chain.insertChain(all.slice(0, i))
    const err = await chain
      .insertChain([tamper(all[i] as Block, { requestsHash: new Uint8Array(32).fill(3) })])
      .catch((e) => e)
    expect(err.field).toBe('requestsHash')
    await chain.close()
  }, 60_000)

  it('a database filled without execution is rewound to the last block with state on open', async () => {
    const dir = tmp()
    const plain = await openChain({ location: dir }, { genesis: genesisJson })
    await plain.insertChain(blocks().slice(0, 20))
    await plain.close()
    const chain = await openExecutedChain({ location: dir }, { genesis: genesisJson })
    expect(chain.currentHeader().number).toBe(0n)
    await chain.insertChain(blocks().slice(0, 20))
    expect(chain.currentHeader().number).toBe(20n)
    await chain.close()
  }, 60_000)
})
