/**
 * The one fake clock of the monorepo: virtual time that moves only when a test says so, with
 * timers fired in order of due time, then of creation.
 */
import type { Clock, RandomSource } from '../clock.js'

interface Timer {
  readonly id: number
  readonly at: number
  readonly callback: () => void
}

export interface FakeClockOptions {
  /** Virtual time to start at, in ms. Default 0. */
  readonly startMs?: number
  /**
   * How many `setImmediate` turns {@link FakeClock.advance} and {@link FakeClock.run} give pending
   * promise callbacks before and after each timer they fire. Default 5.
   */
  readonly settleRounds?: number
}

/** Options of {@link FakeClock.run}. */
export interface RunOptions {
  /** Give up (reject) once virtual time would pass this many ms from now. Default 30 minutes. */
  readonly maxVirtualMs?: number
}

/**
 * A {@link Clock} on virtual time. Two ways to move it:
 *
 * - `tick(ms)` is synchronous: it fires every timer due within `ms` inside the call (for code
 *   whose timer callbacks do all their work synchronously);
 * - `advance(ms)` is asynchronous: it also lets promise callbacks run before and after each
 *   timer, so a chain a timer starts can arm the next timer within the same window.
 *
 * `run(promise)` drives the clock timer by timer until `promise` settles (and throws on a
 * deadlock: a pending promise with no timer left). `pending` counts armed timers; a component
 * that was stopped must leave 0.
 */
export class FakeClock implements Clock {
  #now: number
  #seq = 0
  readonly #timers = new Map<number, Timer>()
  readonly #settleRounds: number

  constructor(options: number | FakeClockOptions = {}) {
    const o = typeof options === 'number' ? { startMs: options } : options
    this.#now = o.startMs ?? 0
    this.#settleRounds = o.settleRounds ?? 5
  }

  now(): number {
    return this.#now
  }

  setTimeout(callback: () => void, ms: number): unknown {
    const id = ++this.#seq
    const delay = Number.isFinite(ms) && ms > 0 ? ms : 0
    this.#timers.set(id, { id, at: this.#now + delay, callback })
    return id
  }

  clearTimeout(handle: unknown): void {
    if (typeof handle === 'number') this.#timers.delete(handle)
  }

  /** Timers armed and neither fired nor cleared. */
  get pending(): number {
    return this.#timers.size
  }

  /** Due time of the next timer, or `undefined` when none is armed. */
  nextDue(): number | undefined {
    return this.#next()?.at
  }

  /** Jumps to the next timer and fires it. Returns false when no timer is armed. */
  fireNext(): boolean {
    const t = this.#next()
    if (t === undefined) return false
    this.#fire(t)
    return true
  }

  /** Moves time forward by `ms`, firing each timer due on the way synchronously, in order. */
  tick(ms: number): void {
    const end = this.#now + ms
    for (;;) {
      const t = this.#next()
      if (t === undefined || t.at > end) break
      this.#fire(t)
    }
    this.#now = Math.max(this.#now, end)
  }

  /**
   * Moves time forward by `ms`, firing each timer due on the way at its own time and letting
   * pending promise callbacks run before the first, after each one and at the end.
   */
  async advance(ms: number): Promise<void> {
    const end = this.#now + ms
    await this.settle()
    for (;;) {
      const t = this.#next()
      if (t === undefined || t.at > end) break
      this.#fire(t)
      await this.settle()
    }
    this.#now = Math.max(this.#now, end)
    await this.settle()
  }

  /**
   * Drives the clock until `promise` settles: let promise callbacks run, jump to the next timer,
   * fire it, again. Resolves or rejects as `promise` does; rejects when `promise` is still pending
   * with no timer left (a deadlock) or after `maxVirtualMs` of virtual time.
   */
  async run<T>(promise: Promise<T>, options: RunOptions = {}): Promise<T> {
    const maxVirtualMs = options.maxVirtualMs ?? 30 * 60_000
    const limit = this.#now + maxVirtualMs
    let outcome: { ok: true; value: T } | { ok: false; error: unknown } | undefined
    promise.then(
      (value) => {
        outcome = { ok: true, value }
      },
      (error: unknown) => {
        outcome = { ok: false, error }
      },
    )
    for (;;) {
      await this.settle()
      if (outcome !== undefined) {
        if (outcome.ok) return outcome.value
        throw outcome.error
      }
      const t = this.#next()
      if (t === undefined) throw new Error('FakeClock.run: promise pending with no timer left')
      if (t.at > limit)
        throw new Error(`FakeClock.run: still pending after ${maxVirtualMs} virtual ms`)
      this.#fire(t)
    }
  }

  /** Lets pending promise callbacks (and the chains they start) run, without moving time. */
  settle(): Promise<void> {
    return flush(this.#settleRounds)
  }

  #next(): Timer | undefined {
    let best: Timer | undefined
    for (const t of this.#timers.values()) {
      if (best === undefined || t.at < best.at || (t.at === best.at && t.id < best.id)) best = t
    }
    return best
  }

  #fire(t: Timer): void {
    this.#timers.delete(t.id)
    if (t.at > this.#now) this.#now = t.at
    t.callback()
  }
}

/** A new {@link FakeClock} (same options as its constructor). */
export function fakeClock(options?: number | FakeClockOptions): FakeClock {
  return new FakeClock(options)
}

/** Lets queued promise callbacks run: `rounds` turns of `setImmediate`. */
export async function flush(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((resolve) => setImmediate(resolve))
}

/** A seeded random source (mulberry32): the same sequence in [0, 1) for the same seed. */
export function seededRandom(seed = 1): RandomSource {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
