import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { calcBaseFee, createClique, devGenesis } from '@ethwire/chain'
import * as crypto from '@ethwire/crypto'
import { transfer } from '@ethwire/executor/testing'
import { Block, BlockHeader, EMPTY_TRIE_ROOT, EMPTY_UNCLE_HASH } from '@ethwire/rlp-wire'
import { afterEach, describe, expect, it } from 'vitest'
import { openExecutedChain } from './executed.js'

const dirs: string[] = []
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

describe('a mined block on a clique chain with execution', () => {
  it('the builder fills it, the signer seals it, the chain executes it again: fees to the signer, no reward', async () => {
    const key = new Uint8Array(32).fill(5)
    const signer = crypto.privateKeyToAddress(key)
    const to = new Uint8Array(20).fill(0x77)
    const genesis = devGenesis({ signer, periodSeconds: 1 })
    const engine = createClique({ crypto }, { period: 1, signerKey: key })
    const dir = mkdtempSync(join(tmpdir(), 'chain-mine-'))
    dirs.push(dir)
    const chain = await openExecutedChain({ location: dir, engine }, { genesis })
    const parent = chain.currentHeader()
    const reader = {
      config: chain.config,
      getHeader: (h: Uint8Array, n: bigint) => chain.getHeader(h, n),
    }
    const baseFee = calcBaseFee(chain.config, parent)
    const draft = await engine.prepare(
      reader,
      BlockHeader.fromData({
        parentHash: parent.hash,
        uncleHash: EMPTY_UNCLE_HASH,
        coinbase: new Uint8Array(20),
        stateRoot: new Uint8Array(32),
        txRoot: EMPTY_TRIE_ROOT,
        receiptRoot: EMPTY_TRIE_ROOT,
        bloom: new Uint8Array(256),
        difficulty: 0n,
        number: parent.number + 1n,
        gasLimit: parent.gasLimit,
        gasUsed: 0n,
        time: parent.time + 1n,
        extra: new Uint8Array(0),
        mixDigest: new Uint8Array(32),
        nonce: new Uint8Array(8),
        baseFee,
      }),
      parent,
    )
    const txs = [0n, 1n, 2n].map((nonce) => ({
      tx: transfer({ key, to, value: 100n, nonce, chainId: 1337n, maxPriorityFeePerGas: 2n }),
      sender: signer,
    }))
    const before = (await chain.state.getAccount(parent.stateRoot, signer))!.balance
    const built = await chain.exec.buildBlock({
      parent,
      header: {
        coinbase: draft.coinbase,
        time: draft.time,
        gasLimit: draft.gasLimit,
        extra: draft.extra,
        difficulty: draft.difficulty,
        baseFee,
        beneficiary: signer, // clique pays the signer
      },
      transactions: txs,
    })
    expect(built.block.transactions.length).toBe(3)
    const sealed = await engine.seal(reader, built.block.header)
    await chain.insertChain([new Block(sealed, built.block.body())])
    const head = chain.currentHeader()
    expect(head.number).toBe(1n)
    expect((await chain.state.getAccount(head.stateRoot, to))?.balance).toBe(300n)
    // The signer paid value + gas × (base fee + tip) and got the tips back: no block reward.
    const after = (await chain.state.getAccount(head.stateRoot, signer))!.balance
    expect(before - after).toBe(300n + 63_000n * baseFee)
    expect((await chain.getReceipts(head.hash))?.map((r) => r.cumulativeGasUsed)).toEqual([
      21_000n,
      42_000n,
      63_000n,
    ])
    await chain.close()
  }, 30_000)
})
