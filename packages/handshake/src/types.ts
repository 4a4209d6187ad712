/**
 * What the handshake consumes from other packages, declared as narrowly as it needs it.
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

/** A header as far as the DAO challenge looks at it. */
export interface ChallengeHeader {
  readonly number: bigint
  readonly extra: Uint8Array
}

/**
 * What the DAO-fork challenge needs from a peer: ask for headers by number. `@ethwire/peerset`'s
 * `Peer` satisfies it.
 */
export interface HeaderRequester {
  requestHeadersByNumber(
    request: { number: bigint; amount: number; skip?: number; reverse?: boolean },
    options?: { signal?: AbortSignal; timeoutMs?: number },
  ): Promise<readonly ChallengeHeader[]>
}
