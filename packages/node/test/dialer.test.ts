/**
 * The dialer on virtual time (FakeClock) against a fake network: the dialed ratio, the limit of
 * dials in flight, history and backoff, static nodes, no storm after a mass failure, tags, and
 * `stop()` leaving no timers.
 */
import { FakeClock, seededRandom } from '@ethwire/interface/testing'
import { describe, expect, it } from 'vitest'
import {
  candidateFromEnode,
  candidateFromNode,
  createDialer,
  type DialCandidate,
  type Dialer,
  type DialerOptions,
  type DialSource,
  dialHistoryExpirationMs,
  discoverySource,
  isDialerError,
  sourceReadBurst,
  sourceReadPerSecond,
} from '../src/dialer.js'

// ---------------------------------------------------------------------------------------------
// Fakes

const idOf = (n: number) => n.toString(16).padStart(128, '0')
const cand = (n: number): DialCandidate => ({
  id: idOf(n),
  address: `enode://${idOf(n)}@10.0.${(n >> 8) & 255}.${n & 255}:30303`,
})
const range = (from: number, count: number) => Array.from({ length: count }, (_, i) => from + i)
const idFromAddress = (a: string) => /^enode:\/\/([0-9a-f]{128})@/.exec(a)![1]!

type Outcome = { ok: boolean; afterMs: number } | 'hang'

/** The node as the dialer sees it: connections, and what each dial does. */
class FakeNet {
  readonly connected = new Set<string>()
  readonly calls: {
    id: string
    at: number
    signal: AbortSignal
    /** Dials in flight and peers connected as this one started (itself included in flight). */
    inflight: number
    connected: number
  }[] = []
  inflight = 0
  maxInflight = 0
  outcome: (id: string, attempt: number) => Outcome = () => ({ ok: true, afterMs: 100 })
  /** Reports connections the way the node would (peerAdded as the peer registers). */
  dialer: Dialer | undefined

  constructor(readonly clock: FakeClock) {}

  readonly dial = (address: string, signal: AbortSignal): Promise<void> => {
    const id = idFromAddress(address)
    const attempt = this.calls.filter((c) => c.id === id).length
    this.inflight++
    this.calls.push({
      id,
      at: this.clock.now(),
      signal,
      inflight: this.inflight,
      connected: this.connected.size,
    })
    this.maxInflight = Math.max(this.maxInflight, this.inflight)
    const o = this.outcome(id, attempt)
    return new Promise<void>((resolve, reject) => {
      let timer: unknown
      const finish = (err?: unknown) => {
        this.inflight--
        if (timer !== undefined) this.clock.clearTimeout(timer)
        signal.removeEventListener('abort', onAbort)
        if (err !== undefined) reject(err)
        else {
          this.connected.add(id)
          resolve()
        }
      }
      const onAbort = () => finish(signal.reason)
      signal.addEventListener('abort', onAbort, { once: true })
      if (o !== 'hang') {
        timer = this.clock.setTimeout(
          () => finish(o.ok ? undefined : new Error('connection refused')),
          o.afterMs,
        )
      }
    })
  }

  readonly peerCount = () => this.connected.size
  readonly isConnected = (id: string) => this.connected.has(id)

  /** A peer goes away; the node tells the dialer. */
  drop(id: string): void {
    this.connected.delete(id)
    this.dialer?.peerRemoved(id)
  }

  inbound(id: string): void {
    this.connected.add(id)
    this.dialer?.peerAdded(id, { direction: 'inbound' })
  }

  callsOf(id: string): number[] {
    return this.calls.filter((c) => c.id === id).map((c) => c.at)
  }
}

/** A source over a fixed list (repeated, like a DNS walk, or ending in a wait). */
function listSource(tag: string, items: readonly DialCandidate[], repeat = false) {
  const state = { nextCalls: 0, returned: false }
  let wake: ((r: IteratorResult<DialCandidate>) => void) | undefined
  const source: DialSource = {
    tag,
    candidates: {
      [Symbol.asyncIterator]() {
        let i = 0
        return {
          next(): Promise<IteratorResult<DialCandidate>> {
            state.nextCalls++
            if (state.returned) return Promise.resolve({ value: undefined, done: true })
            if (i >= items.length && repeat && items.length > 0) i = 0
            if (i < items.length) return Promise.resolve({ value: items[i++]!, done: false })
            return new Promise((resolve) => {
              wake = resolve
            })
          },
          async return(): Promise<IteratorResult<DialCandidate>> {
            state.returned = true
            wake?.({ value: undefined, done: true })
            return { value: undefined, done: true }
          },
        }
      },
    },
  }
  return { source, state }
}

