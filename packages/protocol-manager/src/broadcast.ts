/**
 * Block broadcast policy (go-ethereum's `BroadcastBlock`): with `propagate`, the whole block and
 * its total difficulty to √n of the peers that lack it; otherwise its hash to every peer that
 * lacks it. Peers on versions without block announcements (eth/69) get nothing.
 */

/** How many of `n` peers get a whole block: ⌊√n⌋, at least one when there is any peer. */
export function propagationCount(n: number): number {
  if (n <= 0) return 0
  return Math.max(1, Math.floor(Math.sqrt(n)))
}

/** Picks `k` distinct items at random (Fisher–Yates on a copy, with the injected source). */
export function pickRandom<T>(items: readonly T[], k: number, random: () => number): T[] {
  const copy = items.slice()
  const count = Math.min(k, copy.length)
  for (let i = 0; i < count; i++) {
    const j = i + Math.floor(random() * (copy.length - i))
    const t = copy[i]!
    copy[i] = copy[j]!
    copy[j] = t
  }
  return copy.slice(0, count)
}
