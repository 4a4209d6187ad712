import { FakeClock, seededRandom } from '@ethwire/interface/testing'
import { bytesToHex } from '@ethwire/rlp-wire'
import {
  createDownloader,
  type Downloader,
  type DownloaderDeps,
  type DownloaderOptions,
} from '../src/index.js'
import {
  MemoryChain,
  type MemoryChainOptions,
  type TestChain,
  TestPeer,
  type TestPeerOptions,
} from '../src/testing.js'

export interface Harness {
  clock: FakeClock
  chain: MemoryChain
  dl: Downloader
  peers: Map<string, TestPeer>
  addPeer(o: Omit<TestPeerOptions, 'clock'>): TestPeer
}

/** A downloader over a MemoryChain holding `local` (genesis first), on virtual time. */
export function harness(
  local: TestChain,
  localHead: number,
  options: DownloaderOptions = {},
  chainOpts: Omit<MemoryChainOptions, 'clock'> = {},
  deps: Pick<DownloaderDeps, 'onListenerError'> = {},
): Harness {
  const clock = new FakeClock()
  const chain = new MemoryChain(local.blocks.slice(0, localHead + 1), { ...chainOpts, clock })
  const dl = createDownloader({ chain, clock, random: seededRandom(7), ...deps }, options)
  const peers = new Map<string, TestPeer>()
  return {
    clock,
    chain,
    dl,
    peers,
    addPeer(o) {
      const peer = new TestPeer({
        ...o,
        clock,
        onDisconnect: (id) => {
          o.onDisconnect?.(id)
          dl.unregisterPeer(id)
        },
      })
      peers.set(peer.id, peer)
      dl.registerPeer(peer)
      return peer
    },
  }
}

/** The chain holds exactly `data`'s blocks 0..head as its canonical chain. */
export function expectCanonical(chain: MemoryChain, data: TestChain, head: number): void {
  const got = chain.currentBlock()
  if (got.number !== BigInt(head)) throw new Error(`head is #${got.number}, expected #${head}`)
  for (let n = 0; n <= head; n++) {
    const b = chain.getBlockByNumber(n)
    if (b === undefined || bytesToHex(b.hash) !== bytesToHex(data.blocks[n]!.hash)) {
      throw new Error(`block #${n} differs`)
    }
  }
}
