/**
 * Test doubles and compliance suites for code built on the ethwire contracts. Unlike the main
 * entry this one has runtime code: `FakeClock` (no test framework needed), and the two
 * compliance suites that register vitest cases — `transportSuite` for `EthConnection`s and
 * `ethTransportSuite` for `EthTransport`s. They load vitest (an optional peer dependency) when
 * called, so await them at the top level of a test file.
 *
 * @example
 * ```ts
 * import { FakeClock, transportSuite } from '@ethwire/interface/testing'
 *
 * const clock = new FakeClock()
 * clock.setTimeout(() => console.log('fired at', clock.now()), 1_000)
 * clock.tick(1_000) // fires synchronously; `await clock.advance(ms)` also lets promises run
 *
 * await transportSuite({ name: 'my transport', setup: openPair, teardown: closeAll })
 * await ethTransportSuite({ name: 'my transport', create: () => createMyTransport({ host: '127.0.0.1', port: 0 }) })
 * ```
 */
export { type EthTransportSuiteOptions, ethTransportSuite } from './testing/eth-transport-suite.js'
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
