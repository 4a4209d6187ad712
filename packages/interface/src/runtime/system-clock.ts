import type { Clock } from '../clock.js'

/** Options of {@link createSystemClock}. */
export interface SystemClockOptions {
  /**
   * Timers do not keep the process alive (Node's `unref`; ignored where timers have none, as in
   * browsers). For background work such as a discovery table's refresh.
   */
  readonly unref?: boolean
}

/** A real clock: `Date.now` and the global timers, with `unref`ed timers when asked. */
export function createSystemClock(options: SystemClockOptions = {}): Clock {
  if (!options.unref) return systemClock
  return {
    now: () => Date.now(),
    setTimeout: (callback, ms) => {
      const t = globalThis.setTimeout(callback, ms) as unknown as { unref?: () => void }
      t.unref?.()
      return t
    },
    clearTimeout: (handle) =>
      globalThis.clearTimeout(handle as ReturnType<typeof globalThis.setTimeout>),
  }
}

/** The real clock: `Date.now` and the global timers. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => globalThis.setTimeout(callback, ms),
  clearTimeout: (handle) =>
    globalThis.clearTimeout(handle as ReturnType<typeof globalThis.setTimeout>),
}
