/**
 * Test doubles for code built on @ethwire/handshake: a manually advanced clock and a local
 * status for a small test chain.
 *
 * @example
 * ```ts
 * import { FakeClock, testLocalStatus } from '@ethwire/handshake/testing'
 * const clock = new FakeClock()
 * const p = handshake({ conn, local: testLocalStatus(), clock })
 * clock.advance(5_000) // the handshake now rejects with ErrTimeout
 * ```
 */
import type { LocalStatus } from './handshake.js'
import type { Clock } from './types.js'

interface Timer {
  at: number
  seq: number
  cb: () => void
}

/** A clock that only moves when told to; timers fire synchronously inside `advance`. */
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

  /** Number of timers not yet fired or cleared. */
  get pending(): number {
    return this.#timers.size
  }

  /** Moves time forward by `ms`, firing due timers in order. */
  advance(ms: number): void {
    const target = this.#now + ms
    for (;;) {
      let next: [number, Timer] | undefined
      for (const e of this.#timers) {
        if (e[1].at > target) continue
        if (
          next === undefined ||
          e[1].at < next[1].at ||
          (e[1].at === next[1].at && e[1].seq < next[1].seq)
        )
          next = e
      }
      if (next === undefined) break
      this.#timers.delete(next[0])
      this.#now = next[1].at
      next[1].cb()
    }
    this.#now = target
  }
}

/** A local status for a made-up chain (network 1337, forks at block 5 and time 1000). */
export function testLocalStatus(overrides: Partial<LocalStatus> = {}): LocalStatus {
  const genesisHash = new Uint8Array(32).fill(0x11)
  return {
    networkId: 1337n,
    genesisHash,
    head: { hash: new Uint8Array(32).fill(0x22), number: 10n, time: 500n },
    td: 131_072n,
    earliestBlock: 0n,
    forks: { genesisHash, forksByBlock: [5n], forksByTime: [1_000n] },
    ...overrides,
  }
}
