import { describe, expect, it } from 'vitest'
import { attachNode } from '../../src/metrics/attach.js'
import { instrumentConnection } from '../../src/metrics/connection.js'
import { maxLabelValues } from '../../src/metrics/constants.js'
import { createMetrics } from '../../src/metrics/registry.js'
import { instrumentRpcMethods } from '../../src/metrics/rpc.js'
import {
  FakeChain,
  FakePool,
  FakeProtocolManager,
  parsePrometheusText,
  sampleValue,
} from '../../src/metrics/testing.js'

const scrape = async (m: ReturnType<typeof createMetrics>) => parsePrometheusText(await m.scrape())

describe('createMetrics', () => {
  it('counts messages and bytes per direction and code, with the eth message name', async () => {
    const m = createMetrics({ processMetrics: false })
    m.observeMessage('in', 0x04, 100)
    m.observeMessage('in', 0x04, 50)
    m.observeMessage('out', 0x03, 12)
    m.observeMessage('in', 0x1c, 7) // no such message: own code, name unknown
    m.observeMessage('in', 0x20, 9) // beyond the tracked codes
    m.observeMessage('out', -1, 1)
    const p = await scrape(m)
    const inHeaders = { direction: 'in', code: '0x04', name: 'BlockHeaders' }
    expect(sampleValue(p, 'ethwire_messages_total', inHeaders)).toBe(2)
    expect(sampleValue(p, 'ethwire_message_bytes_total', inHeaders)).toBe(150)
    expect(
      sampleValue(p, 'ethwire_messages_total', {
        direction: 'out',
        code: '0x03',
        name: 'GetBlockHeaders',
      }),
    ).toBe(1)
    expect(sampleValue(p, 'ethwire_messages_total', { code: '0x1c', name: 'unknown' })).toBe(1)
    expect(sampleValue(p, 'ethwire_message_bytes_total', { direction: 'in', code: 'other' })).toBe(
      9,
    )
    expect(sampleValue(p, 'ethwire_messages_total', { direction: 'out', code: 'other' })).toBe(1)
    // Only the codes seen have series.
    expect(p.samples.filter((s) => s.name === 'ethwire_messages_total')).toHaveLength(5)
    expect(p.types.get('ethwire_messages_total')).toBe('counter')
  })

  it('times requests by kind and counts lost ones', async () => {
    const m = createMetrics({ processMetrics: false })
    m.observeRequest('headers', 0.2, true)
    m.observeRequest('headers', 3, true)
    m.observeRequest('bodies', 0, false)
    const p = await scrape(m)
    expect(sampleValue(p, 'ethwire_request_duration_seconds_count', { kind: 'headers' })).toBe(2)
    expect(sampleValue(p, 'ethwire_request_duration_seconds_sum', { kind: 'headers' })).toBeCloseTo(
      3.2,
    )
    expect(
      sampleValue(p, 'ethwire_request_duration_seconds_bucket', { kind: 'headers', le: '0.25' }),
    ).toBe(1)
    expect(sampleValue(p, 'ethwire_requests_total', { kind: 'headers', result: 'answered' })).toBe(
      2,
    )
    expect(sampleValue(p, 'ethwire_requests_total', { kind: 'bodies', result: 'lost' })).toBe(1)
    expect(sampleValue(p, 'ethwire_request_duration_seconds_count', { kind: 'bodies' })).toBe(
      undefined,
    )
  })

  it('records chain, sync, pool, fetcher and RPC values', async () => {
    const m = createMetrics({ processMetrics: false })
    m.setHead(120n)
    m.reorg(3n)
    m.blocksImported(5, 'fetcher')
    m.blocksImported(0, 'downloader') // nothing imported: no series
    m.blockImport(0.5, 0.3)
    m.setSync({ startingBlock: 100n, currentBlock: 110n, highestBlock: 200n, pulledStates: 7 })
    m.syncFinished(true)
    m.setTxPool({ pending: 4, queued: 2, local: 1 })
    m.fetcherObserver.tx('announce_in', 10)
    m.fetcherObserver.block('announce_drop')
    m.rpcRequest('eth_blockNumber', 0.001, true)
    m.rpcRequest('eth_call', 0.002, false)
    let p = await scrape(m)
    expect(sampleValue(p, 'ethwire_chain_head_block')).toBe(120)
    expect(sampleValue(p, 'ethwire_chain_reorgs_total')).toBe(1)
    expect(sampleValue(p, 'ethwire_chain_reorg_depth_blocks_sum')).toBe(3)
    expect(sampleValue(p, 'ethwire_blocks_imported_total', { source: 'fetcher' })).toBe(5)
    expect(sampleValue(p, 'ethwire_blocks_imported_total', { source: 'downloader' })).toBe(
      undefined,
    )
    expect(sampleValue(p, 'ethwire_block_import_seconds_sum')).toBe(0.5)
    expect(sampleValue(p, 'ethwire_block_execution_seconds_sum')).toBe(0.3)
    expect(sampleValue(p, 'ethwire_syncing')).toBe(1)
    expect(sampleValue(p, 'ethwire_sync_highest_block')).toBe(200)
    expect(sampleValue(p, 'ethwire_sync_pulled_states')).toBe(7)
    expect(sampleValue(p, 'ethwire_sync_rounds_total', { result: 'done' })).toBe(1)
    expect(sampleValue(p, 'ethwire_txpool_local')).toBe(1)
    expect(sampleValue(p, 'ethwire_tx_fetcher_events_total', { event: 'announce_in' })).toBe(10)
    expect(sampleValue(p, 'ethwire_block_fetcher_events_total', { event: 'announce_drop' })).toBe(1)
    expect(
      sampleValue(p, 'ethwire_rpc_requests_total', { method: 'eth_call', result: 'error' }),
    ).toBe(1)
    expect(sampleValue(p, 'ethwire_rpc_request_duration_seconds_count')).toBe(2)
    // Idle again: current and highest follow the head.
    m.setSync(false)
    p = await scrape(m)
    expect(sampleValue(p, 'ethwire_syncing')).toBe(0)
    expect(sampleValue(p, 'ethwire_sync_current_block')).toBe(120)
    expect(sampleValue(p, 'ethwire_sync_highest_block')).toBe(120)
  })

  it('caps label values that come from outside', async () => {
    const m = createMetrics({ processMetrics: false })
    for (let i = 0; i < maxLabelValues + 36; i++) m.peerDropped(`Err${i}`)
    m.peerDropped('Err0')
    const p = await scrape(m)
    const drops = p.samples.filter((s) => s.name === 'ethwire_peers_dropped_total')
    expect(drops).toHaveLength(maxLabelValues + 1)
    expect(sampleValue(p, 'ethwire_peers_dropped_total', { reason: 'other' })).toBe(36)
    expect(sampleValue(p, 'ethwire_peers_dropped_total', { reason: 'Err0' })).toBe(2)
  })

  it('runs samplers for registry.metrics() too, and counts a failing one', async () => {
    const m = createMetrics({ processMetrics: false })
    let pending = 1
    m.onScrape(() => m.setTxPool({ pending, queued: 0 }))
    const off = m.onScrape(() => {
      throw new Error('source broke')
    })
    const first = parsePrometheusText((await m.registry?.metrics()) ?? '')
    expect(sampleValue(first, 'ethwire_txpool_pending')).toBe(1)
    expect(sampleValue(first, 'ethwire_scrape_errors_total')).toBe(1)
    expect(sampleValue(first, 'ethwire_scrape_sources')).toBe(2)
    pending = 9
    off()
    const second = await scrape(m)
    expect(sampleValue(second, 'ethwire_txpool_pending')).toBe(9)
    expect(sampleValue(second, 'ethwire_scrape_errors_total')).toBe(1)
    expect(sampleValue(second, 'ethwire_scrape_sources')).toBe(1)
  })

  it('includes the process metrics (event loop, heap) under the ethwire_ prefix', async () => {
    const m = createMetrics()
    const p = await scrape(m)
    expect(sampleValue(p, 'ethwire_nodejs_heap_size_used_bytes')).toBeGreaterThan(0)
    expect(sampleValue(p, 'ethwire_nodejs_eventloop_lag_p99_seconds')).toBeGreaterThanOrEqual(0)
    expect(sampleValue(p, 'ethwire_messages_total')).toBe(undefined)
    // A second registry shares them instead of failing on duplicate names.
    const again = await scrape(createMetrics())
    expect(sampleValue(again, 'ethwire_nodejs_heap_size_used_bytes')).toBeGreaterThan(0)
  })

  it('close() empties the registry', async () => {
    const m = createMetrics({ processMetrics: false })
    m.observeMessage('in', 1, 1)
    m.close()
    expect(await m.scrape()).toBe('')
    expect((await m.registry?.metrics())?.trim()).toBe('')
  })
})