function setup(options: DialerOptions, random = seededRandom(7)) {
  const clock = new FakeClock({ startMs: 1_000_000 })
  const net = new FakeNet(clock)
  const dialer = createDialer(
    { dial: net.dial, peerCount: net.peerCount, isConnected: net.isConnected, clock, random },
    options,
  )
  net.dialer = dialer
  return { clock, net, dialer }
}

// ---------------------------------------------------------------------------------------------

describe('slots', () => {
  it("maxDialedPeers is go-ethereum's maxPeers / dialRatio (3), at least 1, 0 for 0", () => {
    const max = (maxPeers: number, dialRatio?: number) =>
      setup({ maxPeers, ...(dialRatio === undefined ? {} : { dialRatio }) }).dialer.maxDialedPeers
    expect([max(50), max(30), max(25), max(2), max(1), max(0), max(50, 2)]).toEqual([
      16, 10, 8, 1, 1, 0, 25,
    ])
  })

  it('fills exactly maxPeers / 3 dialed slots; dials still in flight then are aborted, not failed', async () => {
    const { clock, net, dialer } = setup({
      maxPeers: 30,
      sources: [listSource('discv4', range(1, 200).map(cand)).source],
    })
    const r = seededRandom(3)
    net.outcome = () => ({ ok: true, afterMs: 100 + Math.floor(r() * 900) })
    await dialer.start()
    await clock.advance(10_000)
    expect(dialer.dialedPeerCount).toBe(10)
    expect(net.connected.size).toBe(10)
    // Twice the free slots in flight at most (go-ethereum's freeDialSlots), capped at 16: 16 at
    // first, fewer as peers connect.
    expect(net.maxInflight).toBe(16)
    for (const c of net.calls) {
      expect(c.inflight).toBeLessThanOrEqual(Math.min(2 * (10 - c.connected), 16))
    }
    // The dials that had not finished when the 10th peer connected were aborted: not failures.
    const aborted = net.calls.filter((c) => c.signal.aborted)
    expect(aborted.length).toBe(net.calls.length - 10)
    expect(aborted.length).toBeGreaterThan(0)
    expect(aborted.every((c) => isDialerError(c.signal.reason, 'ErrSlotsFull'))).toBe(true)
    expect(dialer.stats.dialsFailed).toBe(0)
    // Nothing more while full.
    const calls = net.calls.length
    await clock.advance(120_000)
    expect(net.calls.length).toBe(calls)
    // A dialed peer leaves: one slot, two dials at most, one peer more.
    net.drop([...net.connected][0]!)
    await clock.advance(10_000)
    expect(dialer.dialedPeerCount).toBe(10)
    expect(net.calls.length).toBeGreaterThan(calls)
    expect(net.calls.length).toBeLessThanOrEqual(calls + 2)
    await dialer.stop()
  })

  it('inbound peers take no dialed slot; no dynamic dial while peerCount() >= maxPeers', async () => {
    const { clock, net, dialer } = setup({
      maxPeers: 30,
      sources: [listSource('discv4', range(1, 200).map(cand)).source],
    })
    for (const n of range(5000, 20)) net.inbound(idOf(n))
    await dialer.start()
    await clock.advance(10_000)
    expect(dialer.dialedPeerCount).toBe(10)
    expect(net.connected.size).toBe(30)
    const calls = net.calls.length
    // A dialed peer leaves and an inbound one arrives: full again, so no dial.
    const dialed = [...net.connected].find((id) => dialer.howFound(id) === 'discv4')!
    net.drop(dialed)
    net.inbound(idOf(6000))
    await clock.advance(60_000)
    expect(net.calls.length).toBe(calls)
    // An inbound one leaves: the free dialed slot is used.
    net.drop(idOf(6000))
    await clock.advance(10_000)
    expect(net.calls.length).toBeGreaterThan(calls)
    expect(dialer.dialedPeerCount).toBe(10)
    await dialer.stop()
  })

  it('at most 16 dials in flight; fewer when 2 × free slots is less; maxActiveDials sets it', async () => {
    for (const [opts, want] of [
      [{ maxPeers: 100 }, 16],
      [{ maxPeers: 9 }, 6],
      [{ maxPeers: 100, maxActiveDials: 4 }, 4],
    ] as const) {
      const { clock, net, dialer } = setup({
        ...opts,
        sources: [listSource('discv4', range(1, 500).map(cand)).source],
      })
      net.outcome = () => 'hang'
      await dialer.start()
      await clock.advance(5_000)
      expect(net.inflight).toBe(want)
      expect(dialer.dialingCount).toBe(want)
      // Hung dials time out at 15 s (ErrDialTimeout, a failure) and others take their place.
      await clock.advance(60_000)
      expect(net.maxInflight).toBe(want)
      const timedOut = net.calls.filter((c) => isDialerError(c.signal.reason, 'ErrDialTimeout'))
      expect(timedOut.length).toBeGreaterThanOrEqual(want * 3)
      expect(dialer.stats.dialsFailed).toBe(timedOut.length)
      await dialer.stop()
    }
  })
})

