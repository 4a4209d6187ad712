/**
 * A loopback network on real sockets: 20 services, node 0 the only bootnode. Every node must
 * find at least 15 others within 30 s (a second or two here: refresh every 1–2 s instead of
 * 15–30 min, revalidation every 0–0.5 s); a node restarted from its data directory, with the
 * bootnode gone and no bootnodes given, must find them again. Waits are on conditions, bounded.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createDiscv4, type Discv4, type Discv4Options } from '../src/index.js'
import { startLoopbackNetwork, testKey, waitFor } from '../src/testing.js'

const count = 20
const want = 15
const boundMs = 30_000
const fast: Partial<Discv4Options> = { refreshIntervalMs: 2_000, revalidationIntervalMs: 500 }
let net: Awaited<ReturnType<typeof startLoopbackNetwork>>
let dir: string
const restartIndex = 7

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'discv4-net-'))
  net = await startLoopbackNetwork({
    count,
    keyOffset: 100,
    options: (i) => ({ ...fast, ...(i === restartIndex ? { dataDir: dir } : {}) }),
  })
})

afterAll(async () => {
  await net?.stop()
  await rm(dir, { recursive: true, force: true })
})

describe('loopback network of 20', () => {
  it(
    `every node finds at least ${want} others within ${boundMs / 1000} s`,
    async () => {
      const lacking = () => net.nodes.filter((n) => n.tableSize < want)
      await waitFor(() => lacking().length === 0, `${want} nodes in every table`, {
        timeoutMs: boundMs,
      })
      for (const n of net.nodes) expect(n.tableSize).toBeGreaterThanOrEqual(want)
    },
    boundMs + 10_000,
  )

  it(
    'a node restarted from its data directory finds them again without the bootnode',
    async () => {
      const old = net.nodes[restartIndex]!
      await old.stop() // writes discv4-nodes.json
      const boot = net.nodes[0]!
      const bootId = boot.localNode.idHex
      await boot.stop() // gone for good: only the persisted table can lead back
      const again: Discv4 = createDiscv4(
        {},
        {
          privateKey: testKey(100 + restartIndex),
          listen: { host: '127.0.0.1', port: 0 },
          tcpPort: 30303,
          dataDir: dir,
          ...fast,
        },
      )
      net.nodes[restartIndex] = again
      // Who answered the restarted node (Pong or Neighbors): proof it talked to them, not only
      // that it read them from its file.
      const answered = new Set<string>()
      again.on('packetHandled', (p) => {
        if (p.type === 'Pong' || p.type === 'Neighbors') answered.add(p.nodeIdHex)
      })
      await again.start()
      const known = () => again.tableNodes().filter((n) => answered.has(n.idHex))
      await waitFor(() => known().length >= want, `${want} nodes that answered after the restart`, {
        timeoutMs: boundMs,
      })
      expect(answered.has(bootId)).toBe(false)
      expect(known().length).toBeGreaterThanOrEqual(want)
      // Its record moved to the new port, so its seq went up.
      expect(again.localEnr.seq).toBeGreaterThan(old.localEnr.seq)
      // And the others learn it again, at its new port (from its Pings).
      const others = net.nodes.filter((n) => n !== again && n !== boot)
      const atNewPort = () =>
        others.filter((o) =>
          o
            .tableNodes()
            .some((n) => n.idHex === again.localNode.idHex && n.udpPort === again.address.port),
        )
      await waitFor(() => atNewPort().length > 0, 'another node has it at its new port', {
        timeoutMs: boundMs,
      })
    },
    boundMs * 2 + 10_000,
  )
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
