/**
 * A loopback network on real sockets: 20 services, node 0 the only bootnode. Every node must
 * find at least 15 others; a node restarted from its data directory, without bootnodes, must
 * find them again. Waits are on events/conditions with generous bounds (a loaded 2-core box).
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createDiscv4, type Discv4 } from '../src/index.js'
import { startLoopbackNetwork, testKey, waitFor } from '../src/testing.js'

const count = 20
const want = 15
let net: Awaited<ReturnType<typeof startLoopbackNetwork>>
let dir: string
const restartIndex = 7

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'discv4-net-'))
  net = await startLoopbackNetwork({
    count,
    keyOffset: 100,
    options: (i) => (i === restartIndex ? { dataDir: dir } : {}),
  })
})

afterAll(async () => {
  await net?.stop()
  await rm(dir, { recursive: true, force: true })
})

describe('loopback network of 20', () => {
  it(`every node finds at least ${want} others`, async () => {
    const lacking = () => net.nodes.filter((n) => n.tableSize < want)
    await waitFor(() => lacking().length === 0, `${want} nodes in every table`, {
      timeoutMs: 90_000,
    })
    for (const n of net.nodes) expect(n.tableSize).toBeGreaterThanOrEqual(want)
  }, 120_000)

  it('a node restarted from its data directory finds them again without the bootnode', async () => {
    const old = net.nodes[restartIndex]!
    await old.stop()
    const again: Discv4 = createDiscv4(
      {},
      {
        privateKey: testKey(100 + restartIndex),
        listen: { host: '127.0.0.1', port: 0 },
        tcpPort: 30303,
        dataDir: dir,
      },
    )
    net.nodes[restartIndex] = again
    await again.start()
    await waitFor(() => again.tableSize >= want, `${want} nodes after the restart`, {
      timeoutMs: 90_000,
    })
    // Its record moved to the new port, so its seq went up.
    expect(again.localEnr.seq).toBeGreaterThan(old.localEnr.seq)
    // It really talked to them: lookups from the restarted node find nodes it did not seed.
    const found = await again.lookup()
    expect(found.length).toBeGreaterThan(0)
  }, 120_000)
})

describe('IPv6', () => {
  it('two services on ::1 find each other; records carry ip6/udp6/tcp6', async (ctx) => {
    const a = createDiscv4(
      {},
      { privateKey: testKey(600), listen: { host: '::1', port: 0 }, tcpPort: 30303 },
    )
    try {
      await a.start()
    } catch (err) {
      // Containers without IPv6 cannot bind ::1; nothing to test there.
      if ((err as { code?: string }).code === 'EADDRNOTAVAIL') return ctx.skip()
      throw err
    }
    const b = createDiscv4(
      {},
      {
        privateKey: testKey(601),
        listen: { host: '::1', port: 0 },
        tcpPort: 30303,
        bootnodes: [a.enode],
      },
    )
    try {
      await b.start()
      expect(a.enode).toContain('@[::1]:30303?discport=')
      expect(a.localEnr.ip6).toBe('::1')
      expect(a.localEnr.udp6).toBe(a.address.port)
      await waitFor(() => a.tableSize === 1 && b.tableSize === 1, 'both tables', {
        timeoutMs: 30_000,
      })
      const other = await b.requestEnr(b.tableNodes()[0]!)
      expect([other.ip, other.enr?.ip6, other.tcpPort]).toEqual(['::1', '::1', 30303])
    } finally {
      await b.stop()
      await a.stop()
    }
  })
})
