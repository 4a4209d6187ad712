/**
 * The compliance suite every `EthConnection` implementation runs (in the style of js-libp2p's
 * interface-compliance-tests): it checks the semantics written on `MsgReadWriter` and
 * `EthConnection` in `../transport.ts`, case by case, against a fresh connected pair per test.
 * The cases only send message codes 0–15, valid on every eth version.
 */

// vitest is loaded when a suite is registered, not when this entry is imported: FakeClock and the
// other helpers work without a test framework (benchmarks, examples, CommonJS).
type Vitest = typeof import('vitest')
let afterEach!: Vitest['afterEach']
let beforeEach!: Vitest['beforeEach']
let describe!: Vitest['describe']
let expect!: Vitest['expect']
let it!: Vitest['it']
async function loadVitest(): Promise<void> {
  ;({ afterEach, beforeEach, describe, expect, it } = await import('vitest'))
}

import type { Direction, EthConnection, Msg } from '../transport.js'

/** Both ends of one freshly negotiated eth stream. */
export interface ConnectionPair {
  /** The dialer's end (`direction: 'outbound'`). */
  readonly outbound: EthConnection
  /** The listener's end of the same stream (`direction: 'inbound'`). */
  readonly inbound: EthConnection
  /**
   * The payload cap both ends enforce on `writeMsg`, in bytes. Configure a small one (a few KiB)
   * to keep the oversize cases cheap.
   */
  readonly maxMessageSizeBytes: number
}

export interface TransportSuiteOptions {
  /** Shown in the suite's title. Default `'transport'`. */
  readonly name?: string
  /** Opens a fresh connected pair; called before each case. */
  setup(): Promise<ConnectionPair>
  /** Releases everything `setup` opened (listeners, sockets, timers); called after each case. */
  teardown(): Promise<void>
  /** Per-case timeout in ms. Default 20 000. */
  readonly timeoutMs?: number
}

/** devp2p disconnect reasons used by the cases (the interface package carries no runtime table). */
const Reason = {
  Requested: 0x00,
  UselessPeer: 0x03,
  TooManyPeers: 0x04,
  ClientQuitting: 0x08,
  Timeout: 0x0b,
  SubprotocolError: 0x10,
} as const

type Outcome<T> = { ok: true; value: T } | { ok: false; error: unknown }

/** Attaches handlers at once (no unhandled rejection) and records how `p` settles. */
function track<T>(p: Promise<T>): { readonly outcome: Promise<Outcome<T>> } {
  return {
    outcome: p.then(
      (value) => ({ ok: true as const, value }),
      (error: unknown) => ({ ok: false as const, error }),
    ),
  }
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  const o = await track(p).outcome
  if (o.ok) throw new Error(`expected a rejection, got ${describeValue(o.value)}`)
  return o.error
}

function describeValue(v: unknown): string {
  if (v !== null && typeof v === 'object' && 'code' in v) return `message code ${String(v.code)}`
  return String(v)
}

/** Bytes that do not compress (transports with snappy would otherwise send far fewer). */
function payload(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length)
  let x = (seed * 2654435761) >>> 0 || 1
  for (let i = 0; i < length; i++) {
    x ^= x << 13
    x >>>= 0
    x ^= x >>> 17
    x ^= x << 5
    x >>>= 0
    out[i] = x & 0xff
  }
  return out
}

function expectMsg(m: Msg, code: number, body: Uint8Array): void {
  expect(m.code).toBe(code)
  expect(m.size).toBe(body.length)
  expect(m.payload.length).toBe(body.length)
  expect(Buffer.from(m.payload).equals(Buffer.from(body))).toBe(true)
  expect(Number.isFinite(m.receivedAt)).toBe(true)
}

function expectClosed(err: unknown, reason: number, remote: boolean): void {
  expect(err).toMatchObject({ code: 'ErrClosed', reason, remote })
}

/** Gives the peer a few turns of the event loop to take in bytes already sent. */
async function letArrive(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise<void>((r) => setImmediate(r))
  await new Promise<void>((r) => setTimeout(r, 20))
}

