/**
 * The page's logic without a browser: the {@link Follower} (what `main.ts` draws) over libp2p
 * WebSockets in Node against the demo's dev node, so it is tested even where no Chromium is
 * installed. 300 blocks, the last 100: a checkpoint root at #200, then a sealed block by
 * announcement (no poll timer).
 */
import { bytesToHex } from '@ethwire/rlp-wire'
import { createLibp2pTransport } from '@ethwire/transport-libp2p'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { type Demo, startDemo } from '../scripts/demo-server.js'
import { Follower, type FollowerEvents } from '../src/follower.js'

let demo: Demo

beforeAll(async () => {
  demo = await startDemo({ blocks: 300, periodSeconds: 0 })
}, 60_000)

afterAll(async () => {
  await demo?.stop()
})

/** Resolves with the first `event` that `pick` accepts; rejects after `ms`. */
function next<K extends keyof FollowerEvents>(
  follower: Follower,
  event: K,
  pick: (v: FollowerEvents[K]) => boolean = () => true,
  ms = 20_000,
): Promise<FollowerEvents[K]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off()
      reject(new Error(`no matching '${event}' event within ${ms} ms`))
    }, ms)
    const off = follower.events.on(event, (v) => {
      if (!pick(v)) return
      clearTimeout(timer)
      off()
      resolve(v)
    })
  })
}

it('syncs the last 100 blocks over WebSockets and follows a new one', async () => {
  const peer = new URL(demo.url).searchParams.get('peer')!
  expect(peer).toMatch(/\/ws\/p2p\//)
  const transport = createLibp2pTransport({}, { transports: ['websockets'] })
  const follower = new Follower({ transport }, { peer, last: 100n, pollMs: 0 })
  const handshake = next(follower, 'handshake')
  const root = next(follower, 'root')
  const synced = next(follower, 'synced')
  const closed: string[] = []
  follower.events.on('closed', ({ error }) => closed.push(error))
  const running = follower.start()
  try {
    expect((await handshake).networkId).toBe(1337n)
    expect((await root).number).toBe(200n)
    const s = await synced
    expect(s).toMatchObject({ headers: 100, head: 300n })
    expect(follower.chain?.head.header.hash).toEqual(demo.node.chain.currentHeader().hash)

    const live = next(follower, 'head', (h) => h.live)
    const block = await demo.node.sealBlock()
    const h = await live
    expect(h).toMatchObject({ number: 301n, hash: bytesToHex(block.hash), added: 1, headers: 101 })
  } finally {
    await follower.stop()
    await running
  }
  expect(closed).toEqual([]) // stop() is not reported as the peer going away
}, 60_000)