describe('candidates', () => {
  it('never dials ourselves, a connected node, a node being dialed, or a static node from a source', async () => {
    const self = cand(1)
    const { clock, net, dialer } = setup({
      maxPeers: 30,
      selfId: `0x${self.id.toUpperCase()}`,
      staticNodes: [cand(4)],
      sources: [listSource('discv4', [self, cand(2), cand(3), cand(3), cand(4), cand(2)]).source],
    })
    net.inbound(idOf(2))
    net.outcome = () => ({ ok: true, afterMs: 1_000 })
    await dialer.start()
    await clock.advance(5_000)
    expect(net.calls.map((c) => c.id).sort()).toEqual([idOf(3), idOf(4)])
    expect(dialer.stats.skipped).toEqual({ self: 1, connected: 2, dialing: 1, static: 1 })
    await dialer.stop()
  })

  it('tags each peer with how it was found', async () => {
    const { clock, net, dialer } = setup({
      maxPeers: 30,
      staticNodes: [cand(1)],
      sources: [
        listSource('discv4', [cand(10), cand(11)]).source,
        listSource('dns', [cand(20)]).source,
      ],
    })
    // The node reports our own dial as an outbound peer before dial() resolves.
    net.outcome = (id) => {
      if (id === idOf(11)) dialer.peerAdded(id, { direction: 'outbound' })
      return { ok: true, afterMs: 50 }
    }
    await dialer.start()
    net.inbound(idOf(30))
    await clock.advance(1_000)
    expect([1, 10, 11, 20, 30, 99].map((n) => dialer.howFound(idOf(n)))).toEqual([
      'static',
      'discv4',
      'discv4',
      'dns',
      'inbound',
      undefined,
    ])
    expect(dialer.dialedPeerCount).toBe(4)
    net.drop(idOf(10))
    expect(dialer.howFound(idOf(10))).toBeUndefined()
    await dialer.stop()
  })

  it('a source that yields only unusable nodes is read at the rate limit, not in a loop', async () => {
    const self = cand(1)
    const { state, source } = listSource('dns', [self], true)
    const { clock, dialer } = setup({ maxPeers: 30, selfId: self.id, sources: [source] })
    await dialer.start()
    await clock.advance(10_000)
    const reads = dialer.stats.candidates.dns ?? 0
    expect(reads).toBeGreaterThan(sourceReadPerSecond * 9)
    expect(reads).toBeLessThanOrEqual(sourceReadBurst + sourceReadPerSecond * 10 + 1)
    expect(state.nextCalls).toBe(reads)
    await dialer.stop()
    expect(state.returned).toBe(true)
  })

  it('notices a peer gone without peerRemoved at the next re-check', async () => {
    const { clock, net, dialer } = setup({
      maxPeers: 3, // one dialed slot
      sources: [listSource('discv4', range(1, 10).map(cand)).source],
    })
    await dialer.start()
    await clock.advance(1_000)
    expect(dialer.dialedPeerCount).toBe(1)
    net.connected.clear() // dropped, nobody told the dialer
    await clock.advance(6_000)
    expect(dialer.dialedPeerCount).toBe(1)
    expect(net.connected.size).toBe(1)
    expect(net.calls.length).toBeGreaterThanOrEqual(2)
    await dialer.stop()
  })
})

