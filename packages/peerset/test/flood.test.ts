import { FakeClock } from '@ethwire/interface/testing'
import { describe, expect, it } from 'vitest'
import {
  announcementsBurstPerPeer,
  announcementsPerPeerPerSecond,
  banThresholdScore,
  FloodLimits,
  floodCost,
  floodLimitDefaults,
  headersServedBurstPerPeer,
  headersServedPerPeerPerSecond,
  PeerScores,
  TokenBucket,
} from '../src/index.js'

describe('TokenBucket', () => {
  it('take refuses what does not fit, consumes nothing then, and says how long to wait', () => {
    const clock = new FakeClock()
    const b = new TokenBucket({ clock }, { ratePerSecond: 5, burst: 10 })
    expect(b.take(10)).toEqual({ allowed: true, waitMs: 0 })
    expect(b.take(1)).toEqual({ allowed: false, waitMs: 200 })
    expect(b.take(3)).toEqual({ allowed: false, waitMs: 600 })
    clock.tick(199)
    expect(b.take(1)).toEqual({ allowed: false, waitMs: 1 })
    clock.tick(1)
    expect(b.take(1)).toEqual({ allowed: true, waitMs: 0 })
    expect(b.tokens).toBeCloseTo(0, 9)
    // refills to the burst, never past it
    clock.tick(60_000)
    expect(b.tokens).toBe(10)
  })

  it('a take larger than the burst is allowed from a full bucket and leaves it in debt', () => {
    const clock = new FakeClock()
    const b = new TokenBucket({ clock }, { ratePerSecond: 5, burst: 10 })
    b.take(1)
    expect(b.take(25).allowed).toBe(false) // not full
    clock.tick(200)
    expect(b.take(25)).toEqual({ allowed: true, waitMs: 0 })
    expect(b.tokens).toBe(-15)
    expect(b.take(1)).toEqual({ allowed: false, waitMs: 3_200 })
  })

  it('reserve goes into debt and returns the delay; acquire waits for it on the clock', async () => {
    const clock = new FakeClock()
    const b = new TokenBucket({ clock }, { ratePerSecond: 100, burst: 50 })
    expect(b.reserve(50)).toBe(0)
    expect(b.reserve(30)).toBe(300)
    let done = false
    const p = b.acquire(20).then(() => {
      done = true
    })
    await clock.advance(499)
    expect(done).toBe(false)
    await clock.advance(1)
    await p
    expect(done).toBe(true)
    expect(clock.pending).toBe(0)
  })

  it('acquire rejects on abort and leaves no timer', async () => {
    const clock = new FakeClock()
    const b = new TokenBucket({ clock }, { ratePerSecond: 1, burst: 1 })
    b.reserve(1)
    const ac = new AbortController()
    const p = b.acquire(5, { signal: ac.signal })
    expect(clock.pending).toBe(1)
    ac.abort(new Error('peer left'))
    await expect(p).rejects.toThrow('peer left')
    expect(clock.pending).toBe(0)
    await expect(b.acquire(1, { signal: ac.signal })).rejects.toThrow('peer left')
  })

  it('an infinite rate never limits; bad options are refused', () => {
    const b = new TokenBucket({ clock: new FakeClock() }, { ratePerSecond: Infinity, burst: 1 })
    for (let i = 0; i < 100; i++) expect(b.take(1_000_000).allowed).toBe(true)
    expect(b.reserve(1e9)).toBe(0)
    expect(() => new TokenBucket({}, { ratePerSecond: 0, burst: 1 })).toThrow(RangeError)
    expect(() => new TokenBucket({}, { ratePerSecond: 1, burst: 0 })).toThrow(RangeError)
  })
})

