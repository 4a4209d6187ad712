/**
 * What the peer set consumes from other packages, declared as narrowly as it needs it.
 */

/** Injected time source; the same shape across ethwire packages. */
export interface Clock {
  now(): number
  setTimeout(callback: () => void, ms: number): unknown
  clearTimeout(handle: unknown): void
}

/** The clock of the host (Date.now and the global timers). */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (cb, ms) => setTimeout(cb, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
}