describe('history and backoff', () => {
  it('a failing static node: 35 s, then 35 s × 2^(n−1) after each failure, capped at 10 min', async () => {
    const { clock, net, dialer } = setup({ maxPeers: 30, staticNodes: [cand(1)] }, () => 0)
    net.outcome = () => ({ ok: false, afterMs: 0 })
    await dialer.start()
    await clock.advance(40 * 60_000)
    const at = net.callsOf(idOf(1)).map((t) => (t - 1_000_000) / 1000)
    // Failures at once: retries 35, 70, 140, 280, 560, then 600 s (the cap) apart.
    expect(at).toEqual([0, 35, 105, 245, 525, 1085, 1685, 2285])
    expect(dialer.stats.dialsFailed).toBe(8)
    await dialer.stop()
  })

  it('the backoff is jittered (× [1, 1.5)) and a success clears it; a dropped static node is redialed after the 35 s history', async () => {
    const { clock, net, dialer } = setup({ maxPeers: 30, staticNodes: [cand(1)] }, () => 0.999)
    net.outcome = (_, attempt) =>
      attempt < 3 ? { ok: false, afterMs: 0 } : { ok: true, afterMs: 0 }
    await dialer.start()
    await clock.advance(10 * 60_000)
    const at = net.callsOf(idOf(1)).map((t) => (t - 1_000_000) / 1000)
    expect(at.length).toBe(4)
    // 35 × 1.4995, 70 × 1.4995, 140 × 1.4995 apart (the timer is at whole ms).
    expect(at[1]).toBeCloseTo(52.48, 1)
    expect(at[2]! - at[1]!).toBeCloseTo(104.97, 1)
    expect(at[3]! - at[2]!).toBeCloseTo(209.93, 1)
    expect(dialer.howFound(idOf(1))).toBe('static')
    // Connected for minutes, then dropped: redialed at once (the history long expired).
    net.drop(idOf(1))
    await clock.advance(10)
    expect(net.callsOf(idOf(1)).length).toBe(5)
    // Dropped right after connecting: redialed only once the 35 s since that dial passed.
    const dialedAt = clock.now() - 10
    net.drop(idOf(1))
    await clock.advance(30_000)
    expect(net.callsOf(idOf(1)).length).toBe(5)
    await clock.advance(10_000)
    expect(net.callsOf(idOf(1))[5]).toBe(dialedAt + dialHistoryExpirationMs)
    await dialer.stop()
  })

  it('a node from a source is not redialed within its history or backoff, however often it comes', async () => {
    const { state, source } = listSource('dns', [cand(1), cand(2)], true)
    const { clock, net, dialer } = setup({ maxPeers: 30, sources: [source] }, () => 0)
    net.outcome = () => ({ ok: false, afterMs: 0 })
    await dialer.start()
    await clock.advance(5 * 60_000)
    expect(state.nextCalls).toBeGreaterThan(1_000) // offered again and again …
    // … dialed at 0, 35 s, 105 s, 245 s only.
    for (const n of [1, 2]) {
      expect(net.callsOf(idOf(n)).map((t) => Math.round((t - 1_000_000) / 1000))).toEqual([
        0, 35, 105, 245,
      ])
    }
    // The next one is 280 s after the fourth (each comes within one read, 1/32 s, of its time).
    expect(dialer.blockedUntil(idOf(1))).toBe(net.callsOf(idOf(1))[3]! + 280_000)
    expect(dialer.stats.skipped.backoff).toBeGreaterThan(1_000)
    await dialer.stop()
  })

  it('removeStatic forgets the backoff: adding the node back dials it at once', async () => {
    const { clock, net, dialer } = setup({ maxPeers: 30, staticNodes: [cand(1)] })
    net.outcome = () => ({ ok: false, afterMs: 0 })
    await dialer.start()
    await clock.advance(1_000)
    expect(net.callsOf(idOf(1)).length).toBe(1)
    expect(dialer.blockedUntil(idOf(1))).toBeGreaterThan(clock.now())
    dialer.removeStatic(idOf(1))
    expect(dialer.blockedUntil(idOf(1))).toBeUndefined()
    net.outcome = () => ({ ok: true, afterMs: 0 })
    dialer.addStatic(cand(1))
    await clock.advance(10)
    expect(net.callsOf(idOf(1)).length).toBe(2)
    expect(dialer.howFound(idOf(1))).toBe('static')
    await dialer.stop()
  })

  it('no storm after a mass failure: bounded retries per node, spread out, then the slots fill', async () => {
    const statics = range(1, 40).map(cand)
    const found = range(100, 200).map(cand)
    const { clock, net, dialer } = setup({
      maxPeers: 50, // 16 dialed
      staticNodes: statics,
      sources: [listSource('discv4', found, true).source],
    })
    let down = true
    net.outcome = () => (down ? { ok: false, afterMs: 0 } : { ok: true, afterMs: 200 })
    await dialer.start()
    const t0 = clock.now()
    await clock.advance(10 * 60_000)
    // Each node at most at 0, ≥ 35, ≥ 105, ≥ 245, ≥ 525 s: 5 attempts in 10 min.
    const perNode = new Map<string, number[]>()
    for (const c of net.calls) perNode.set(c.id, [...(perNode.get(c.id) ?? []), c.at - t0])
    expect(perNode.size).toBe(240)
    expect(Math.max(...[...perNode.values()].map((a) => a.length))).toBeLessThanOrEqual(5)
    for (const times of perNode.values()) {
      for (let i = 1; i < times.length; i++) {
        expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(35_000 * 2 ** (i - 1))
      }
    }
    // In the second half of the outage, each node came up at most once.
    expect(net.calls.filter((c) => c.at - t0 >= 300_000).length).toBeLessThanOrEqual(240)
    // The 40 static nodes failed together at 0 s; their retries are spread over ≥ 10 s.
    const retries = statics.map((c) => perNode.get(c.id)![1]!)
    expect(new Set(retries).size).toBeGreaterThanOrEqual(30)
    expect(Math.max(...retries) - Math.min(...retries)).toBeGreaterThanOrEqual(10_000)
    expect(net.maxInflight).toBeLessThanOrEqual(16)
    // The network comes back: the 16 dialed slots fill, never more than 16 dials in flight.
    down = false
    await clock.advance(15 * 60_000)
    expect(dialer.dialedPeerCount).toBe(16)
    expect(net.maxInflight).toBeLessThanOrEqual(16)
    await dialer.stop()
  })
})

