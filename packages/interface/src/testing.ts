/**
 * Test doubles and compliance suites for code built on the ethwire contracts. Unlike the main
 * entry this one has runtime code, and `transportSuite` registers vitest cases (vitest is a peer
 * dependency of this entry).
 *
 * @example
 * ```ts
 * import { FakeClock, transportSuite } from '@ethwire/interface/testing'
 *
 * const clock = new FakeClock()
 * clock.setTimeout(() => console.log('fired at', clock.now()), 1_000)
 * clock.tick(1_000) // fires synchronously; `await clock.advance(ms)` also lets promises run
 *
 * transportSuite({ name: 'my transport', setup: openPair, teardown: closeAll })
 * ```
 */
export {
  FakeClock,
  type FakeClockOptions,
  fakeClock,
  flush,
  type RunOptions,
  seededRandom,
} from './testing/fake-clock.js'
export {
  type ConnectionPair,
  type TransportSuiteOptions,
  transportSuite,
} from './testing/transport-suite.js'
