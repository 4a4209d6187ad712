import { FakeClock } from '@ethwire/interface/testing'
import type { Transaction } from '@ethwire/rlp-wire'
import { describe, expect, it } from 'vitest'
import {
  createTxBroadcaster,
  txBroadcastMinChunk,
  txBroadcastPairsPerTask,
} from '../src/broadcast.js'
import type { PmTxPool, PooledTx } from '../src/types.js'

/** A pool that only emits what the test hands it. */
function emitter() {
  let listener: ((txs: readonly PooledTx[]) => void) | undefined
  const pool = {
    onPending(l: (txs: readonly PooledTx[]) => void) {
      listener = l
      return () => {
        listener = undefined
      }
    },
  } as unknown as PmTxPool
  return { pool, emit: (txs: PooledTx[]) => listener?.(txs) }
}

/** Stand-ins: the broadcaster only passes them on. */
const fakeTxs = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ id: i }) as unknown as Transaction)

describe('tx broadcaster', () => {
  it('a large collection goes out in chunks, one per event-loop task, in order', () => {
    const clock = new FakeClock()
    const { pool, emit } = emitter()
    const calls: Transaction[][] = []
    const peers = 100
    const b = createTxBroadcaster(
      { txPool: pool, broadcast: (t) => calls.push([...t]), clock, peerCount: () => peers },
      0,
    )
    b.start()
    const txs = fakeTxs(1000)
    emit(txs)
    const size = Math.max(txBroadcastMinChunk, Math.floor(txBroadcastPairsPerTask / peers))
    // only the first chunk inside the pool's event; the rest waits for later tasks
    expect(calls).toHaveLength(1)
    expect(calls[0]).toHaveLength(size)
    expect(clock.fireNext()).toBe(true) // the next task
    expect(calls).toHaveLength(2)
    for (let i = 0; i < 100 && clock.fireNext(); i++) {}
    expect(calls.flat()).toEqual(txs)
    expect(calls.every((c) => c.length <= size)).toBe(true)
    expect(calls).toHaveLength(Math.ceil(1000 / size))
  })

  it('a small collection goes out at once; stop drops queued chunks and leaves no timer', () => {
    const clock = new FakeClock()
    const { pool, emit } = emitter()
    const calls: Transaction[][] = []
    const b = createTxBroadcaster(
      { txPool: pool, broadcast: (t) => calls.push([...t]), clock, peerCount: () => 1 },
      0,
    )
    b.start()
    emit(fakeTxs(10))
    expect(calls).toHaveLength(1)
    emit(fakeTxs(3 * txBroadcastPairsPerTask))
    expect(calls).toHaveLength(2)
    b.stop()
    expect(clock.nextDue()).toBeUndefined()
    expect(calls).toHaveLength(2)
  })
})
