/**
 * Test doubles for the downloader: a builder of valid chains (with receipts and a synthetic state
 * for fast sync), an in-memory chain implementing `DownloaderChain`, test peers that serve a chain
 * held in memory with configurable latency and misbehaviour, and an in-memory trie-sync scheduler
 * implementing `StateSync`. Virtual time and the seeded random source are `FakeClock` and
 * `seededRandom` from `@ethwire/interface/testing`.
 *
 * @example
 * ```ts
 * import { FakeClock, seededRandom } from '@ethwire/interface/testing'
 * const clock = new FakeClock()
 * const data = buildChain({ length: 500 })
 * const chain = new MemoryChain(data.blocks.slice(0, 1))
 * const dl = createDownloader({ chain, clock, random: seededRandom(1) })
 * dl.registerPeer(new TestPeer({ id: 'a', blocks: data.blocks, clock, latencyMs: 20 }))
 * await clock.run(dl.synchronise('a', data.head.hash))
 * ```
 */
export {
  type BuildChainOptions,
  blockFrom,
  buildChain,
  ChainInsertError,
  MemoryChain,
  type MemoryChainOptions,
  type TestChain,
} from './testing/chain.js'
export { sleep } from './testing/clock.js'
export { checkDownloaderPeer } from './testing/compliance.js'
export {
  type RequestKind,
  TestPeer,
  type TestPeerOptions,
  type TestRequest,
} from './testing/peer.js'
export {
  MemoryStateStore,
  MemoryStateSync,
  type MemoryStateSyncOptions,
  memoryStateSync,
  type NodeChild,
  SyntheticState,
  type SyntheticStateOptions,
  syntheticChildren,
  type UnrequestedNode,
} from './testing/state.js'
