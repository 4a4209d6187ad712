import { describe, expect, it } from 'vitest'
import {
  attachChain,
  attachNode,
  attachProtocolManager,
  attachTxPool,
} from '../../src/metrics/attach.js'
import { createMetrics } from '../../src/metrics/registry.js'
import {
  FakeChain,
  FakePool,
  FakeProtocolManager,
  parsePrometheusText,
  sampleValue,
} from '../../src/metrics/testing.js'

const scrape = async (m: ReturnType<typeof createMetrics>) => parsePrometheusText(await m.scrape())

describe('attachProtocolManager', () => {
  it('counts peers, connects, drops, imports and sync rounds from the events', async () => {
    const m = createMetrics({ processMetrics: false })
    const pm = new FakeProtocolManager()
    const detach = attachProtocolManager(m, pm)
    const a = { transport: 'rlpx', version: 68, inbound: true }
    const b = { transport: 'libp2p', version: 69 }
    const c = { transport: 'rlpx', version: 68 }
    pm.peers = [a, b, c]
    pm.emit('peer:added', a)
    pm.emit('peer:added', b)
    pm.emit('peer:added', c)
    let p = await scrape(m)
    expect(sampleValue(p, 'ethwire_peers', { transport: 'rlpx', eth: '68' })).toBe(2)
    expect(sampleValue(p, 'ethwire_peers', { transport: 'libp2p', eth: '69' })).toBe(1)
    expect(
      sampleValue(p, 'ethwire_peer_connects_total', { transport: 'rlpx', direction: 'inbound' }),
    ).toBe(1)
    expect(sampleValue(p, 'ethwire_peer_connects_total')).toBe(3)

    pm.peers = [a]
    pm.emit('peer:removed', { ...b, error: 'ErrBadPeer' })
    pm.emit('peer:removed', c)
    pm.emit('block:imported', { count: 3, source: 'fetcher' })
    pm.emit('block:imported', { count: 64, source: 'downloader' })
    pm.emit('sync:done', {})
    pm.emit('sync:failed', {})
    p = await scrape(m)
    // The gauge is read from peerInfos(): a series whose peers left is gone, not 0.
    expect(sampleValue(p, 'ethwire_peers', { transport: 'rlpx', eth: '68' })).toBe(1)
    expect(sampleValue(p, 'ethwire_peers', { transport: 'libp2p' })).toBe(undefined)
    expect(sampleValue(p, 'ethwire_peers_dropped_total', { reason: 'ErrBadPeer' })).toBe(1)
    expect(sampleValue(p, 'ethwire_peers_dropped_total', { reason: 'closed' })).toBe(1)
    expect(sampleValue(p, 'ethwire_blocks_imported_total', { source: 'downloader' })).toBe(64)
    expect(sampleValue(p, 'ethwire_sync_rounds_total', { result: 'failed' })).toBe(1)

    detach()
    expect(pm.listenerCount).toBe(0)
    pm.emit('block:imported', { count: 1000, source: 'fetcher' })
    pm.peers = []
    p = await scrape(m)
    expect(sampleValue(p, 'ethwire_blocks_imported_total', { source: 'fetcher' })).toBe(3)
    expect(sampleValue(p, 'ethwire_peers')).toBe(1) // no longer sampled
    expect(sampleValue(p, 'ethwire_scrape_sources')).toBe(0)
  })

  it('reads sync progress and fetcher state at each scrape', async () => {
    const m = createMetrics({ processMetrics: false })
    const pm = new FakeProtocolManager()
    attachProtocolManager(m, pm)
    pm.sync = { startingBlock: 10n, currentBlock: 50n, highestBlock: 900n }
    pm.downloaderProgress = { ...pm.sync, pulledStates: 1234, knownStates: 5000 }
    pm.blockFetcherStats = { ...pm.blockFetcherStats, announced: 4, importing: 1 }
    pm.txFetcherStats = { waiting: 7, queued: 3, fetching: 2, requests: 1 }
    const p = await scrape(m)
    expect(sampleValue(p, 'ethwire_syncing')).toBe(1)
    expect(sampleValue(p, 'ethwire_sync_starting_block')).toBe(10)
    expect(sampleValue(p, 'ethwire_sync_current_block')).toBe(50)
    expect(sampleValue(p, 'ethwire_sync_highest_block')).toBe(900)
    expect(sampleValue(p, 'ethwire_sync_pulled_states')).toBe(1234)
    expect(sampleValue(p, 'ethwire_sync_known_states')).toBe(5000)
    expect(sampleValue(p, 'ethwire_block_fetcher_hashes', { state: 'announced' })).toBe(4)
    expect(sampleValue(p, 'ethwire_block_fetcher_hashes', { state: 'importing' })).toBe(1)
    expect(sampleValue(p, 'ethwire_tx_fetcher_hashes', { state: 'waiting' })).toBe(7)
    expect(sampleValue(p, 'ethwire_tx_fetcher_requests')).toBe(1)
  })

  it('turns the cumulative pm stats into fetcher counters, by what grew since the last scrape', async () => {
    const m = createMetrics({ processMetrics: false })
    const pm = new FakeProtocolManager()
    attachProtocolManager(m, pm)
    pm.pmStats = { txHashesAnnounced: 100, txHashesAnnouncedKnown: 40, newBlockReceived: 2 }
    let p = await scrape(m)
    expect(sampleValue(p, 'ethwire_tx_fetcher_events_total', { event: 'announce_in' })).toBe(100)
    expect(sampleValue(p, 'ethwire_tx_fetcher_events_total', { event: 'announce_known' })).toBe(40)
    expect(sampleValue(p, 'ethwire_block_fetcher_events_total', { event: 'broadcast_in' })).toBe(2)
    pm.pmStats = { txHashesAnnounced: 130, txHashesAnnouncedKnown: 40, newBlockReceived: 2 }
    m.fetcherObserver.tx('request_out', 5) // the observer and the stats share the counter
    p = await scrape(m)
    expect(sampleValue(p, 'ethwire_tx_fetcher_events_total', { event: 'announce_in' })).toBe(130)
    expect(sampleValue(p, 'ethwire_tx_fetcher_events_total', { event: 'request_out' })).toBe(5)
    // The source restarted from zero: what it counted since then is added, nothing goes back.
    pm.pmStats = { txHashesAnnounced: 6 }
    p = await scrape(m)
    expect(sampleValue(p, 'ethwire_tx_fetcher_events_total', { event: 'announce_in' })).toBe(136)
  })

  it('leaves the fetcher counters to the observer when told so', async () => {
    const m = createMetrics({ processMetrics: false })
    const pm = new FakeProtocolManager()
    attachProtocolManager(m, pm, { fetcherCountersFromStats: false })
    pm.pmStats = { txHashesAnnounced: 100 }
    m.fetcherObserver.tx('announce_in', 3)
    const p = await scrape(m)
    expect(sampleValue(p, 'ethwire_tx_fetcher_events_total', { event: 'announce_in' })).toBe(3)
  })
})

