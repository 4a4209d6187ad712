/**
 * Test doubles for the fetchers: a deterministic, manually advanced clock and a seeded random
 * source.
 *
 * @example
 * ```ts
 * import { FakeClock } from '@ethwire/fetcher/testing'
 * const clock = new FakeClock()
 * const fetcher = createBlockFetcher({ ...deps, clock }, {})
 * await clock.advance(600) // fires due timers in order, letting promises settle in between
 * ```
 */
import type { Clock, RandomSource } from './types.js'

interface Timer {
  at: number
  seq: number
  cb: () => void
}

/** A clock that only moves when told to. Timers fire in (time, creation) order. */
export class FakeClock implements Clock {
  #now: number
  #seq = 0
  readonly #timers = new Map<number, Timer>()

  constructor(start = 0) {
    this.#now = start
  }

  now(): number {
    return this.#now
  }

  setTimeout(callback: () => void, ms: number): unknown {
    const id = ++this.#seq
    this.#timers.set(id, { at: this.#now + Math.max(0, ms), seq: id, cb: callback })
    return id
  }

  clearTimeout(handle: unknown): void {
    this.#timers.delete(handle as number)
  }

  /** Timers not yet fired (a stopped component must leave 0). */
  get pendingTimers(): number {
    return this.#timers.size
  }

  /**
   * Moves time forward by `ms`, firing each due timer at its own time, and lets pending promise
   * callbacks run after each one (and at the end).
   */
  async advance(ms: number): Promise<void> {
    const end = this.#now + ms
    await flush()
    for (;;) {
      let next: Timer | undefined
      for (const t of this.#timers.values()) {
        if (
          t.at <= end &&
          (next === undefined || t.at < next.at || (t.at === next.at && t.seq < next.seq))
        )
          next = t
      }
      if (next === undefined) break
      this.#timers.delete(next.seq)
      this.#now = Math.max(this.#now, next.at)
      next.cb()
      await flush()
    }
    this.#now = end
    await flush()
  }
}

/** Lets queued promise callbacks (and the chains they start) run. */
export async function flush(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((r) => setImmediate(r))
}

/** A seeded random source (mulberry32), deterministic across runs. */
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
