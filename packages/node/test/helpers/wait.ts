/** Bounded waits for the node's client tests: every wait names what it waited for when it fails. */

/** `p`, or a rejection `timed out: <what>` after `ms` (the timer does not keep the process up). */
export const within = <T>(p: Promise<T>, ms: number, what: string): Promise<T> =>
  Promise.race([
    p,
    new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error(`timed out: ${what}`)), ms).unref(),
    ),
  ])

/** Polls `f` every 20 ms until it is true, for at most `ms`. */
export const until = (f: () => boolean, ms: number, what: string): Promise<void> =>
  within(
    (async () => {
      while (!f()) await new Promise((r) => setTimeout(r, 20))
    })(),
    ms,
    what,
  )
