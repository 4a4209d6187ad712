/** Time and timers, injected wherever a timeout decides behaviour, so tests run on virtual time. */
export interface Clock {
  /** Milliseconds; monotonic enough to measure round trips. */
  now(): number
  setTimeout(callback: () => void, ms: number): unknown
  clearTimeout(handle: unknown): void
}

/** A random source returning a float in [0, 1). Injected wherever a random pick decides behaviour. */
export type RandomSource = () => number
