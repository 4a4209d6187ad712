/**
 * Lifecycle: the txpool journal keeps a local transaction across a restart; one --maxpeers over
 * both transports (a libp2p peer fills the only slot, an RLPx dialer is refused and gets in by
 * redial once the slot frees); admin_addPeer.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { bytesToHex, hexToBytes } from '@ethwire/rlp-wire'
import { signTx } from '@ethwire/txpool/testing'
import { afterAll, describe, expect, it } from 'vitest'
import { devchainCommand, initCommand } from '../src/commands.js'
import { silentLogger } from '../src/log.js'
import { createNode, type EthwireNode, type NodeConfig } from '../src/node.js'
import { rpcCall } from '../src/testing.js'

const root = mkdtempSync(join(tmpdir(), 'ethwire-life-'))
const running: EthwireNode[] = []
afterAll(async () => {
  for (const n of running.reverse()) await n.stop()
  rmSync(root, { recursive: true, force: true })
})

const start = async (config: NodeConfig) => {
  const n = createNode({ port: 0, logger: silentLogger, logIntervalMs: 0, ...config })
  running.push(n)
  await n.start()
  return n
}

async function waitFor(what: string, f: () => boolean | Promise<boolean>, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs
  while (!(await f())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

describe('node lifecycle', () => {
  it('a part failing to start (JSON-RPC port taken) stops the parts already started: the datadir opens again', async () => {
    const { createServer } = await import('node:net')
    const blocker = createServer()
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()))
    const port = (blocker.address() as { port: number }).port
    const datadir = join(root, 'rollback')
    const a = createNode({
      datadir,
      dev: { periodSeconds: 3600 },
      http: { host: '127.0.0.1', port },
      port: 0,
      logger: silentLogger,
      logIntervalMs: 0,
    })
    await expect(a.start()).rejects.toThrow(/EADDRINUSE/)
    expect(a.running).toBe(false)
    await new Promise<void>((r) => blocker.close(() => r()))
    // the database lock, the libp2p listener and the pool journal were released by the rollback
    const b = await start({ datadir, dev: { periodSeconds: 3600 }, http: { port: 0 } })
    expect(b.chain.currentHeader().number).toBe(0n)
    await b.stop()
  })

  it('a local transaction survives a restart through the journal', async () => {
    const datadir = join(root, 'journal')
    // a long period: no block is sealed during the test
    const a = await start({ datadir, dev: { periodSeconds: 3600 }, http: { port: 0 } })
    const key = hexToBytes(`0x${readFileSync(join(datadir, 'dev-signer-key'), 'utf8').trim()}`)
    const tx = signTx(
      {
        type: 2,
        chainId: 1337n,
        nonce: 0n,
        maxPriorityFeePerGas: 1_000_000_000n,
        maxFeePerGas: 2_000_000_000n,
        gasLimit: 21_000n,
        to: new Uint8Array(20).fill(0xaa),
        value: 5n,
        data: new Uint8Array(0),
      },
      key,
    )
    const hash = await rpcCall(a.rpcUrl as string, 'eth_sendRawTransaction', [
      bytesToHex(tx.encode()),
    ])
    expect(hash).toBe(bytesToHex(tx.hash))
    await a.stop()
    expect(a.running).toBe(false)
    const b = await start({ datadir, dev: { periodSeconds: 3600 }, http: { port: 0 } })
    expect(b.txPool.status()).toEqual({ pending: 1, queued: 0 })
    const got = (await rpcCall(b.rpcUrl as string, 'eth_getTransactionByHash', [hash])) as {
      from: string
    }
    expect(got.from).toBe(bytesToHex(b.txPool.get(hash as string)?.sender as Uint8Array))
  })

  it('--maxpeers is one limit over libp2p and RLPx; a refused bootnode gets in by redial', async () => {
    const m = await start({
      datadir: join(root, 'm'),
      dev: { periodSeconds: 1 },
      rlpxPort: 0,
      maxPeers: 1,
    })
    const genesis = join(root, 'm', 'genesis.json')
    for (const d of ['p1', 'p2'])
      await initCommand(
        { datadir: join(root, d), fakePow: false, log: silentLogger, out: () => {} },
        genesis,
      )
    const p1 = await start({
      datadir: join(root, 'p1'),
      bootnodes: [m.multiaddrs[0] as string],
      minSyncPeers: 1,
    })
    await waitFor('p1 connected', () => p1.pm.peerCount === 1 && m.pm.peerCount === 1)
    const p2 = await start({ datadir: join(root, 'p2'), http: { port: 0 }, minSyncPeers: 1 })
    // admin_addPeer reports the refused dial as an error, and keeps redialing it
    await expect(rpcCall(p2.rpcUrl as string, 'admin_addPeer', [m.enode])).rejects.toThrow(
      /dial failed/,
    )
    await new Promise((r) => setTimeout(r, 1500))
    expect(m.pm.peerCount).toBe(1)
    expect(p2.pm.peerCount).toBe(0)
    await p1.stop()
    await waitFor('p2 in over RLPx', () => p2.pm.peerCount === 1 && m.pm.peerCount === 1, 20_000)
    expect(m.pm.peerInfos().map((p) => [p.transport, p.inbound])).toEqual([['rlpx', true]])
    // adding it again reports the live connection instead of dialing twice
    expect(await rpcCall(p2.rpcUrl as string, 'admin_addPeer', [m.enode])).toBe(true)
    expect(p2.pm.peerCount).toBe(1)
    await waitFor(
      'p2 synced',
      () => p2.chain.currentHeader().number >= m.chain.currentHeader().number - 1n,
    )
  }, 60_000)

  it('a node that follows by announcements alone (no sync) starts accepting transactions', async () => {
    // both start with the same block 1 (made by devchain, then copied), so f is never behind
    const ctx = (d: string) => ({ datadir: d, fakePow: false, log: silentLogger, out: () => {} })
    await devchainCommand(ctx(join(root, 'ann-m')), 1)
    cpSync(join(root, 'ann-m', 'chaindata'), join(root, 'ann-f', 'chaindata'), { recursive: true })
    const m = await start({ datadir: join(root, 'ann-m'), dev: { periodSeconds: 1 } })
    // never syncs: too few peers for a sync on arrival, no forced sync in the test's lifetime
    const f = await start({
      datadir: join(root, 'ann-f'),
      bootnodes: [m.multiaddrs[0] as string],
      minSyncPeers: 100,
      syncIntervalMs: 3_600_000,
    })
    let synced = false
    f.pm.on('sync:start', () => {
      synced = true
    })
    expect(f.pm.acceptTxs).toBe(false)
    // new blocks arrive by NewBlock / NewBlockHashes and go in through the block fetcher
    await waitFor('f follows m', () => f.chain.currentHeader().number >= 2n, 20_000)
    expect(synced).toBe(false)
    expect(f.pm.acceptTxs).toBe(true)
  }, 60_000)
})
