/**
 * Two in-process nodes on the real ethtest chain: A holds the 600 imported blocks, B starts from
 * the genesis, joins A over libp2p (and, in a second round, RLPx) and syncs to A's head; B then
 * finds mined transactions by hash (from the canonical blocks it imported).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Block, bytesToHex, rlpSplitConcat } from '@ethwire/rlp-wire'
import { afterAll, describe, expect, it } from 'vitest'
import { importCommand, initCommand } from '../src/commands.js'
import { silentLogger } from '../src/log.js'
import { createNode, type EthwireNode } from '../src/node.js'
import { rpcCall } from '../src/testing.js'

const fx = (f: string) => join(import.meta.dirname, 'fixtures', f)
const headblock = JSON.parse(readFileSync(fx('headblock.json'), 'utf8')) as { hash: string }
const root = mkdtempSync(join(tmpdir(), 'ethwire-sync-'))
const nodes: EthwireNode[] = []
const ctx = (datadir: string) => ({ datadir, fakePow: false, log: silentLogger, out: () => {} })

afterAll(async () => {
  for (const n of nodes.reverse()) await n.stop()
  rmSync(root, { recursive: true, force: true })
})

async function waitFor(what: string, f: () => boolean, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs
  while (!f()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

describe('sync of the ethtest chain between two nodes', () => {
  it('B syncs 600 blocks from A over libp2p, then over RLPx, and serves mined txs by hash', async () => {
    await initCommand(ctx(join(root, 'a')), fx('genesis.json'))
    await importCommand(ctx(join(root, 'a')), fx('chain.rlp'))
    const a = createNode({
      datadir: join(root, 'a'),
      port: 0,
      rlpxPort: 0,
      http: { port: 0 },
      logger: silentLogger,
      logIntervalMs: 0,
    })
    nodes.push(a)
    await a.start()
    expect(a.chain.currentHeader().number).toBe(600n)
    const enode = a.enode as string
    expect(enode).toMatch(/^enode:\/\/[0-9a-f]{128}@127\.0\.0\.1:\d+$/)

    for (const [name, boot] of [
      ['b-libp2p', a.multiaddrs[0] as string],
      ['b-rlpx', enode],
    ] as const) {
      await initCommand(ctx(join(root, name)), fx('genesis.json'))
      const b = createNode({
        datadir: join(root, name),
        port: 0,
        http: { port: 0 },
        bootnodes: [boot],
        minSyncPeers: 1,
        logger: silentLogger,
        logIntervalMs: 0,
      })
      nodes.push(b)
      await b.start()
      await waitFor(`${name} synced`, () => b.chain.currentHeader().number === 600n, 30_000)
      expect(bytesToHex(b.chain.currentHeader().hash)).toBe(headblock.hash)
      const peers = (await rpcCall(b.rpcUrl as string, 'admin_peers')) as Array<{
        network: { transport: string }
      }>
      expect(peers.map((p) => p.network.transport)).toEqual([
        boot.startsWith('enode') ? 'rlpx' : 'libp2p',
      ])
      await b.stop()
    }

    // a mined transaction, looked up on the last B (it imported the blocks since it started)
    const b = nodes.at(-1) as EthwireNode
    await b.stop()
    const c = createNode({
      datadir: join(root, 'c'),
      port: 0,
      http: { port: 0 },
      bootnodes: [a.multiaddrs[0] as string],
      minSyncPeers: 1,
      logger: silentLogger,
      logIntervalMs: 0,
    })
    await initCommand(ctx(join(root, 'c')), fx('genesis.json'))
    nodes.push(c)
    await c.start()
    await waitFor('c synced', () => c.chain.currentHeader().number === 600n, 30_000)
    const blocks = rlpSplitConcat(readFileSync(fx('chain.rlp'))).map((raw) => Block.decode(raw))
    const withTx = blocks.find((bl) => bl.transactions.length > 0) as Block
    const tx = withTx.transactions[0]
    expect(tx).toBeDefined()
    const got = (await rpcCall(c.rpcUrl as string, 'eth_getTransactionByHash', [
      bytesToHex(tx?.hash as Uint8Array),
    ])) as Record<string, string>
    expect(got.blockHash).toBe(bytesToHex(withTx.hash))
    expect(got.blockNumber).toBe(`0x${withTx.header.number.toString(16)}`)
    expect(got.transactionIndex).toBe('0x0')
    expect(got.from).toMatch(/^0x[0-9a-f]{40}$/)
    const full = (await rpcCall(c.rpcUrl as string, 'eth_getBlockByNumber', [
      got.blockNumber,
      true,
    ])) as {
      hash: string
      transactions: Array<{ hash: string; from: string }>
    }
    expect(full.hash).toBe(got.blockHash)
    expect(full.transactions[0]).toMatchObject({ hash: got.hash, from: got.from })
    // A imported the chain before it started: it indexed the transactions of its last 128 blocks
    const recent = [...blocks].reverse().find((bl) => bl.transactions.length > 0) as Block
    expect(recent.header.number).toBeGreaterThan(600n - 128n)
    const onA = (await rpcCall(a.rpcUrl as string, 'eth_getTransactionByHash', [
      bytesToHex((recent.transactions[0] as { hash: Uint8Array }).hash),
    ])) as { blockHash: string }
    expect(onA.blockHash).toBe(bytesToHex(recent.hash))
  }, 120_000)
})
