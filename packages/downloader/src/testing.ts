/**
 * Test doubles for the downloader: a virtual clock, a seeded random source, a builder of valid
 * chains (with receipts and a synthetic state for fast sync), an in-memory chain implementing
 * `DownloaderChain`, test peers that serve a chain held in memory with configurable latency and
 * misbehaviour, and an in-memory trie-sync scheduler implementing `StateSync`.
 *
 * @example
 * ```ts
 * const clock = createManualClock()
 * const data = buildChain({ length: 500 })
 * const chain = new MemoryChain(data.blocks.slice(0, 1))
 * const dl = createDownloader({ chain, clock, random: seededRandom(1) })
 * dl.registerPeer(new TestPeer({ id: 'a', blocks: data.blocks, clock, latencyMs: 20 }))
 * await runVirtual(clock, dl.synchronise('a', data.head.hash))
 * ```
 */
export { systemClock } from './clock.js'
export {
  type BuildChainOptions,
  blockFrom,
  buildChain,
  ChainInsertError,
  MemoryChain,
  type MemoryChainOptions,
  type TestChain,
} from './testing/chain.js'
export {
  createManualClock,
  flushPromises,
  ManualClock,
  runVirtual,
  seededRandom,
  sleep,
} from './testing/clock.js'
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
