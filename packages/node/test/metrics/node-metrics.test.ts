/**
 * `--metrics` on real nodes (issue 17): a `--dev` miner started from the flags `--metrics
 * --metrics.port 0` seals blocks; a joiner with metrics on syncs them over libp2p, follows a new
 * block, gets a transaction broadcast, sees a visitor connect and drop, and answers JSON-RPC. Its
 * scrape endpoint then has every metric name that dashboards/ethwire.grafana.json queries, with
 * values that match what happened; the miner counts its sealed blocks.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { nodeConfigFromFlags, parseArgs } from '../../src/args.js'
import { initCommand } from '../../src/commands.js'
import { silentLogger } from '../../src/log.js'
import { parsePrometheusText } from '../../src/metrics/testing.js'
import { createNode, type EthwireNode } from '../../src/node.js'
import { rpcCall } from '../../src/testing.js'
import { devKeyOf, makeTransfers } from '../e2e/harness.js'

const root = mkdtempSync(join(tmpdir(), 'ethwire-metrics-'))
const running: EthwireNode[] = []

afterAll(async () => {
  for (const n of running.splice(0).reverse()) await n.stop()
  rmSync(root, { recursive: true, force: true })
})

async function waitFor(what: string, f: () => boolean | Promise<boolean>, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs
  while (!(await f())) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

/** Every `ethwire_*` name in the dashboard's queries (panels, nested rows, template variables). */
function dashboardNames(): Set<string> {
  const text = readFileSync(
    new URL('../../../../dashboards/ethwire.grafana.json', import.meta.url),
    'utf8',
  )
  return new Set(text.match(/\bethwire_\w+/g) ?? [])
}

describe('--metrics on a dev node', () => {
  it('the flags turn it on', () => {
    const { flags } = parseArgs(['--dev', '--metrics', '--metrics.port', '0'])
    expect(nodeConfigFromFlags(flags).metrics).toEqual({ host: '127.0.0.1', port: 0 })
    expect(nodeConfigFromFlags(parseArgs(['--dev']).flags).metrics).toBeUndefined()
  })

  it('serves every metric the dashboard uses after blocks, a peer and RPC calls', async () => {
    const { flags } = parseArgs([
      '--dev',
      '--dev.period',
      '3600',
      '--datadir',
      join(root, 'miner'),
      '--port',
      '0',
      '--http.port',
      '0',
      '--metrics',
      '--metrics.port',
      '0',
    ])
    const miner = createNode({
      ...nodeConfigFromFlags(flags),
      logger: silentLogger,
      logIntervalMs: 0,
    })
    await miner.start()
    running.push(miner)
    const url = miner.metricsUrl as string
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\//)
    for (let i = 0; i < 3; i++) await miner.sealBlock()

    // a joiner syncs the blocks over libp2p (messages, timed requests, a connect), then leaves
    const joiner = createNode({
      datadir: join(root, 'joiner'),
      port: 0,
      bootnodes: [miner.multiaddrs[0] as string],
      minSyncPeers: 1,
      http: { port: 0 },
      metrics: { port: 0 },
      logger: silentLogger,
      logIntervalMs: 0,
    })
    // the joiner needs the miner's genesis (a dev datadir keeps it as genesis.json)
    await initCommand(
      { datadir: join(root, 'joiner'), fakePow: false, log: silentLogger, out: () => {} },
      join(root, 'miner', 'genesis.json'),
    )
    await joiner.start()
    running.push(joiner)
    await waitFor('joiner synced', () => joiner.chain.currentHeader().number === 3n, 30_000)
    await miner.sealBlock()
    await waitFor('joiner follows', () => joiner.chain.currentHeader().number === 4n, 30_000)
    // a transaction the miner broadcasts to the joiner (the tx fetcher's counters)
    const [tx] = makeTransfers(1, {
      chainId: 1337n,
      senders: 1,
      keys: [devKeyOf(join(root, 'miner'))],
    })
    await rpcCall(miner.rpcUrl as string, 'eth_sendRawTransaction', [tx!.raw])
    await waitFor(
      'the joiner got the transaction',
      () => joiner.txPool.status().pending === 1,
      30_000,
    )
    // a visitor that connects to the joiner and leaves (a drop)
    await initCommand(
      { datadir: join(root, 'visitor'), fakePow: false, log: silentLogger, out: () => {} },
      join(root, 'miner', 'genesis.json'),
    )
    const visitor = createNode({
      datadir: join(root, 'visitor'),
      port: 0,
      bootnodes: [joiner.multiaddrs[0] as string],
      logger: silentLogger,
      logIntervalMs: 0,
    })
    await visitor.start()
    running.push(visitor)
    await waitFor('the visitor connected', () => joiner.pm.peerCount === 2, 30_000)
    await visitor.stop()
    running.splice(running.indexOf(visitor), 1)
    await waitFor('the visitor dropped', () => joiner.pm.peerCount === 1, 30_000)
    await rpcCall(joiner.rpcUrl as string, 'eth_blockNumber')

    const res = await fetch(joiner.metricsUrl as string)
    expect(res.status).toBe(200)
    const parsed = parsePrometheusText(await res.text())
    const written = new Set(parsed.samples.map((s) => s.name))
    const used = dashboardNames()
    expect(used.size).toBeGreaterThan(30)
    expect([...used].filter((n) => !written.has(n))).toEqual([])
    // and they carry what happened
    const value = (name: string, labels: Record<string, string> = {}) =>
      parsed.samples
        .filter(
          (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
        )
        .reduce((sum, s) => sum + s.value, 0)
    expect(value('ethwire_chain_head_block')).toBe(4)
    expect(value('ethwire_peers')).toBe(1)
    expect(value('ethwire_peer_connects_total')).toBe(2)
    expect(value('ethwire_peers_dropped_total')).toBe(1)
    expect(
      value('ethwire_messages_total', { direction: 'in', name: 'BlockHeaders' }),
    ).toBeGreaterThan(0)
    expect(value('ethwire_requests_total', { result: 'answered' })).toBeGreaterThan(0)
    expect(value('ethwire_tx_fetcher_events_total', { event: 'broadcast_in' })).toBe(1)
    expect(value('ethwire_rpc_requests_total', { method: 'eth_blockNumber' })).toBe(1)

    // the miner's endpoint serves the same names at /metrics too (its own blocks count as sealed)
    const mres = await fetch(url.replace(/\/debug\/metrics\/prometheus$/, '/metrics'))
    const mparsed = parsePrometheusText(await mres.text())
    expect(
      mparsed.samples.find(
        (s) => s.name === 'ethwire_blocks_imported_total' && s.labels.source === 'sealer',
      )?.value,
    ).toBe(4)
  }, 120_000)
})
