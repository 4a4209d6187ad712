import { afterEach, describe, expect, it } from 'vitest'
import {
  createInboundRateLimiter,
  createLibp2pTransport,
  hostOfMultiaddr,
  isLoopbackHost,
  type Libp2pTransport,
} from '../src/index.js'
import type { EthConnection } from '../src/wire.js'

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

async function started(
  options: Parameters<typeof createLibp2pTransport>[1] = {},
  deps: Parameters<typeof createLibp2pTransport>[0] = {},
): Promise<Libp2pTransport> {
  const t = createLibp2pTransport(deps, options)
  await t.start()
  cleanups.push(() => t.stop())
  return t
}

/** `n` fresh dialers dial `addr` at once; how many got an eth connection. */
async function dialAtOnce(n: number, addr: string): Promise<number> {
  const dialers = await Promise.all(Array.from({ length: n }, () => started({ listen: [] })))
  const results = await Promise.allSettled(
    dialers.map((d) => d.dial(addr, { signal: AbortSignal.timeout(20_000) })),
  )
  return results.filter((r) => r.status === 'fulfilled').length
}

describe('inbound limits', () => {
  it('accepts 30 simultaneous loopback dials (libp2p alone refuses more than 5 per host per second)', async () => {
    const inbound: EthConnection[] = []
    const listener = await started({ onInbound: (c) => inbound.push(c) })
    const ok = await dialAtOnce(30, listener.multiaddrs()[0]!)
    expect(ok).toBe(30)
    expect(inbound.length).toBe(30)
  }, 60_000)

  it('keeps a per-host bound: with limitLoopback, one host gets perHostPerSecond per window', async () => {
    // a frozen clock: every dial falls in the same one-second window
    const listener = await started(
      { inboundLimits: { perHostPerSecond: 3, limitLoopback: true } },
      { clock: { now: () => 1_000 } },
    )
    const ok = await dialAtOnce(8, listener.multiaddrs()[0]!)
    expect(ok).toBe(3)
    expect(listener.connectionCount).toBe(3)
  }, 60_000)

  it('refuses inbound connections above maxConnections', async () => {
    const listener = await started({ inboundLimits: { maxConnections: 2 } })
    const addr = listener.multiaddrs()[0]!
    // one at a time: libp2p counts open connections, not ones still upgrading
    let ok = 0
    for (let i = 0; i < 4; i++) ok += await dialAtOnce(1, addr)
    expect(ok).toBe(2)
  }, 60_000)

  it('rejects a limit that is not a positive integer', () => {
    expect(() => createLibp2pTransport({}, { inboundLimits: { maxPending: 0 } })).toThrow(
      RangeError,
    )
    expect(() => createLibp2pTransport({}, { inboundLimits: { perHostPerSecond: 1.5 } })).toThrow(
      RangeError,
    )
  })
})

describe('liveness', () => {
  /** libp2p's connection monitor, read through its internal shape (guarded). */
  const monitorOf = (t: Libp2pTransport) =>
    (
      t.node as unknown as {
        components?: {
          connectionMonitor?: { pingIntervalMs?: number; timeout?: { minTimeout?: number } }
        }
      }
    ).components?.connectionMonitor

  it('pings every 15 s and waits at least 20 s for the answer (libp2p: 10 s and 5 s)', async () => {
    const m = monitorOf(await started())
    expect(m?.pingIntervalMs).toBe(15_000)
    expect(m?.timeout?.minTimeout).toBe(20_000)
    const n = monitorOf(await started({ pingIntervalMs: 1_000, pingTimeoutMs: 3_000 }))
    expect([n?.pingIntervalMs, n?.timeout?.minTimeout]).toEqual([1_000, 3_000])
    expect(() => createLibp2pTransport({}, { pingTimeoutMs: 0 })).toThrow(RangeError)
  })
})

describe('createInboundRateLimiter', () => {
  it('admits perSecond per host per window, loopback exempt by default', () => {
    let t = 0
    const r = createInboundRateLimiter({ perSecond: 2, limitLoopback: false, now: () => t })
    expect([r.admit('10.0.0.1'), r.admit('10.0.0.1'), r.admit('10.0.0.1')]).toEqual([
      true,
      true,
      false,
    ])
    expect(r.admit('10.0.0.2')).toBe(true)
    for (let i = 0; i < 100; i++) expect(r.admit('127.0.0.1')).toBe(true)
    expect(r.admit('::1')).toBe(true)
    t = 999
    expect(r.admit('10.0.0.1')).toBe(false)
    t = 1_000
    expect(r.admit('10.0.0.1')).toBe(true)
  })

  it('tracks a bounded number of hosts, dropping stale ones first', () => {
    let t = 0
    const r = createInboundRateLimiter({
      perSecond: 1,
      limitLoopback: true,
      now: () => t,
      maxHosts: 3,
    })
    expect(['1.1.1.1', '1.1.1.2', '1.1.1.3'].map((h) => r.admit(h))).toEqual([true, true, true])
    // full of hosts seen in this second: a fourth one is refused
    expect(r.admit('1.1.1.4')).toBe(false)
    expect(r.trackedHosts).toBe(3)
    t = 1_500
    expect(r.admit('1.1.1.4')).toBe(true)
    expect(r.trackedHosts).toBe(1)
  })

  it('parses hosts and loopback', () => {
    expect(hostOfMultiaddr('/ip4/127.0.0.1/tcp/4001')).toBe('127.0.0.1')
    expect(hostOfMultiaddr('/ip6/::1/tcp/4001')).toBe('::1')
    expect(hostOfMultiaddr('/dns4/example.org/tcp/1')).toBeUndefined()
    expect(isLoopbackHost('127.5.0.1')).toBe(true)
    expect(isLoopbackHost('::ffff:127.0.0.1')).toBe(true)
    expect(isLoopbackHost('128.0.0.1')).toBe(false)
    expect(isLoopbackHost('::2')).toBe(false)
  })
})