describe('lifecycle', () => {
  it('stop aborts dials in flight, returns the sources, and leaves no timers', async () => {
    const a = listSource('discv4', range(1, 5).map(cand)) // ends in a pending next()
    const b = listSource('dns', [cand(50)], true)
    const { clock, net, dialer } = setup({
      maxPeers: 30,
      staticNodes: [cand(100), cand(101)],
      sources: [a.source, b.source],
    })
    net.outcome = (id) => (id === idOf(101) ? { ok: false, afterMs: 0 } : 'hang')
    await dialer.start()
    await clock.advance(2_000)
    expect(net.inflight).toBeGreaterThan(0)
    expect(clock.pending).toBeGreaterThan(0) // dial timeouts, the backoff wake-up, the re-check
    await dialer.stop()
    expect(clock.pending).toBe(0)
    expect(net.inflight).toBe(0)
    const hung = net.calls.filter((c) => c.id !== idOf(101))
    expect(hung.every((c) => isDialerError(c.signal.reason, 'ErrDialerStopped'))).toBe(true)
    expect([a.state.returned, b.state.returned]).toEqual([true, true])
    // Stopped for good: nothing reacts any more.
    const calls = net.calls.length
    dialer.peerRemoved(idOf(1))
    dialer.addStatic(cand(200))
    await clock.advance(60_000)
    expect(net.calls.length).toBe(calls)
    expect(clock.pending).toBe(0)
    await dialer.stop() // idempotent
  })

  it('stop before start, and a dialer that never dials (maxPeers 0)', async () => {
    const s = setup({ maxPeers: 30 })
    await s.dialer.stop()
    await s.dialer.start() // not restarted
    expect(s.clock.pending).toBe(0)
    const z = setup({
      maxPeers: 0,
      staticNodes: [cand(1)],
      sources: [listSource('x', [cand(2)]).source],
    })
    await z.dialer.start()
    await z.clock.advance(60_000)
    expect(z.net.calls.length).toBe(0)
    await z.dialer.stop()
    expect(z.clock.pending).toBe(0)
  })
})

