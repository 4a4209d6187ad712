/**
 * The per-peer serving queue: in order, one at a time, bounded (the pusher waits while it is
 * full), closed by the peer's end or the manager's stop without leaving timers; and through the
 * manager: a peer whose requests wait for their flood limit still has its answers to our requests
 * read, and stop() does not wait for a serving's flood-limit timer.
 */
import { FakeClock } from '@ethwire/interface/testing'
import { MsgCode } from '@ethwire/rlp-wire'
import { describe, expect, it } from 'vitest'
import { createServeLane } from '../src/serve-lane.js'
import { attachRemote, waitFor } from '../src/testing.js'
import { extend, localStatusOf, newChain, newManager, stopAllAfterEach } from './helpers.js'

stopAllAfterEach()

const tick = () => new Promise((r) => setImmediate(r))

describe('serve lane', () => {
  it('runs work in order, one at a time, and makes the pusher wait while full', async () => {
    const errors: unknown[] = []
    const lane = createServeLane({ maxQueued: 2, onError: (e) => errors.push(e) })
    const log: string[] = []
    const gates: (() => void)[] = []
    const work = (name: string) => async () => {
      log.push(`start ${name}`)
      await new Promise<void>((r) => gates.push(r))
      log.push(`end ${name}`)
    }
    await lane.push(work('a')) // runs at once
    await lane.push(work('b')) // waits (1 queued)
    let third = false
    void lane.push(work('c')).then(() => {
      third = true
    }) // 2 queued: the pusher waits
    await tick()
    expect(third).toBe(false)
    expect(lane.queued).toBe(2)
    gates.shift()!() // a ends, b starts: room again
    await tick()
    expect(third).toBe(true)
    gates.shift()!()
    await tick()
    gates.shift()!()
    await lane.idle()
    expect(log).toEqual(['start a', 'end a', 'start b', 'end b', 'start c', 'end c'])
    expect(errors).toEqual([])
  })

  it('reports a failing work item and goes on; close aborts the running one and drops the rest', async () => {
    const errors: unknown[] = []
    const clock = new FakeClock()
    const lane = createServeLane({ maxQueued: 1, onError: (e) => errors.push(e) })
    await lane.push(async () => {
      throw new Error('boom')
    })
    let aborted = false
    await lane.push(
      (signal) =>
        new Promise<void>((_, reject) => {
          const t = clock.setTimeout(() => reject(new Error('not aborted')), 60_000)
          signal.addEventListener('abort', () => {
            clock.clearTimeout(t)
            aborted = true
            reject(signal.reason)
          })
        }),
    )
    let ranLate = false
    const waiting = lane.push(async () => {
      ranLate = true
    })
    lane.close()
    await waiting // released
    await lane.idle()
    expect(aborted).toBe(true)
    expect(ranLate).toBe(false)
    expect(errors.map(String)).toEqual(['Error: boom']) // the abort is not an error
    expect(clock.pending).toBe(0)
    await lane.push(async () => {
      ranLate = true
    })
    expect(ranLate).toBe(false) // a closed lane takes nothing
  })
})

describe('serving queue in the manager', () => {
  it('answers from a peer are read while its own requests wait for their flood limit', async () => {
    const chain = await newChain()
    await extend(chain, 200)
    const clock = new FakeClock()
    const pm = newManager(chain, { clock }, { minSyncPeers: 100, syncIntervalMs: 3_600_000 })
    await pm.start()
    const r = await attachRemote(pm, { version: 68, id: 'busy', local: await localStatusOf(chain) })
    await waitFor(() => pm.peerCount === 1)
    // 30 × 192 headers: the first 21 fit the 4,096 burst, the rest wait on the (unmoved) clock
    // (one waiting, 8 queued: fewer than the 16 that would make the read loop wait too).
    for (let i = 1; i <= 30; i++) {
      await r.send({
        name: 'GetBlockHeaders',
        requestId: BigInt(i),
        request: { origin: { number: 1n }, amount: 192n, skip: 0n, reverse: false },
      })
    }
    let answered = 0
    while (answered < 21)
      if ((await r.conn.readMsg(AbortSignal.timeout(5_000))).code === MsgCode.BlockHeaders)
        answered++
    // Our own request to the peer: its answer comes after its 30 requests, and is still taken.
    const peer = pm.parts.peers.get('busy')!
    const asked = peer.requestHeadersByNumber({ number: 5n, amount: 1 })
    const req = await r.readUntil('GetBlockHeaders')
    if (req.name !== 'GetBlockHeaders') throw new Error('unreachable')
    await r.send({
      name: 'BlockHeaders',
      requestId: req.requestId,
      headers: [(await chain.getHeaderByNumber(5n))!],
    })
    const [h] = await asked
    expect(h!.number).toBe(5n)
    expect(clock.now()).toBe(0) // nothing of the waiting requests was served meanwhile
    // stop() does not wait for the queue's flood-limit timer, and leaves none behind.
    await pm.stop()
    expect(clock.pending).toBe(0)
  })
})
