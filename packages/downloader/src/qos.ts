/**
 * Per-peer throughput and round-trip estimates, and the shared round-trip target they tune.
 * A request asks for as many items as the peer is measured to deliver within the target round
 * trip; it may take `ttlScaling` targets (divided by our confidence in the target) before it
 * expires.
 */

/** The data kinds fetched concurrently from many peers, each with its own throughput estimate. */
export type FetchKind = 'headers' | 'bodies' | 'receipts' | 'state'

export const fetchKinds: readonly FetchKind[] = ['headers', 'bodies', 'receipts', 'state']

export interface QosOptions {
  rttMinEstimateMs: number
  rttMaxEstimateMs: number
  rttMinConfidence: number
  ttlScaling: number
  ttlLimitMs: number
  qosTuningPeers: number
  qosTuningImpact: number
  measurementImpact: number
}

/** Throughput (items per second, per kind) and round trip of one peer. */
export class PeerStats {
  readonly throughput: Record<FetchKind, number>
  rttMs: number

  constructor(init: { throughput?: Partial<Record<FetchKind, number>>; rttMs: number }) {
    this.throughput = {
      headers: init.throughput?.headers ?? 0,
      bodies: init.throughput?.bodies ?? 0,
      receipts: init.throughput?.receipts ?? 0,
      state: init.throughput?.state ?? 0,
    }
    this.rttMs = init.rttMs
  }

  /** Fold one finished request into the averages. `delivered` 0 resets the throughput. */
  update(kind: FetchKind, delivered: number, elapsedMs: number, impact: number): void {
    if (delivered === 0) {
      // Nothing delivered (timeout or empty answer): start again from the smallest requests.
      this.throughput[kind] = 0
      return
    }
    const seconds = Math.max(elapsedMs, 1) / 1000
    const measured = delivered / seconds
    this.throughput[kind] = (1 - impact) * this.throughput[kind] + impact * measured
    this.rttMs = (1 - impact) * this.rttMs + impact * elapsedMs
  }

  /** How many items to ask for so the answer comes back within `targetRttMs`. */
  capacity(kind: FetchKind, targetRttMs: number, max: number): number {
    const fit = Math.floor(1 + Math.max(1, (this.throughput[kind] * targetRttMs) / 1000))
    return Math.max(1, Math.min(fit, max))
  }
}

/** The shared round-trip target and the confidence in it. */
export class RttTuner {
  rttEstimateMs: number
  confidence = 1
  private lastTuneMs: number

  constructor(
    private readonly opts: QosOptions,
    nowMs: number,
  ) {
    this.rttEstimateMs = opts.rttMaxEstimateMs
    this.lastTuneMs = nowMs
  }

  /** A peer joined: we know less about the network than we thought. */
  peerJoined(peerCount: number): void {
    if (peerCount <= 1) return
    this.confidence = Math.max(
      this.opts.rttMinConfidence,
      (this.confidence * (peerCount - 1)) / peerCount,
    )
  }

  /** Median round trip of the fastest tuning peers, clamped to the allowed range. */
  medianRtt(rtts: number[]): number {
    const sorted = [...rtts].sort((a, b) => a - b)
    let median = this.opts.rttMaxEstimateMs
    if (sorted.length >= this.opts.qosTuningPeers) {
      median = sorted[Math.floor(this.opts.qosTuningPeers / 2)]!
    } else if (sorted.length > 0) {
      median = sorted[Math.floor(sorted.length / 2)]!
    }
    return Math.min(this.opts.rttMaxEstimateMs, Math.max(this.opts.rttMinEstimateMs, median))
  }

  /** Move the target toward the peers' median, at most once per current target. */
  maybeTune(nowMs: number, rtts: number[]): void {
    if (nowMs - this.lastTuneMs < this.rttEstimateMs) return
    this.lastTuneMs = nowMs
    const impact = this.opts.qosTuningImpact
    this.rttEstimateMs = (1 - impact) * this.rttEstimateMs + impact * this.medianRtt(rtts)
    this.confidence = this.confidence + (1 - this.confidence) / 2
  }

  /** Round trip a request should be sized for. */
  targetRttMs(): number {
    return (this.rttEstimateMs * 9) / 10
  }

  /** How long a request may take before it expires. */
  ttlMs(): number {
    const ttl = (this.opts.ttlScaling * this.rttEstimateMs) / this.confidence
    return Math.min(this.opts.ttlLimitMs, ttl)
  }

  /**
   * Time-to-live for a request to one peer: the shared one, stretched for a peer whose own
   * measured round trip is longer (a slow but working peer is not cut off), capped by the limit.
   */
  ttlForMs(peerRttMs: number): number {
    return Math.min(this.opts.ttlLimitMs, Math.max(this.ttlMs(), this.opts.ttlScaling * peerRttMs))
  }
}
