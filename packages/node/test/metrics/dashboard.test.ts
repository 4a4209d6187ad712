/**
 * The Grafana dashboard cannot drift from the registry: every `ethwire_*` name in its queries must
 * be a sample the registry writes once the attach functions and wrappers ran against fake sources.
 */
import { readFileSync } from 'node:fs'
import { FakeClock } from '@ethwire/interface/testing'
import { encodeMessage } from '@ethwire/rlp-wire'
import { msgPipe } from '@ethwire/rlp-wire/testing'
import { describe, expect, it } from 'vitest'
import { attachNode } from '../../src/metrics/attach.js'
import { instrumentConnection } from '../../src/metrics/connection.js'
import { createMetrics } from '../../src/metrics/registry.js'
import { instrumentRpcMethods } from '../../src/metrics/rpc.js'
import {
  FakeChain,
  FakePool,
  FakeProtocolManager,
  parsePrometheusText,
} from '../../src/metrics/testing.js'

interface Panel {
  type: string
  title: string
  targets?: { expr: string }[]
  panels?: Panel[]
}
interface Dashboard {
  uid: string
  title: string
  panels: Panel[]
  templating: { list: { query?: unknown; definition?: string }[] }
}

const dashboard = JSON.parse(
  readFileSync(new URL('../../../../dashboards/ethwire.grafana.json', import.meta.url), 'utf8'),
) as Dashboard

function allPanels(panels: readonly Panel[]): Panel[] {
  return panels.flatMap((p) => [p, ...allPanels(p.panels ?? [])])
}

/** Every expression of the dashboard: panel targets and template variable queries. */
function expressions(d: Dashboard): string[] {
  const out: string[] = []
  for (const p of allPanels(d.panels)) for (const t of p.targets ?? []) out.push(t.expr)
  for (const v of d.templating.list) {
    if (typeof v.definition === 'string') out.push(v.definition)
    if (typeof v.query === 'object' && v.query !== null)
      out.push(String((v.query as { query?: unknown }).query ?? ''))
  }
  return out
}

/** A registry after every source it reads from did something. */
async function exercisedOutput(): Promise<string> {
  const clock = new FakeClock()
  const metrics = createMetrics({ clock })
  const pm = new FakeProtocolManager()
  const chain = new FakeChain()
  const pool = new FakePool()
  attachNode(metrics, { pm, chain, txPool: pool })

  const peer = { transport: 'rlpx', version: 68, inbound: true }
  pm.peers = [peer]
  pm.emit('peer:added', peer)
  pm.emit('peer:removed', { ...peer, error: 'ErrBadPeer' })
  pm.emit('block:imported', { count: 2, source: 'fetcher' })
  pm.emit('sync:done', {})
  pm.sync = { startingBlock: 1n, currentBlock: 2n, highestBlock: 3n }
  pm.downloaderProgress = { ...pm.sync, pulledStates: 10, knownStates: 20 }
  pm.pmStats = { txHashesAnnounced: 5, newBlockHashesReceived: 1 }
  chain.emit({ type: 'head', header: { number: 3n } })
  chain.emit({ type: 'reorg', oldHead: { number: 3n }, newHead: { number: 4n }, ancestor: 2n })
  chain.emit({ type: 'import', blocks: 2, elapsedMs: 30, executionMs: 20 })
  pool.sizes = { pending: 1, queued: 1, local: 1 }

  const [ours, theirs] = msgPipe({ version: 68 })
  const conn = instrumentConnection(metrics, ours)
  const req = encodeMessage(68, {
    name: 'GetBlockHeaders',
    requestId: 1n,
    request: { origin: { number: 1n }, amount: 1n, skip: 0n, reverse: false },
  })
  await conn.writeMsg(req.code, req.payload)
  clock.tick(20)
  const res = encodeMessage(68, { name: 'BlockHeaders', requestId: 1n, headers: [] })
  await theirs.writeMsg(res.code, res.payload)
  await conn.readMsg()

  const rpc = instrumentRpcMethods(metrics, {
    eth_blockNumber: () => '0x3',
  })
  await rpc.eth_blockNumber?.([])
  return metrics.scrape()
}

describe('dashboards/ethwire.grafana.json', () => {
  it('is a dashboard whose every panel queries ethwire_ metrics', () => {
    expect(dashboard.uid).toBe('ethwire-node')
    const graphs = allPanels(dashboard.panels).filter((p) => p.type !== 'row')
    expect(graphs.length).toBeGreaterThanOrEqual(20)
    for (const p of graphs) {
      expect(p.targets?.length, p.title).toBeGreaterThan(0)
      for (const t of p.targets ?? []) expect(t.expr, p.title).toMatch(/ethwire_/)
    }
    const titles = graphs.map((p) => p.title.toLowerCase()).join(' | ')
    for (const topic of [
      'peers',
      'messages',
      'bytes',
      'request latency',
      'drops',
      'head',
      'sync progress',
      'blocks imported',
      'import time',
      'tx pool',
      'fetcher',
      'rpc',
      'event-loop lag',
      'memory',
    ])
      expect(titles).toContain(topic)
  })

  it('uses only metric names the registry writes', async () => {
    const parsed = parsePrometheusText(await exercisedOutput())
    const written = new Set(parsed.samples.map((s) => s.name))
    const used = new Set(expressions(dashboard).flatMap((e) => e.match(/\bethwire_\w+/g) ?? []))
    expect(used.size).toBeGreaterThan(30)
    const missing = [...used].filter((name) => !written.has(name))
    expect(missing).toEqual([])
  })
})
