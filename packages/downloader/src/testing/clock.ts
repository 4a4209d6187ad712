/** Virtual time for tests: a manual clock, a driver that runs a promise to its end on it, sleep, and a seeded random source. */
import type { Clock, RandomSource } from '../types.js'

/** A clock that only moves when told: timers fire in order of due time, then of creation. */
export class ManualClock implements Clock {
  private t: number
  private seq = 0
  private readonly timers = new Map<number, { at: number; seq: number; cb: () => void }>()

  constructor(startMs = 0) {
    this.t = startMs
  }

  now(): number {
    return this.t
  }

  setTimeout(callback: () => void, ms: number): unknown {
    const id = ++this.seq
    this.timers.set(id, { at: this.t + Math.max(0, ms), seq: id, cb: callback })
    return id
  }

  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number)
  }

  /** Timers not yet fired. */
  pendingTimers(): number {
    return this.timers.size
  }

  /** Due time of the next timer, or undefined. */
  nextDue(): number | undefined {
    let best: { at: number; seq: number } | undefined
    for (const t of this.timers.values()) {
      if (best === undefined || t.at < best.at || (t.at === best.at && t.seq < best.seq)) best = t
    }
    return best?.at
  }

  /** Jump to the next timer and fire it. Returns false when there is none. */
  fireNext(): boolean {
    let bestId: number | undefined
    let best: { at: number; seq: number; cb: () => void } | undefined
    for (const [id, t] of this.timers) {
      if (best === undefined || t.at < best.at || (t.at === best.at && t.seq < best.seq)) {
        best = t
        bestId = id
      }
    }
    if (best === undefined || bestId === undefined) return false
    this.timers.delete(bestId)
    this.t = Math.max(this.t, best.at)
    best.cb()
    return true
  }

  /** Move time forward by `ms`, firing every timer due on the way (letting promises run between). */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms
    for (;;) {
      await flushPromises()
      const due = this.nextDue()
      if (due === undefined || due > end) break
      this.fireNext()
    }
    this.t = end
    await flushPromises()
  }
}

export function createManualClock(startMs = 0): ManualClock {
  return new ManualClock(startMs)
}

/** A deterministic random source (mulberry32). */
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

/** Let every pending promise callback run. */
export async function flushPromises(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise<void>((resolve) => setImmediate(resolve))
}

/**
 * Drive a {@link ManualClock} until `promise` settles: run all ready promise callbacks, then
 * jump to the next timer, and again. Throws if the promise is stuck with no timer left (a
 * deadlock) or virtual time passes `maxVirtualMs`.
 */
export async function runVirtual<T>(
  clock: ManualClock,
  promise: Promise<T>,
  opts: { maxVirtualMs?: number } = {},
): Promise<T> {
  const limit = clock.now() + (opts.maxVirtualMs ?? 30 * 60_000)
  let done = false
  let ok = false
  let value: T | undefined
  let error: unknown
  promise.then(
    (v) => {
      done = true
      ok = true
      value = v
    },
    (e: unknown) => {
      done = true
      error = e
    },
  )
  for (;;) {
    await flushPromises()
    if (done) {
      if (ok) return value as T
      throw error
    }
    const due = clock.nextDue()
    if (due === undefined)
      throw new Error('runVirtual: promise pending with no timer left (deadlock)')
    if (due > limit)
      throw new Error(
        `runVirtual: still pending after ${opts.maxVirtualMs ?? 1_800_000} virtual ms`,
      )
    clock.fireNext()
  }
}

/** Resolve after `ms` on `clock`; reject with the signal's reason when it aborts. */
export function sleep(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason)
      return
    }
    const onAbort = (): void => {
      clock.clearTimeout(handle)
      reject(signal?.reason)
    }
    const handle = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}