describe('adapters', () => {
  const key = Uint8Array.from({ length: 64 }, (_, i) => i + 1)
  const hex = Buffer.from(key).toString('hex')

  it('candidateFromNode: the public key as id, an enode URL with discport when it differs', () => {
    expect(
      candidateFromNode({ publicKey: key, ip: '1.2.3.4', tcpPort: 30303, udpPort: 30303 }),
    ).toEqual({
      id: hex,
      address: `enode://${hex}@1.2.3.4:30303`,
    })
    expect(
      candidateFromNode({ publicKey: key, ip: '::1', tcpPort: 30303, udpPort: 30301 }).address,
    ).toBe(`enode://${hex}@[::1]:30303?discport=30301`)
  })

  it('candidateFromEnode: id from the URL (lower case); ErrBadCandidate otherwise', () => {
    const url = `enode://${hex.toUpperCase()}@10.0.0.1:30303`
    expect(candidateFromEnode(url)).toEqual({ id: hex, address: url })
    let err: unknown
    try {
      candidateFromEnode('enode://abc@1.2.3.4:1')
    } catch (e) {
      err = e
    }
    expect(isDialerError(err, 'ErrBadCandidate')).toBe(true)
  })

  it('discoverySource: skips nodes without a TCP port; return() reaches a pending discovery iterator', async () => {
    const nodes = [
      { publicKey: key, ip: '10.0.0.1', tcpPort: 0, udpPort: 30303 },
      { publicKey: key, ip: '10.0.0.2', tcpPort: 30303, udpPort: 30303 },
    ]
    let returned = false
    let release: ((r: IteratorResult<(typeof nodes)[number]>) => void) | undefined
    let i = 0
    const inner: AsyncIterableIterator<(typeof nodes)[number]> = {
      [Symbol.asyncIterator]() {
        return this
      },
      next() {
        if (i < nodes.length) return Promise.resolve({ value: nodes[i++]!, done: false })
        return new Promise((resolve) => {
          release = resolve
        })
      },
      async return() {
        returned = true
        release?.({ value: undefined, done: true })
        return { value: undefined, done: true }
      },
    }
    const src = discoverySource('discv4', inner)
    expect(src.tag).toBe('discv4')
    const it = src.candidates[Symbol.asyncIterator]()
    expect((await it.next()).value?.address).toBe(`enode://${hex}@10.0.0.2:30303`)
    const pending = it.next()
    await it.return?.()
    expect(returned).toBe(true)
    expect((await pending).done).toBe(true)
  })

  it('a discovery source feeds the dialer, tagged', async () => {
    const node = { publicKey: key, ip: '10.0.0.9', tcpPort: 30303, udpPort: 30303 }
    const clock = new FakeClock()
    const dialed: string[] = []
    const connected = new Set<string>()
    const dialer = createDialer(
      {
        dial: async (address) => {
          dialed.push(address)
          connected.add(idFromAddress(address))
        },
        peerCount: () => connected.size,
        isConnected: (id) => connected.has(id),
        clock,
      },
      {
        maxPeers: 10,
        sources: [
          discoverySource(
            'discv4',
            (async function* () {
              yield node
            })(),
          ),
        ],
      },
    )
    await dialer.start()
    await clock.advance(100)
    expect(dialed).toEqual([`enode://${hex}@10.0.0.9:30303`])
    expect(dialer.howFound(hex)).toBe('discv4')
    await dialer.stop()
    expect(clock.pending).toBe(0)
  })
})
