/**
 * Discovery end to end (issue 15): six in-process nodes on 127.0.0.1 whose only bootnode is a bare
 * discv4 service (no RLPx, no eth) fill their peer slots over RLPx through discovery alone (no
 * static peers: every peer is `discv4` or `inbound` in admin_peers); our record carries the eth
 * fork id; a node restarted without any bootnode (the bootnode stopped) finds peers again from the
 * table persisted in its datadir. Fast refresh and dial-history options keep it to seconds; every
 * wait is bounded.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomPrivateKey } from '@ethwire/crypto'
import { createDiscv4, type Discv4, Enr } from '@ethwire/discv4'
import { afterAll, describe, expect, it } from 'vitest'
import { initCommand } from '../src/commands.js'
import { silentLogger } from '../src/log.js'
import { createNode, type EthwireNode, type NodeConfig } from '../src/node.js'
import { rpcCall } from '../src/testing.js'

const fx = (f: string) => join(import.meta.dirname, 'fixtures', f)
const root = mkdtempSync(join(tmpdir(), 'ethwire-disc-'))
const ctx = (datadir: string) => ({ datadir, fakePow: false, log: silentLogger, out: () => {} })
const running: EthwireNode[] = []
let boot: Discv4 | undefined

afterAll(async () => {
  for (const n of running.splice(0).reverse()) await n.stop()
  await boot?.stop()
  rmSync(root, { recursive: true, force: true })
})

async function waitFor(
  what: string,
  f: () => boolean | Promise<boolean>,
  timeoutMs: number,
  state: () => unknown = () => '',
) {
  const deadline = Date.now() + timeoutMs
  while (!(await f())) {
    if (Date.now() > deadline)
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}: ${JSON.stringify(state())}`,
      )
    await new Promise((r) => setTimeout(r, 200))
  }
}

type PeerJson = { id: string; network: { transport: string; howFound: string; inbound: boolean } }
const peersOf = async (n: EthwireNode) =>
  (await rpcCall(n.rpcUrl as string, 'admin_peers')) as PeerJson[]

/** What a failed wait shows of a node: peers, table, dialer counters. */
const describeNode = (n: EthwireNode) => ({
  peers: n.pm.peerCount,
  table: n.discovery.discv4?.tableSize,
  dialer: n.discovery.dialer?.stats,
})

const N = 6
/** Every other node: the only stable end is the full mesh, so each fills all its slots. */
const maxPeers = N - 1

function nodeConfig(name: string, bootnodes: string[]): NodeConfig {
  return {
    datadir: join(root, name),
    port: 0,
    rlpxPort: 0,
    http: { port: 0 },
    bootnodes,
    maxPeers,
    // every slot may be dialed, so six nodes fill theirs from discovery alone
    dialRatio: 1,
    discoveryTiming: {
      refreshIntervalMs: 1_000,
      revalidationIntervalMs: 500,
      dialHistoryExpirationMs: 1_000,
      dialRecheckIntervalMs: 500,
    },
    logger: silentLogger,
    logIntervalMs: 0,
  }
}

describe('discovery', () => {
  it(`${N} nodes with only a discv4 bootnode fill their slots; a restart finds peers from the table`, async () => {
    boot = createDiscv4(
      {},
      { privateKey: randomPrivateKey(), listen: { host: '127.0.0.1', port: 0 } },
    )
    await boot.start()
    const nodes: EthwireNode[] = []
    for (let i = 0; i < N; i++) {
      await initCommand(ctx(join(root, `n${i}`)), fx('genesis.json'))
      const n = createNode(nodeConfig(`n${i}`, [boot.enode]))
      await n.start()
      running.push(n)
      nodes.push(n)
    }
    // our record: the RLPx port and the eth fork id of our head
    const info = (await rpcCall(nodes[0]!.rpcUrl as string, 'admin_nodeInfo')) as {
      enr: string
      ports: { discovery: number; listener: number }
    }
    const enr = Enr.fromText(info.enr)
    expect(enr.tcp).toBe(info.ports.listener)
    expect(enr.udp).toBe(info.ports.discovery)
    expect(info.ports.discovery).toBe(info.ports.listener) // default: the RLPx port
    expect(enr.ethForkId).toBeDefined()

    // every node fills its slots (all the others), none of them static
    await waitFor(
      `every node has ${maxPeers} peers`,
      () => nodes.every((n) => n.pm.peerCount === maxPeers),
      60_000,
      () => nodes.map(describeNode),
    )
    const ids = new Set(nodes.map((n) => n.rlpx?.nodeId))
    for (const n of nodes) {
      const peers = await peersOf(n)
      expect(peers.length).toBe(maxPeers)
      for (const p of peers) {
        expect(p.network.transport).toBe('rlpx')
        expect(ids.has(p.id)).toBe(true)
        expect(p.network.howFound).toBe(p.network.inbound ? 'inbound' : 'discv4')
      }
    }

    // restart node 0 without bootnodes, the bootnode gone: its persisted table finds the others
    const first = nodes[0]!
    await first.stop()
    running.splice(running.indexOf(first), 1)
    expect(existsSync(join(root, 'n0', 'nodes', 'discv4-nodes.json'))).toBe(true)
    await boot.stop()
    boot = undefined
    const again = createNode(nodeConfig('n0', []))
    await again.start()
    running.push(again)
    await waitFor(
      'the restarted node has a peer',
      () => again.pm.peerCount >= 1,
      60_000,
      () => describeNode(again),
    )
    const peers = await peersOf(again)
    expect(peers.some((p) => p.network.howFound === 'discv4')).toBe(true)
  }, 180_000)
})
