/**
 * Virtual time for tests is `FakeClock` (and `seededRandom`) from `@ethwire/interface/testing`;
 * this module keeps `sleep`, which the test doubles use on any `Clock`.
 */
import type { Clock } from '../types.js'

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
