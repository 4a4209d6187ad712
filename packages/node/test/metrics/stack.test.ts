/**
 * The metrics against the real stack, as it is today: a protocol manager syncing 40 blocks from
 * another over an in-memory pipe that `instrumentConnection` wraps, its LevelDB chain and a
 * transaction pool. `attachNode` taking them is also the compile-time proof that
 * `ProtocolManager`, `Chain` and `TxPool` fit the source types as they are.
 */
import { buildEmptyBlock, type Chain, createFaker } from '@ethwire/chain'
import { tempChain } from '@ethwire/chain/testing'
import { createProtocolManager, type ProtocolManager } from '@ethwire/protocol-manager'
import { pipePair, waitFor } from '@ethwire/protocol-manager/testing'
import { createTxPool } from '@ethwire/txpool'
import { signTx, testAccount } from '@ethwire/txpool/testing'
import { afterEach, describe, expect, it } from 'vitest'
import { attachNode } from '../../src/metrics/attach.js'
import { instrumentConnection } from '../../src/metrics/connection.js'
import { createMetrics } from '../../src/metrics/registry.js'
import { parsePrometheusText, sampleValue } from '../../src/metrics/testing.js'

const genesis = {
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
  },
  gasLimit: '0x1c9c380',
  difficulty: '0x20000',
  alloc: {},
}

const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => {})
})

async function newChain(): Promise<Chain> {
  const t = await tempChain({ genesis, engine: createFaker() })
  cleanups.push(t.cleanup)
  return t.chain
}

function newManager(chain: Chain): ProtocolManager {
  const pm = createProtocolManager(
    { chain },
    {
      networkId: 1337n,
      forkConfig: { genesisHash: chain.genesis.hash, forksByBlock: [], forksByTime: [] },
      minSyncPeers: 1,
    },
  )
  cleanups.push(() => pm.stop())
  pm.start()
  return pm
}

describe('metrics on the real stack', () => {
  it('counts a sync: peers, messages, request round trips, imports, head, pool', async () => {
    const source = await newChain()
    let parent = source.currentHeader()
    const blocks = []
    for (let i = 0; i < 40; i++) {
      const b = await buildEmptyBlock(source, parent, parent.time + 10n)
      blocks.push(b)
      parent = b.header
    }
    await source.insertChain(blocks)

    const chain = await newChain()
    const txPool = createTxPool({}, { chainId: 1337n })
    const a = newManager(source)
    const b = newManager(chain)
    const metrics = createMetrics({ processMetrics: false })
    const detach = attachNode(metrics, { pm: b, chain, txPool })
    cleanups.push(async () => detach())
    let synced = false
    b.on('sync:done', () => {
      synced = true
    })

    const [ea, eb] = pipePair({ version: 68, idA: 'a', idB: 'b' })
    const done = Promise.all([a.handle(ea), b.handle(instrumentConnection(metrics, eb))])
    await waitFor(() => synced && chain.currentHeader().number === 40n, 20_000, 'B synced')
    await txPool.add(
      signTx(
        {
          type: 0,
          chainId: 1337n,
          nonce: 0n,
          gasPrice: 1_000_000_000n,
          gasLimit: 21_000n,
          to: new Uint8Array(20).fill(0xbb),
          value: 1n,
          data: new Uint8Array(),
        },
        testAccount(1).key,
      ),
    )

    let p = parsePrometheusText(await metrics.scrape())
    expect(sampleValue(p, 'ethwire_peers', { transport: 'pipe', eth: '68' })).toBe(1)
    expect(sampleValue(p, 'ethwire_peer_connects_total', { direction: 'inbound' })).toBe(1)
    expect(sampleValue(p, 'ethwire_chain_head_block')).toBe(40)
    expect(sampleValue(p, 'ethwire_blocks_imported_total', { source: 'downloader' })).toBe(40)
    expect(sampleValue(p, 'ethwire_sync_rounds_total', { result: 'done' })).toBe(1)
    expect(sampleValue(p, 'ethwire_txpool_pending')).toBe(1)
    // Empty blocks: the downloader asks for headers only (no bodies to fetch).
    const answered =
      sampleValue(p, 'ethwire_requests_total', { kind: 'headers', result: 'answered' }) ?? 0
    expect(answered).toBeGreaterThan(0)
    expect(sampleValue(p, 'ethwire_request_duration_seconds_count', { kind: 'headers' })).toBe(
      answered,
    )
    expect(sampleValue(p, 'ethwire_requests_total', { kind: 'bodies' })).toBe(undefined)
    const inHeaders = { direction: 'in', name: 'BlockHeaders' }
    expect(sampleValue(p, 'ethwire_messages_total', inHeaders)).toBeGreaterThan(0)
    expect(sampleValue(p, 'ethwire_message_bytes_total', inHeaders)).toBeGreaterThan(40 * 500)
    expect(sampleValue(p, 'ethwire_messages_total', { direction: 'out', name: 'Status' })).toBe(1)

    await ea.close()
    await done
    p = parsePrometheusText(await metrics.scrape())
    expect(sampleValue(p, 'ethwire_peers')).toBe(undefined)
    expect(sampleValue(p, 'ethwire_peers_dropped_total')).toBe(1)
  })
})