describe('attachChain', () => {
  it('sets the head at attach and on head events, counts reorgs and times imports', async () => {
    const m = createMetrics({ processMetrics: false })
    const chain = new FakeChain()
    chain.head = { number: 41n }
    const detach = attachChain(m, chain)
    let p = await scrape(m)
    expect(sampleValue(p, 'ethwire_chain_head_block')).toBe(41)
    chain.emit({ type: 'block', canonical: true })
    chain.emit({ type: 'head', header: { number: 42n } })
    chain.emit({ type: 'reorg', oldHead: { number: 45n }, newHead: { number: 46n }, ancestor: 40n })
    chain.emit({ type: 'import', blocks: 10, elapsedMs: 250, executionMs: 200 })
    chain.emit({ type: 'import', blocks: 5, elapsedMs: 40 }) // a receipt-chain batch: no execution
    p = await scrape(m)
    expect(sampleValue(p, 'ethwire_chain_head_block')).toBe(42)
    expect(sampleValue(p, 'ethwire_chain_reorgs_total')).toBe(1)
    expect(sampleValue(p, 'ethwire_chain_reorg_depth_blocks_sum')).toBe(5)
    expect(sampleValue(p, 'ethwire_block_import_seconds_count')).toBe(2)
    expect(sampleValue(p, 'ethwire_block_import_seconds_sum')).toBeCloseTo(0.29)
    expect(sampleValue(p, 'ethwire_block_execution_seconds_count')).toBe(1)
    expect(sampleValue(p, 'ethwire_block_execution_seconds_sum')).toBeCloseTo(0.2)
    detach()
    expect(chain.listenerCount).toBe(0)
  })
})

describe('attachTxPool', () => {
  it('reads stats() at each scrape, or status() when the pool has only that', async () => {
    const m = createMetrics({ processMetrics: false })
    const pool = new FakePool()
    pool.sizes = { pending: 12, queued: 3, local: 2 }
    const detach = attachTxPool(m, pool)
    let p = await scrape(m)
    expect(sampleValue(p, 'ethwire_txpool_pending')).toBe(12)
    expect(sampleValue(p, 'ethwire_txpool_queued')).toBe(3)
    expect(sampleValue(p, 'ethwire_txpool_local')).toBe(2)
    detach()

    // Today's @ethwire/txpool: status() with pending and queued only.
    attachTxPool(m, { status: () => ({ pending: 1, queued: 0 }) })
    p = await scrape(m)
    expect(sampleValue(p, 'ethwire_txpool_pending')).toBe(1)
    expect(sampleValue(p, 'ethwire_txpool_local')).toBe(2) // not reported: left as it was
  })
})

describe('attachNode', () => {
  it('attaches every source given and detaches them together', async () => {
    const m = createMetrics({ processMetrics: false })
    const pm = new FakeProtocolManager()
    const chain = new FakeChain()
    const pool = new FakePool()
    const detach = attachNode(m, { pm, chain, txPool: pool })
    expect(pm.listenerCount).toBeGreaterThan(0)
    expect(chain.listenerCount).toBe(1)
    await m.scrape()
    expect(pool.reads).toBe(1)
    detach()
    expect(pm.listenerCount).toBe(0)
    expect(chain.listenerCount).toBe(0)
    await m.scrape()
    expect(pool.reads).toBe(1)
  })
})