/**
 * Registers the compliance cases with vitest. Await it at the top level of a test file (it loads
 * vitest first, so the cases are registered before vitest collects the file).
 *
 * @example
 * ```ts
 * import { transportSuite } from '@ethwire/interface/testing'
 * import { msgPipe } from '@ethwire/rlp-wire/testing'
 *
 * await transportSuite({
 *   name: 'msgPipe',
 *   setup: async () => {
 *     const [outbound, inbound] = msgPipe({ maxMessageSize: 4096 })
 *     return { outbound, inbound, maxMessageSizeBytes: 4096 }
 *   },
 *   teardown: async () => {},
 * })
 * ```
 */
export async function transportSuite(options: TransportSuiteOptions): Promise<void> {
  await loadVitest()
  const timeout = options.timeoutMs ?? 20_000
  const name = options.name ?? 'transport'

  describe(`${name}: EthConnection compliance`, () => {
    let pair: ConnectionPair
    /** The pair by role: [closer, peer] for close cases run from either side. */
    const ends = (closer: Direction): [EthConnection, EthConnection] =>
      closer === 'outbound' ? [pair.outbound, pair.inbound] : [pair.inbound, pair.outbound]

    beforeEach(async () => {
      pair = await options.setup()
    }, timeout)

    afterEach(async () => {
      await options.teardown()
    }, timeout)

    describe('identity', () => {
      it(
        'direction is outbound on the dialer and inbound on the listener',
        () => {
          expect(pair.outbound.direction).toBe('outbound')
          expect(pair.inbound.direction).toBe('inbound')
        },
        timeout,
      )

      it(
        'remoteId, remoteAddress, transport and version are set on both ends',
        () => {
          for (const c of [pair.outbound, pair.inbound]) {
            expect(typeof c.remoteId).toBe('string')
            expect(c.remoteId.length).toBeGreaterThan(0)
            expect(typeof c.remoteAddress).toBe('string')
            expect(c.remoteAddress.length).toBeGreaterThan(0)
            expect(typeof c.transport).toBe('string')
            expect(c.transport.length).toBeGreaterThan(0)
            expect(Number.isInteger(c.version)).toBe(true)
            expect(c.closeInfo).toBeUndefined()
          }
          expect(pair.inbound.version).toBe(pair.outbound.version)
          expect(pair.inbound.transport).toBe(pair.outbound.transport)
          // each end names the other node, not itself
          expect(pair.inbound.remoteId).not.toBe(pair.outbound.remoteId)
        },
        timeout,
      )
    })

    describe('ordering', () => {
      it(
        'concurrent writes arrive in call order, with code, size and payload intact',
        async () => {
          const n = 40
          const bodies = Array.from({ length: n }, (_, i) => payload(i * 37, i + 1))
          const writes = bodies.map((b, i) => pair.outbound.writeMsg(i % 16, b))
          const got: Msg[] = []
          for (let i = 0; i < n; i++) got.push(await pair.inbound.readMsg())
          await Promise.all(writes)
          got.forEach((m, i) => {
            expectMsg(m, i % 16, bodies[i] as Uint8Array)
          })
        },
        timeout,
      )

      it(
        'both directions at once keep their own order',
        async () => {
          const n = 20
          const ab = Array.from({ length: n }, (_, i) => payload(10 + i, 100 + i))
          const ba = Array.from({ length: n }, (_, i) => payload(20 + i, 200 + i))
          const w1 = ab.map((b, i) => pair.outbound.writeMsg(i % 16, b))
          const w2 = ba.map((b, i) => pair.inbound.writeMsg(i % 16, b))
          for (let i = 0; i < n; i++) {
            expectMsg(await pair.inbound.readMsg(), i % 16, ab[i] as Uint8Array)
            expectMsg(await pair.outbound.readMsg(), i % 16, ba[i] as Uint8Array)
          }
          await Promise.all([...w1, ...w2])
        },
        timeout,
      )

      it(
        'an empty payload and one of exactly the cap arrive intact',
        async () => {
          const big = payload(pair.maxMessageSizeBytes, 7)
          await pair.outbound.writeMsg(1, new Uint8Array(0))
          await pair.outbound.writeMsg(2, big)
          expectMsg(await pair.inbound.readMsg(), 1, new Uint8Array(0))
          expectMsg(await pair.inbound.readMsg(), 2, big)
        },
        timeout,
      )
    })

    describe('concurrent reads', () => {
      it(
        'reads issued before any message are served first come, first served',
        async () => {
          const reads = [0, 1, 2].map(() => track(pair.inbound.readMsg()))
          for (let i = 0; i < 3; i++) await pair.outbound.writeMsg(i, payload(8, i + 1))
          const got = await Promise.all(reads.map((r) => r.outcome))
          got.forEach((o, i) => {
            expect(o.ok).toBe(true)
            if (o.ok) expectMsg(o.value, i, payload(8, i + 1))
          })
        },
        timeout,
      )

      it(
        'reads issued while messages are waiting take them in order, then wait for the next',
        async () => {
          await pair.outbound.writeMsg(0, payload(4, 1))
          await pair.outbound.writeMsg(1, payload(4, 2))
          expectMsg(await pair.inbound.readMsg(), 0, payload(4, 1))
          const reads = [0, 1, 2].map(() => track(pair.inbound.readMsg()))
          await pair.outbound.writeMsg(2, payload(4, 3))
          await pair.outbound.writeMsg(3, payload(4, 4))
          const got = await Promise.all(reads.map((r) => r.outcome))
          got.forEach((o, i) => {
            expect(o.ok).toBe(true)
            if (o.ok) expectMsg(o.value, i + 1, payload(4, i + 2))
          })
        },
        timeout,
      )
    })

    describe('abort', () => {
      it(
        'an already-aborted signal rejects with its reason and takes no message',
        async () => {
          await pair.outbound.writeMsg(0, payload(4, 1))
          await pair.outbound.writeMsg(1, payload(4, 2))
          expectMsg(await pair.inbound.readMsg(), 0, payload(4, 1))
          await letArrive() // message 1 is now waiting on the inbound end
          const reason = new Error('aborted before the call')
          const err = await rejection(pair.inbound.readMsg(AbortSignal.abort(reason)))
          expect(err).toBe(reason)
          expectMsg(await pair.inbound.readMsg(), 1, payload(4, 2))
        },
        timeout,
      )

      it(
        'an already-aborted signal with nothing waiting rejects, and the next message goes to the next read',
        async () => {
          const reason = new Error('aborted before the call')
          const err = await rejection(pair.inbound.readMsg(AbortSignal.abort(reason)))
          expect(err).toBe(reason)
          await pair.outbound.writeMsg(5, payload(4, 5))
          expectMsg(await pair.inbound.readMsg(), 5, payload(4, 5))
        },
        timeout,
      )

      it(
        'aborting a waiting read rejects it with the reason; the next message goes to the next read',
        async () => {
          const ac = new AbortController()
          const waiting = track(pair.inbound.readMsg(ac.signal))
          const reason = new Error('gave up')
          ac.abort(reason)
          const o = await waiting.outcome
          expect(o.ok).toBe(false)
          if (!o.ok) expect(o.error).toBe(reason)
          await pair.outbound.writeMsg(3, payload(4, 3))
          expectMsg(await pair.inbound.readMsg(), 3, payload(4, 3))
        },
        timeout,
      )

      it(
        'aborting one of several waiting reads leaves the others in order',
        async () => {
          const ac = new AbortController()
          const first = track(pair.inbound.readMsg())
          const second = track(pair.inbound.readMsg(ac.signal))
          const third = track(pair.inbound.readMsg())
          ac.abort(new Error('only the second'))
          expect((await second.outcome).ok).toBe(false)
          await pair.outbound.writeMsg(0, payload(4, 1))
          await pair.outbound.writeMsg(1, payload(4, 2))
          const a = await first.outcome
          const c = await third.outcome
          expect(a.ok && c.ok).toBe(true)
          if (a.ok) expectMsg(a.value, 0, payload(4, 1))
          if (c.ok) expectMsg(c.value, 1, payload(4, 2))
        },
        timeout,
      )

      it(
        'an abort without a reason rejects with an AbortError',
        async () => {
          const ac = new AbortController()
          const waiting = track(pair.inbound.readMsg(ac.signal))
          ac.abort()
          const o = await waiting.outcome
          expect(o.ok).toBe(false)
          if (!o.ok) expect(o.error).toMatchObject({ name: 'AbortError' })
        },
        timeout,
      )

      it(
        'aborting after the read resolved changes nothing',
        async () => {
          const ac = new AbortController()
          const read = pair.inbound.readMsg(ac.signal)
          await pair.outbound.writeMsg(0, payload(4, 1))
          expectMsg(await read, 0, payload(4, 1))
          ac.abort(new Error('too late'))
          await pair.outbound.writeMsg(1, payload(4, 2))
          expectMsg(await pair.inbound.readMsg(), 1, payload(4, 2))
          expect(pair.inbound.closeInfo).toBeUndefined()
        },
        timeout,
      )
    })

    describe('oversize messages', () => {
      for (const writer of ['outbound', 'inbound'] as const) {
        it(
          `a write over the cap from the ${writer} end rejects with ErrMsgTooLarge; the stream stays usable`,
          async () => {
            const [w, r] = ends(writer)
            const err = await rejection(w.writeMsg(1, payload(pair.maxMessageSizeBytes + 1, 3)))
            expect(err).toMatchObject({ code: 'ErrMsgTooLarge' })
            expect(w.closeInfo).toBeUndefined()
            const body = payload(pair.maxMessageSizeBytes, 4)
            await w.writeMsg(2, body)
            expectMsg(await r.readMsg(), 2, body)
            await r.writeMsg(3, payload(16, 5))
            expectMsg(await w.readMsg(), 3, payload(16, 5))
            expect(r.closeInfo).toBeUndefined()
          },
          timeout,
        )
      }
    })

    for (const side of ['outbound', 'inbound'] as const) {
      describe(`close from the ${side} end`, () => {
        it(
          'idle: both ends see the reason, the closer with remote false and the peer with remote true',
          async () => {
            const [closer, peer] = ends(side)
            const peerRead = track(peer.readMsg())
            await closer.close(Reason.TooManyPeers)
            expect(closer.closeInfo).toEqual({ reason: Reason.TooManyPeers, remote: false })
            const o = await peerRead.outcome
            expect(o.ok).toBe(false)
            if (!o.ok) expectClosed(o.error, Reason.TooManyPeers, true)
            expect(peer.closeInfo).toEqual({ reason: Reason.TooManyPeers, remote: true })
          },
          timeout,
        )

        it(
          'without a reason the reason is Requested (0x00)',
          async () => {
            const [closer, peer] = ends(side)
            const peerRead = track(peer.readMsg())
            await closer.close()
            expect(closer.closeInfo).toEqual({ reason: Reason.Requested, remote: false })
            const o = await peerRead.outcome
            if (!o.ok) expectClosed(o.error, Reason.Requested, true)
            expect(o.ok).toBe(false)
          },
          timeout,
        )

        it(
          'pending reads on both ends reject with ErrClosed carrying reason and remote',
          async () => {
            const [closer, peer] = ends(side)
            const local = [track(closer.readMsg()), track(closer.readMsg())]
            const remote = [track(peer.readMsg()), track(peer.readMsg())]
            await closer.close(Reason.UselessPeer)
            for (const r of local) {
              const o = await r.outcome
              expect(o.ok).toBe(false)
              if (!o.ok) expectClosed(o.error, Reason.UselessPeer, false)
            }
            for (const r of remote) {
              const o = await r.outcome
              expect(o.ok).toBe(false)
              if (!o.ok) expectClosed(o.error, Reason.UselessPeer, true)
            }
          },
          timeout,
        )

        it(
          'queued unread messages are dropped: reads after a local close reject',
          async () => {
            const [closer, peer] = ends(side)
            for (let i = 0; i < 3; i++) await peer.writeMsg(i, payload(8, i + 1))
            expectMsg(await closer.readMsg(), 0, payload(8, 1))
            await letArrive()
            await closer.close(Reason.ClientQuitting)
            expectClosed(await rejection(closer.readMsg()), Reason.ClientQuitting, false)
            expectClosed(await rejection(closer.readMsg()), Reason.ClientQuitting, false)
          },
          timeout,
        )

        it(
          'messages sent before the close reach the peer as an in-order prefix, then ErrClosed',
          async () => {
            const [closer, peer] = ends(side)
            const n = 5
            for (let i = 0; i < n; i++) void closer.writeMsg(i, payload(8, i + 1)).catch(() => {})
            await closer.close(Reason.SubprotocolError)
            let i = 0
            for (;;) {
              const o = await track(peer.readMsg()).outcome
              if (!o.ok) {
                expectClosed(o.error, Reason.SubprotocolError, true)
                break
              }
              expect(i).toBeLessThan(n)
              expectMsg(o.value, i, payload(8, i + 1))
              i++
            }
          },
          timeout,
        )

        it(
          'closing twice: the second call resolves and the first reason stays',
          async () => {
            const [closer, peer] = ends(side)
            const peerRead = track(peer.readMsg())
            const first = closer.close(Reason.TooManyPeers)
            const second = closer.close(Reason.Timeout)
            await Promise.all([first, second])
            await closer.close(Reason.UselessPeer)
            expect(closer.closeInfo).toEqual({ reason: Reason.TooManyPeers, remote: false })
            const o = await peerRead.outcome
            if (!o.ok) expectClosed(o.error, Reason.TooManyPeers, true)
            expect(o.ok).toBe(false)
            expect(peer.closeInfo).toEqual({ reason: Reason.TooManyPeers, remote: true })
          },
          timeout,
        )

        it(
          'the peer closing after it saw the close resolves and keeps what it saw',
          async () => {
            const [closer, peer] = ends(side)
            const peerRead = track(peer.readMsg())
            await closer.close(Reason.ClientQuitting)
            expect((await peerRead.outcome).ok).toBe(false)
            await peer.close(Reason.UselessPeer)
            expect(peer.closeInfo).toEqual({ reason: Reason.ClientQuitting, remote: true })
            expect(closer.closeInfo).toEqual({ reason: Reason.ClientQuitting, remote: false })
          },
          timeout,
        )

        it(
          'writes after the close reject with ErrClosed on both ends',
          async () => {
            const [closer, peer] = ends(side)
            const peerRead = track(peer.readMsg())
            await closer.close(Reason.UselessPeer)
            await peerRead.outcome
            expectClosed(
              await rejection(closer.writeMsg(1, payload(4, 1))),
              Reason.UselessPeer,
              false,
            )
            expectClosed(await rejection(peer.writeMsg(1, payload(4, 1))), Reason.UselessPeer, true)
            expectClosed(await rejection(peer.readMsg()), Reason.UselessPeer, true)
          },
          timeout,
        )
      })
    }

    describe('close from both ends at once', () => {
      it(
        'both calls resolve; each end is closed and its reads reject with what its closeInfo says',
        async () => {
          const reads = [track(pair.outbound.readMsg()), track(pair.inbound.readMsg())]
          await Promise.all([
            pair.outbound.close(Reason.TooManyPeers),
            pair.inbound.close(Reason.UselessPeer),
          ])
          const conns = [pair.outbound, pair.inbound]
          for (let i = 0; i < 2; i++) {
            const c = conns[i] as EthConnection
            const info = c.closeInfo
            expect(info).toBeDefined()
            if (info === undefined) continue
            // either its own reason (not remote) or the other's (remote)
            const own = i === 0 ? Reason.TooManyPeers : Reason.UselessPeer
            const other = i === 0 ? Reason.UselessPeer : Reason.TooManyPeers
            expect(info).toEqual(
              info.remote ? { reason: other, remote: true } : { reason: own, remote: false },
            )
            const o = await (reads[i] as ReturnType<typeof track<Msg>>).outcome
            expect(o.ok).toBe(false)
            if (!o.ok) expectClosed(o.error, info.reason, info.remote)
          }
        },
        timeout,
      )
    })

    describe('disconnect reasons', () => {
      const reasons = [
        ['Requested', Reason.Requested],
        ['UselessPeer', Reason.UselessPeer],
        ['TooManyPeers', Reason.TooManyPeers],
        ['ClientQuitting', Reason.ClientQuitting],
        ['Timeout', Reason.Timeout],
        ['SubprotocolError', Reason.SubprotocolError],
      ] as const
      for (const [label, reason] of reasons) {
        it(
          `${label} (0x${reason.toString(16).padStart(2, '0')}) reaches the other end as sent`,
          async () => {
            const read = track(pair.outbound.readMsg())
            await pair.inbound.close(reason)
            const o = await read.outcome
            expect(o.ok).toBe(false)
            if (!o.ok) expectClosed(o.error, reason, true)
            expect(pair.outbound.closeInfo).toEqual({ reason, remote: true })
          },
          timeout,
        )
      }
    })
  })
}
