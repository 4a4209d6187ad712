/**
 * Test doubles for code built on @ethwire/handshake: a local status for a small test chain. (The
 * fake clock is `FakeClock` from `@ethwire/interface/testing`.)
 *
 * @example
 * ```ts
 * import { FakeClock } from '@ethwire/interface/testing'
 * import { testLocalStatus } from '@ethwire/handshake/testing'
 * const clock = new FakeClock()
 * const p = handshake({ conn, local: testLocalStatus(), clock })
 * clock.tick(5_000) // the handshake now rejects with ErrTimeout
 * ```
 */
import type { LocalStatus } from './handshake.js'

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
