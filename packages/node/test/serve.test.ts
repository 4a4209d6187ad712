/**
 * GetReceipts and GetNodeData served by a node from what execution stored: a peer on a message
 * pipe (eth/66, the last version with GetNodeData) shakes hands with the node's protocol manager
 * and asks for the receipts of a mined block and for its state root's trie node.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { forksFromGethConfig, handshake } from '@ethwire/handshake'
import {
  bytesToHex,
  decodeMessage,
  type EthMessage,
  encodeMessage,
  hexToBytes,
  keccak256,
  type Transaction,
} from '@ethwire/rlp-wire'
import { msgPipe } from '@ethwire/rlp-wire/testing'
import { signTx } from '@ethwire/txpool/testing'
import { afterAll, describe, expect, it } from 'vitest'
import { silentLogger } from '../src/log.js'
import { createNode } from '../src/node.js'

const root = mkdtempSync(join(tmpdir(), 'ethwire-serve-'))
const node = createNode({
  datadir: join(root, 'a'),
  dev: { periodSeconds: 3600 },
  port: 0,
  logger: silentLogger,
  logIntervalMs: 0,
})
afterAll(async () => {
  await node.stop()
  rmSync(root, { recursive: true, force: true })
})

describe('serving from the executed chain', () => {
  it('answers GetReceipts and GetNodeData with what the executor stored', async () => {
    await node.start()
    const key = hexToBytes(`0x${readFileSync(join(root, 'a', 'dev-signer-key'), 'utf8').trim()}`)
    const tx = signTx(
      {
        type: 2,
        chainId: 1337n,
        nonce: 0n,
        maxPriorityFeePerGas: 1_000_000_000n,
        maxFeePerGas: 10_000_000_000n,
        gasLimit: 21_000n,
        to: new Uint8Array(20).fill(0xcc),
        value: 5n,
        data: new Uint8Array(0),
      },
      key,
    ) as Transaction
    await node.txPool.add(tx, { local: true })
    const block = await node.sealBlock()
    expect(block.transactions).toHaveLength(1)
    const stored = await node.chain.getReceipts(block.hash)
    expect(stored?.[0]?.cumulativeGasUsed).toBe(21_000n)

    const [ours, theirs] = msgPipe({ version: 66 })
    const handled = node.pm.handle(ours)
    const c = node.chain
    await handshake({
      conn: theirs,
      local: {
        networkId: 1337n,
        genesisHash: c.genesis.hash,
        head: { hash: c.genesis.hash, number: 0n, time: c.genesis.time },
        td: c.genesis.difficulty,
        forks: {
          genesisHash: c.genesis.hash,
          genesisTime: c.genesis.time,
          ...forksFromGethConfig(c.config as Record<string, unknown>),
        },
      },
    })
    const ask = async (msg: EthMessage, answer: string): Promise<EthMessage> => {
      const m = encodeMessage(66, msg)
      await theirs.writeMsg(m.code, m.payload)
      for (;;) {
        const got = decodeMessage(66, await theirs.readMsg(AbortSignal.timeout(10_000)))
        if (got.name === answer) return got
      }
    }
    const receipts = await ask(
      { name: 'GetReceipts', requestId: 7n, hashes: [block.hash, new Uint8Array(32)] },
      'Receipts',
    )
    expect(receipts).toMatchObject({ requestId: 7n })
    const lists = (receipts as Extract<EthMessage, { name: 'Receipts' }>).receipts
    // one list for the block we have; none for the unknown hash
    expect(lists).toHaveLength(1)
    expect(lists[0]?.map((r) => [r.cumulativeGasUsed, bytesToHex(r.postStateOrStatus)])).toEqual([
      [21_000n, '0x01'],
    ])

    const nodes = await ask(
      { name: 'GetNodeData', requestId: 8n, hashes: [block.header.stateRoot] },
      'NodeData',
    )
    const data = (nodes as Extract<EthMessage, { name: 'NodeData' }>).data
    expect(data).toHaveLength(1)
    expect(bytesToHex(keccak256(data[0] as Uint8Array))).toBe(bytesToHex(block.header.stateRoot))
    await theirs.close()
    await handled
  })
})
