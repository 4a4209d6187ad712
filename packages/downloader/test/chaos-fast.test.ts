/**
 * Randomised fast syncs: several peers with random latencies and random misbehaviour of every
 * kind (headers, bodies, receipts, state nodes, stalls, disconnects, empty answers, eth/67-only
 * peers), small request sizes so that many rounds happen. Whatever happens, the sync either
 * reaches the head with the right chain — every block below the pivot stored with its receipts,
 * the pivot's state complete and committed, the rest executed — or fails with a typed error, and
 * leaves no timer behind. With one honest complete peer it must succeed.
 */

import { FakeClock, seededRandom } from '@ethwire/interface/testing'
import { bytesToHex } from '@ethwire/rlp-wire'
import { describe, expect, it } from 'vitest'
import { createDownloader, isDownloaderError } from '../src/index.js'
import {
  buildChain,
  MemoryChain,
  MemoryStateStore,
  memoryStateSync,
  TestPeer,
  type TestPeerOptions,
} from '../src/testing.js'

const data = buildChain({
  length: 400,
  seed: 91,
  txEvery: 2,
  receipts: true,
  state: { accounts: 400, fanout: 8 },
})

type Behaviour = Partial<Omit<TestPeerOptions, 'id' | 'blocks' | 'clock'>>

function behaviour(rnd: () => number): { b: Behaviour; honest: boolean; blocks?: number } {
  const p = (x: number) => (): boolean => rnd() < x
  switch (Math.floor(rnd() * 12)) {
    case 0:
      return { b: { corruptHeaders: p(0.3) }, honest: false }
    case 1:
      return { b: { corruptBodies: p(0.3) }, honest: false }
    case 2:
      return { b: { corruptReceipts: p(0.3) }, honest: false }
    case 3:
      return { b: { wrongNodes: p(0.3) }, honest: false }
    case 4:
      return { b: { stall: p(0.3) }, honest: false }
    case 5:
      return { b: { disconnectAfter: Math.floor(rnd() * 30) }, honest: false }
    case 6:
      return { b: { emptyNodeData: p(0.7), emptyReceipts: p(0.3) }, honest: false }
    case 7:
      return { b: { extraItems: p(0.2) }, honest: false }
    case 8:
      return { b: { nodeData: false }, honest: false } // eth/67+: no GetNodeData
    case 9:
      return { b: { maxNodesServe: 5, maxReceiptsServe: 3, maxBodiesServe: 2 }, honest: true }
    case 10:
      return { b: { emptyPastHead: true }, honest: true }
    default:
      return { b: {}, honest: true, blocks: 1 + Math.floor(rnd() * 400) }
  }
}

describe('randomised fast syncs', () => {
  it('always ends: the right chain with the pivot state, or a typed error when no honest peer was there', async () => {
    let successes = 0
    const first = Number(process.env.SEED ?? 1)
    const last = process.env.SEED ? first : Number(process.env.FAST_SEEDS ?? 30)
    for (let seed = first; seed <= last; seed++) {
      const rnd = seededRandom(1000 + seed)
      const clock = new FakeClock()
      const store = new MemoryStateStore()
      const chain = new MemoryChain(data.blocks.slice(0, 1), {
        clock,
        hasState: (root) => store.complete(root),
      })
      const dl = createDownloader(
        { chain, clock, random: seededRandom(seed), stateSync: memoryStateSync(store) },
        {
          mode: 'fast',
          maxHeaderFetch: 16,
          maxSkeletonSize: 3,
          maxBodyFetch: 8,
          maxReceiptFetch: 8,
          maxStateFetch: 32,
          maxPendingResults: 64,
          maxQueuedHeaders: 96,
          maxImportBatch: 20,
          fsMinFullBlocks: 16,
        },
      )
      const add = (id: string, x: { b: Behaviour; blocks?: number }, latencyMs: number): void => {
        const blocks = data.blocks.slice(0, (x.blocks ?? 400) + 1)
        dl.registerPeer(
          new TestPeer({
            id,
            blocks,
            receipts: data.receipts!,
            state: data.state!.nodes,
            clock,
            latencyMs,
            onDisconnect: (pid) => dl.unregisterPeer(pid),
            ...x.b,
          }),
        )
      }
      const masterHonest = rnd() < 0.5
      let honestFull = masterHonest
      add('m', masterHonest ? { b: {} } : behaviour(rnd), 5 + rnd() * 50)
      const n = 1 + Math.floor(rnd() * 4)
      for (let i = 0; i < n; i++) {
        const x = behaviour(rnd)
        if (x.honest && x.blocks === undefined) honestFull = true
        add(`p${i}`, x, 1 + rnd() * 200)
      }
      const out = await clock
        .run(dl.synchronise('m', data.head.hash), {
          maxVirtualMs: 60 * 60_000,
        })
        .then(
          (r) => ({ ok: true as const, r }),
          (e: unknown) => ({ ok: false as const, e }),
        )
      const at = `seed ${seed}`
      expect(clock.pending, at).toBe(0)
      expect(dl.synchronising, at).toBe(false)
      if (out.ok) {
        expect(bytesToHex(chain.currentBlock().hash), at).toBe(bytesToHex(data.head.hash))
        if (out.r.mode === 'fast') {
          const pivot = Number(out.r.pivot)
          expect(chain.commits, at).toEqual([BigInt(pivot)])
          expect(store.complete(data.blocks[pivot]!.header.stateRoot), at).toBe(true)
          for (let k = 1; k < pivot; k += 13) {
            expect(chain.getReceipts(data.blocks[k]!.hash), `${at} #${k}`).toEqual(
              data.receipts![k],
            )
          }
        }
        successes++
      } else {
        expect(isDownloaderError(out.e), `${at}: ${String(out.e)}`).toBe(true)
        if (honestFull) expect.fail(`${at}: failed with an honest peer: ${String(out.e)}`)
      }
    }
    expect(successes).toBeGreaterThanOrEqual(Math.floor((last - first + 1) / 2))
  }, 180_000)
})