describe('FloodLimits', () => {
  it('defaults come from constants.ts and can be overridden per kind', () => {
    const f = new FloodLimits(
      { clock: new FakeClock() },
      { limits: { headersServed: { burst: 2 } } },
    )
    expect(f.limits.announcements).toEqual({
      ratePerSecond: announcementsPerPeerPerSecond,
      burst: announcementsBurstPerPeer,
    })
    expect(f.limits.headersServed).toEqual({
      ratePerSecond: headersServedPerPeerPerSecond,
      burst: 2,
    })
    expect(floodLimitDefaults.headersServed.burst).toBe(headersServedBurstPerPeer)
  })

  it('serves 2,000 requests of 192 headers at the bounded rate, delaying and never dropping', async () => {
    const clock = new FakeClock()
    const f = new FloodLimits({ clock })
    const rate = headersServedPerPeerPerSecond
    const burst = headersServedBurstPerPeer
    const grants: { at: number; served: number }[] = []
    // The serving loop: one request at a time from the peer's read loop.
    const serve = async () => {
      let served = 0
      for (let i = 0; i < 2_000; i++) {
        await f.acquire('syncer', 'headersServed', 192)
        served += 192
        grants.push({ at: clock.now(), served })
      }
      return served
    }
    const served = await clock.run(serve())
    expect(served).toBe(384_000)
    expect(grants).toHaveLength(2_000)
    // At every grant, what was served fits in the burst plus the rate times the time elapsed.
    for (const g of grants)
      expect(g.served).toBeLessThanOrEqual(burst + (rate * g.at) / 1_000 + 1e-6)
    // The burst is served at once, and the whole takes (total - burst) / rate, to the millisecond.
    expect(grants.filter((g) => g.at === 0)).toHaveLength(Math.floor(burst / 192))
    const ideal = ((384_000 - burst) / rate) * 1_000
    expect(grants.at(-1)?.at).toBeGreaterThanOrEqual(ideal)
    expect(grants.at(-1)?.at).toBeLessThanOrEqual(ideal + 1)
    expect(clock.pending).toBe(0)
    // Another peer is not slowed by the first.
    expect(f.reserve('other', 'headersServed', 192)).toBe(0)
  })

  it('an announcement flood is refused and penalised until the peer is banned; a steady announcer never is', () => {
    const clock = new FakeClock()
    const f = new FloodLimits({ clock })
    const scores = new PeerScores({ clock })
    const refusals = { flooder: 0, steady: 0 }
    let droppedAtMs: number | undefined
    for (let t = 0; t < 60_000; t += 250) {
      // the flooder sends a full 4,096-hash announcement every 250 ms (16,384 hashes/s)
      if (droppedAtMs === undefined && !f.take('flooder', 'announcements', 4_096).allowed) {
        refusals.flooder++
        const r = scores.report('flooder', 'flood', { detail: '4096 hashes' })
        if (r.shouldDrop) droppedAtMs = t
      }
      // the steady peer announces 200 hashes every 250 ms (800/s, under the rate)
      if (!f.take('steady', 'announcements', 200).allowed) {
        refusals.steady++
        scores.report('steady', 'flood')
      }
      clock.tick(250)
    }
    // the burst takes two announcements, then the next seven are refused (7 × 8 > 50) and it is banned
    expect(Math.floor(-banThresholdScore / floodCost) + 1).toBe(7)
    expect(refusals.flooder).toBe(7)
    expect(droppedAtMs).toBeDefined()
    expect(scores.isBanned('flooder')).toBe(true)
    expect(scores.banOf('flooder')?.offence?.kind).toBe('flood')
    expect(refusals.steady).toBe(0)
    expect(scores.score('steady')).toBe(0)
  })

  it('keeps buckets for a bounded number of peers; remove forgets one', () => {
    const clock = new FakeClock()
    const f = new FloodLimits(
      { clock },
      { maxPeers: 2, limits: { announcements: { burst: 10, ratePerSecond: 1 } } },
    )
    expect(f.take('a', 'announcements', 10).allowed).toBe(true)
    expect(f.take('a', 'announcements', 1).allowed).toBe(false)
    f.take('b', 'announcements', 10)
    f.take('c', 'announcements', 10) // a, the least recently used, is forgotten
    expect(f.size).toBe(2)
    expect(f.take('a', 'announcements', 10).allowed).toBe(true) // a fresh, full bucket
    expect(f.take('c', 'announcements', 1).allowed).toBe(false)
    f.remove('c')
    expect(f.take('c', 'announcements', 1).allowed).toBe(true)
    expect(() => new FloodLimits({}, { maxPeers: 0 })).toThrow(RangeError)
  })
})
