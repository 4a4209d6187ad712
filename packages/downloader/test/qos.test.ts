import { describe, expect, it } from 'vitest'
import { constants } from '../src/index.js'
import { PeerStats, RttTuner } from '../src/qos.js'

const qos = {
  rttMinEstimateMs: constants.rttMinEstimateMs,
  rttMaxEstimateMs: constants.rttMaxEstimateMs,
  rttMinConfidence: constants.rttMinConfidence,
  ttlScaling: constants.ttlScaling,
  ttlLimitMs: constants.ttlLimitMs,
  qosTuningPeers: constants.qosTuningPeers,
  qosTuningImpact: constants.qosTuningImpact,
  measurementImpact: constants.measurementImpact,
}

describe('per-peer throughput', () => {
  it('sizes requests by measured throughput, within bounds', () => {
    const s = new PeerStats({ rttMs: 1000 })
    expect(s.capacity('bodies', 1000, 128)).toBe(2) // nothing measured yet: smallest request
    // 100 bodies in 100 ms = 1000/s; one measurement moves the average by 10%.
    s.update('bodies', 100, 100, 0.1)
    expect(s.throughput.bodies).toBeCloseTo(100)
    expect(s.capacity('bodies', 500, 128)).toBe(51)
    expect(s.capacity('bodies', 5000, 128)).toBe(128)
    expect(s.capacity('headers', 5000, 192)).toBe(2) // kinds are separate
    expect(s.rttMs).toBeCloseTo(910) // 90% of the old 1000 ms, 10% of the measured 100 ms
    s.update('bodies', 0, 0, 0.1) // an expiry resets it
    expect(s.capacity('bodies', 5000, 128)).toBe(2)
  })
})

describe('round-trip target', () => {
  it('starts at the maximum, loses confidence as peers join, tunes toward the median', () => {
    const t = new RttTuner(qos, 0)
    expect(t.rttEstimateMs).toBe(20_000)
    expect(t.ttlMs()).toBe(60_000)
    t.peerJoined(1)
    expect(t.confidence).toBe(1)
    t.peerJoined(2)
    expect(t.confidence).toBe(0.5)
    for (let n = 3; n < 40; n++) t.peerJoined(n)
    expect(t.confidence).toBe(0.1)
    // Not before a full target has passed.
    t.maybeTune(10_000, [100, 200, 300])
    expect(t.rttEstimateMs).toBe(20_000)
    t.maybeTune(20_000, [100, 200, 300])
    // The median (200) is clamped to the 2 s floor; the estimate moves a quarter of the way there:
    // 20,000 → 15,500 ms. Worked figures (go-ethereum's qos constants), not the formula again.
    expect(t.rttEstimateMs).toBe(15_500)
    expect(t.confidence).toBeCloseTo(0.55)
    expect(t.targetRttMs()).toBeCloseTo(13_950) // requests aim at 90% of the estimate
    expect(t.ttlMs()).toBe(60_000) // 3 × 15,500 / 0.55 = 84,545 ms, capped at the 1 min limit
    // Many fast rounds bring the target down to the floor and the confidence back up.
    let now = 20_000
    for (let i = 0; i < 60; i++) {
      now += t.rttEstimateMs
      t.maybeTune(now, [100, 150, 200])
    }
    expect(t.rttEstimateMs).toBeCloseTo(2_000, 0)
    expect(t.confidence).toBeCloseTo(1, 5)
    expect(t.ttlMs()).toBeCloseTo(6_000, 0)
    // A peer measured slower than the shared target gets more time, up to the limit.
    expect(t.ttlForMs(100)).toBe(t.ttlMs())
    expect(t.ttlForMs(5_000)).toBe(15_000)
    expect(t.ttlForMs(50_000)).toBe(60_000)
  })

  it('takes the median of the tuning peers when there are many', () => {
    const t = new RttTuner(qos, 0)
    expect(t.medianRtt([9000, 3000, 4000, 5000, 6000, 7000, 8000])).toBe(5000)
    expect(t.medianRtt([])).toBe(20_000)
    expect(t.medianRtt([50_000])).toBe(20_000)
  })
})
