/**
 * An in-process `--dev` node (createNode) and a second node joining it over libp2p, driven through
 * JSON-RPC with viem's public client — the go-ethereum shapes a standard client expects.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createPublicClient, type Hex, http, parseGwei } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { initCommand } from '../src/commands.js'
import { silentLogger } from '../src/log.js'
import { createNode, type EthwireNode } from '../src/node.js'
import { rpcCall } from '../src/testing.js'
import { devChain } from './helpers/viem-chain.js'

const root = mkdtempSync(join(tmpdir(), 'ethwire-node-'))
let a: EthwireNode
let b: EthwireNode | undefined

async function waitFor<T>(
  what: string,
  f: () => Promise<T> | T,
  timeoutMs = 20_000,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs
  let last: unknown
  while (Date.now() < deadline) {
    try {
      const v = await f()
      if (v) return v as NonNullable<T>
      last = v
    } catch (e) {
      last = e
    }
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error(`timed out waiting for ${what} (last: ${String(last)})`)
}

beforeAll(async () => {
  a = createNode({
    datadir: join(root, 'a'),
    // blocks are sealed by the tests (sealBlock), so what is pending or mined is never a race
    dev: { periodSeconds: 3600 },
    http: { host: '127.0.0.1', port: 0 },
    port: 0,
    logger: silentLogger,
    logIntervalMs: 0,
  })
  await a.start()
})

afterAll(async () => {
  await b?.stop()
  await a?.stop()
  rmSync(root, { recursive: true, force: true })
})

describe('dev node over JSON-RPC (viem)', () => {
  it('answers the basic methods', async () => {
    const client = createPublicClient({ chain: devChain, transport: http(a.rpcUrl) })
    expect(await client.getChainId()).toBe(1337)
    await a.sealBlock()
    await a.sealBlock()
    expect(await client.getBlockNumber()).toBe(2n)
    const latest = await client.getBlock({ blockTag: 'latest' })
    expect(latest.number).toBeGreaterThanOrEqual(2n)
    expect(latest.hash).toMatch(/^0x[0-9a-f]{64}$/)
    expect(latest.transactions).toEqual([])
    expect(latest.baseFeePerGas).toBeTypeOf('bigint')
    // by hash gives the same block; its parent is block n-1
    const byHash = await client.getBlock({ blockHash: latest.hash as Hex })
    expect(byHash.number).toBe(latest.number)
    const parent = await client.getBlock({ blockNumber: (latest.number as bigint) - 1n })
    expect(parent.hash).toBe(latest.parentHash)
    const genesis = await client.getBlock({ blockTag: 'earliest' })
    expect(genesis.number).toBe(0n)
    expect(genesis.hash).toBe(`0x${Buffer.from(a.chain.genesis.hash).toString('hex')}`)
    const pending = await client.getBlock({ blockTag: 'pending' })
    expect(pending.number).toBeGreaterThanOrEqual(latest.number as bigint)
    // clique: the sealer is in extra-data, difficulty 2 (in turn)
    expect(latest.difficulty).toBe(2n)
    expect(latest.totalDifficulty).toBe(1n + 2n * (latest.number as bigint))
    // a block that does not exist is null
    await expect(client.getBlock({ blockNumber: 10n ** 9n })).rejects.toThrow(/could not be found/)

    expect(await client.request({ method: 'net_version' } as never)).toBe('1337')
    expect(await client.request({ method: 'net_listening' } as never)).toBe(true)
    expect(await client.request({ method: 'net_peerCount' } as never)).toBe('0x0')
    expect(await client.request({ method: 'web3_clientVersion' } as never)).toMatch(/^ethwire\/v/)
    expect(await client.request({ method: 'eth_syncing' } as never)).toBe(false)
    const stats = (await client.request({ method: 'debug_wireStats' } as never)) as Record<
      string,
      number
    >
    expect(stats).toMatchObject({ peers: 0, bytesReceived: 0, newBlockReceived: 0 })
    expect(stats.head).toBeGreaterThanOrEqual(2)
  })

  it('takes a raw transaction into the pool and serves it back', async () => {
    const client = createPublicClient({ chain: devChain, transport: http(a.rpcUrl) })
    const key = `0x${readFileSync(join(root, 'a', 'dev-signer-key'), 'utf8').trim()}` as Hex
    const account = privateKeyToAccount(key)
    const to = '0x000000000000000000000000000000000000dead'
    const raw = await account.signTransaction({
      chainId: 1337,
      type: 'eip1559',
      nonce: 0,
      to,
      value: 12345n,
      gas: 21_000n,
      maxFeePerGas: parseGwei('2'),
      maxPriorityFeePerGas: parseGwei('1'),
    })
    const hash = await client.sendRawTransaction({ serializedTransaction: raw })
    const tx = await client.getTransaction({ hash })
    expect(tx.from.toLowerCase()).toBe(account.address.toLowerCase())
    expect(tx.to).toBe(to)
    expect(tx.value).toBe(12345n)
    expect(tx.nonce).toBe(0)
    expect(tx.type).toBe('eip1559')
    expect(tx.blockNumber).toBeNull()
    expect(await client.request({ method: 'txpool_status' } as never)).toEqual({
      pending: '0x1',
      queued: '0x0',
    })
    const content = (await client.request({ method: 'txpool_content' } as never)) as {
      pending: Record<string, Record<string, { hash: string }>>
    }
    // senders are checksummed, as go-ethereum's
    expect(content.pending[account.address]?.['0']?.hash).toBe(hash)
    // the same again is refused by the pool, as a JSON-RPC error
    await expect(client.sendRawTransaction({ serializedTransaction: raw })).rejects.toThrow(
      /already known/,
    )
    // mined: found in its block, with a successful receipt; sending it again is a nonce too low
    const block = await a.sealBlock()
    expect(block.transactions.map((t) => `0x${Buffer.from(t.hash).toString('hex')}`)).toEqual([
      hash,
    ])
    const mined = await client.getTransaction({ hash })
    expect(mined.blockNumber).toBe(block.header.number)
    const receipt = await client.getTransactionReceipt({ hash })
    expect(receipt).toMatchObject({
      status: 'success',
      gasUsed: 21_000n,
      from: account.address.toLowerCase(),
    })
    expect(await client.getBalance({ address: to })).toBe(12345n)
    expect(await client.request({ method: 'txpool_status' } as never)).toEqual({
      pending: '0x0',
      queued: '0x0',
    })
    await expect(client.sendRawTransaction({ serializedTransaction: raw })).rejects.toThrow(
      /nonce too low: next nonce 1, tx nonce 0/,
    )
    // unknown hash → null
    expect(
      await rpcCall(a.rpcUrl as string, 'eth_getTransactionByHash', [`0x${'11'.repeat(32)}`]),
    ).toBeNull()
  })

  it('bad params are JSON-RPC errors', async () => {
    const url = a.rpcUrl as string
    await expect(rpcCall(url, 'eth_getBlockByNumber', ['0x01', false])).rejects.toMatchObject({
      rpcCode: -32602,
    })
    await expect(rpcCall(url, 'eth_getBlockByNumber', [])).rejects.toMatchObject({
      rpcCode: -32602,
    })
    await expect(rpcCall(url, 'eth_getBlockByHash', ['0x1234', false])).rejects.toMatchObject({
      rpcCode: -32602,
    })
    await expect(rpcCall(url, 'eth_sendRawTransaction', ['0xzz'])).rejects.toMatchObject({
      rpcCode: -32602,
    })
    await expect(rpcCall(url, 'eth_sendRawTransaction', ['0x0102'])).rejects.toMatchObject({
      rpcCode: -32000,
    })
    await expect(rpcCall(url, 'admin_addPeer', ['not-an-address'])).rejects.toMatchObject({
      rpcCode: -32602,
    })
    await expect(rpcCall(url, 'eth_nope', [])).rejects.toMatchObject({ rpcCode: -32601 })
  })

  it('a second node joins with --bootnodes, syncs and follows new blocks', async () => {
    const genesis = join(root, 'genesis.json')
    const { writeFileSync } = await import('node:fs')
    writeFileSync(genesis, readFileSync(join(root, 'a', 'genesis.json')))
    await initCommand(
      { datadir: join(root, 'b'), fakePow: false, log: silentLogger, out: () => {} },
      genesis,
    )
    const info = (await rpcCall(a.rpcUrl as string, 'admin_nodeInfo')) as {
      listenAddrs: string[]
      protocols: { eth: { network: number; genesis: string; head: string } }
    }
    expect(info.listenAddrs.length).toBeGreaterThan(0)
    expect(info.protocols.eth.network).toBe(1337)
    b = createNode({
      datadir: join(root, 'b'),
      http: { host: '127.0.0.1', port: 0 },
      port: 0,
      bootnodes: info.listenAddrs,
      minSyncPeers: 1,
      syncIntervalMs: 1000,
      logger: silentLogger,
      logIntervalMs: 0,
    })
    await b.start()
    const nb = b
    await waitFor('b has a peer', () => nb.pm.peerCount === 1)
    const peers = (await rpcCall(nb.rpcUrl as string, 'admin_peers')) as Array<{
      protocols: { eth: { version: number } }
    }>
    expect(peers).toHaveLength(1)
    expect(peers[0]?.protocols.eth.version).toBe(68)
    expect(await rpcCall(a.rpcUrl as string, 'net_peerCount')).toBe('0x1')
    // b catches up and then follows blocks a seals later
    await waitFor(
      'b synced',
      () => nb.chain.currentHeader().number === a.chain.currentHeader().number,
    )
    await a.sealBlock()
    await a.sealBlock()
    const target = a.chain.currentHeader().number
    await waitFor('b reaches a later head', () => nb.chain.currentHeader().number >= target, 20_000)
    const n = nb.chain.currentHeader().number
    const ha = await a.chain.getCanonicalHash(n)
    const hb = await nb.chain.getCanonicalHash(n)
    expect(Buffer.from(hb as Uint8Array).equals(Buffer.from(ha as Uint8Array))).toBe(true)
    // b accepts transactions once synced (so the one sent before it joined is not re-sent, as in
    // go-ethereum); a new one sent to a now is broadcast to b
    await waitFor('b accepts transactions', () => nb.pm.acceptTxs)
    const key = `0x${readFileSync(join(root, 'a', 'dev-signer-key'), 'utf8').trim()}` as Hex
    const raw = await privateKeyToAccount(key).signTransaction({
      chainId: 1337,
      type: 'eip1559',
      nonce: 1,
      to: '0x000000000000000000000000000000000000beef',
      value: 1n,
      gas: 21_000n,
      maxFeePerGas: parseGwei('2'),
      maxPriorityFeePerGas: parseGwei('1'),
    })
    const hash = (await rpcCall(a.rpcUrl as string, 'eth_sendRawTransaction', [raw])) as string
    await waitFor('b has the new tx', () => nb.txPool.has(hash), 15_000)
    const seen = (await rpcCall(nb.rpcUrl as string, 'eth_getTransactionByHash', [hash])) as {
      hash: string
      nonce: string
    }
    expect(seen).toMatchObject({ hash, nonce: '0x1' })
  }, 60_000)
})