describe('disabled metrics', () => {
  it('expose nothing, subscribe to nothing and hand the wrapped objects back as they are', async () => {
    const m = createMetrics({ enabled: false })
    expect(m.enabled).toBe(false)
    expect(m.registry).toBe(undefined)
    expect(await m.scrape()).toBe('')
    // Every recording method is one shared empty function: nothing is allocated per call.
    expect(m.observeMessage).toBe(m.observeRequest)
    expect(m.observeMessage.toString()).toMatch(/^\(\) => \{\s*\}$/)
    m.observeMessage('in', 4, 100)
    m.setPeers([{ transport: 'rlpx', version: 68 }])
    m.rpcRequest('eth_call', 1, true)
    expect(await m.scrape()).toBe('')

    const pm = new FakeProtocolManager()
    const chain = new FakeChain()
    const pool = new FakePool()
    const detach = attachNode(m, { pm, chain, txPool: pool })
    expect(pm.listenerCount).toBe(0)
    expect(chain.listenerCount).toBe(0)
    await m.scrape()
    expect(pool.reads).toBe(0)
    detach()

    const conn = { version: 68, readMsg: async () => ({}) as never, writeMsg: async () => {} }
    expect(instrumentConnection(m, conn)).toBe(conn)
    const methods = { eth_chainId: () => '0x1' }
    expect(instrumentRpcMethods(m, methods)).toBe(methods)
    // The same frozen object every time.
    expect(createMetrics({ enabled: false })).toBe(m)
    expect(Object.isFrozen(m)).toBe(true)
  })
})
