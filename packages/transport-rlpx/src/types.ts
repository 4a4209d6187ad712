/**
 * What this package consumes from its surroundings, declared narrowly (structural typing). The
 * clock is `@ethwire/interface`'s `Clock`.
 */

/** Cryptographically secure random bytes. */
export type RandomBytes = (n: number) => Uint8Array

/**
 * The part of a byte stream (a `node:net` Socket, or an in-memory double) the session uses.
 * `write` must take bytes in call order.
 */
export interface RlpxSocket {
  write(data: Uint8Array, cb?: (err?: Error | null) => void): boolean
  end(): void
  destroy(): void
  pause(): void
  resume(): void
  cork?(): void
  uncork?(): void
  on(event: 'data', listener: (chunk: Uint8Array) => void): unknown
  on(event: 'drain' | 'end' | 'close', listener: () => void): unknown
  on(event: 'error', listener: (err: Error) => void): unknown
  // biome-ignore lint/suspicious/noExplicitAny: listeners of different events have different arguments
  removeListener(event: string, listener: (...args: any[]) => void): unknown
  readonly destroyed: boolean
  readonly remoteAddress?: string | undefined
  readonly remotePort?: number | undefined
}

export const systemRandom: RandomBytes = (n) => {
  const out = new Uint8Array(n)
  for (let off = 0; off < n; off += 65536) {
    globalThis.crypto.getRandomValues(out.subarray(off, Math.min(n, off + 65536)))
  }
  return out
}
