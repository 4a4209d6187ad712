import { describe, expect, it } from 'vitest'
import { DisconnectReason, isWireError, type WireError } from '../src/index.js'
import { msgPipe } from '../src/testing.js'

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p
  } catch (e) {
    return e
  }
  throw new Error('expected a rejection')
}

describe('msgPipe', () => {
  it('delivers messages in order with size and receivedAt from the injected clock', async () => {
    let t = 1000
    const [a, b] = msgPipe({ version: 69, now: () => t++ })
    expect(a.version).toBe(69)
    expect(a.transport).toBe('pipe')
    expect([a.direction, b.direction]).toEqual(['outbound', 'inbound'])
    await a.writeMsg(1, Uint8Array.of(1, 2))
    await a.writeMsg(2, Uint8Array.of(3))
    const m1 = await b.readMsg()
    const m2 = await b.readMsg()
    expect([m1.code, m1.size, m1.receivedAt]).toEqual([1, 2, 1000])
    expect([m2.code, m2.size, m2.receivedAt]).toEqual([2, 1, 1001])
    // and the other direction, with a read pending before the write
    const pending = a.readMsg()
    await b.writeMsg(7, new Uint8Array(0))
    expect((await pending).code).toBe(7)
  })

  it('close on one side rejects pending and later reads on both sides with ErrClosed, reason and remote', async () => {
    const [a, b] = msgPipe()
    const pa = a.readMsg()
    const pb = b.readMsg()
    await a.close(DisconnectReason.TooManyPeers)
    const ea = (await rejection(pa)) as WireError
    const eb = (await rejection(pb)) as WireError
    expect(isWireError(ea, 'ErrClosed') && isWireError(eb, 'ErrClosed')).toBe(true)
    expect([ea.reason, ea.remote]).toEqual([DisconnectReason.TooManyPeers, false])
    expect([eb.reason, eb.remote]).toEqual([DisconnectReason.TooManyPeers, true])
    const later = (await rejection(b.readMsg())) as WireError
    expect([later.code, later.remote]).toEqual(['ErrClosed', true])
    expect(isWireError(await rejection(a.writeMsg(1, new Uint8Array(0))), 'ErrClosed')).toBe(true)
    expect(b.closeInfo).toEqual({ reason: DisconnectReason.TooManyPeers, remote: true })
    expect(a.closeInfo).toEqual({ reason: DisconnectReason.TooManyPeers, remote: false })
    await b.close(DisconnectReason.Requested) // idempotent: the first reason stays
    expect(a.closeInfo?.reason).toBe(DisconnectReason.TooManyPeers)
  })

  it('drops unread messages on close', async () => {
    const [a, b] = msgPipe()
    await a.writeMsg(1, new Uint8Array(0))
    await b.close()
    expect(isWireError(await rejection(b.readMsg()), 'ErrClosed')).toBe(true)
  })

  it('rejects writes over the cap with ErrMsgTooLarge and stays open', async () => {
    const [a, b] = msgPipe({ maxMessageSize: 10 })
    expect(isWireError(await rejection(a.writeMsg(1, new Uint8Array(11))), 'ErrMsgTooLarge')).toBe(
      true,
    )
    await a.writeMsg(1, new Uint8Array(10))
    expect((await b.readMsg()).size).toBe(10)
  })

  it('aborts a pending read with the signal and keeps the stream usable', async () => {
    const [a, b] = msgPipe()
    const ac = new AbortController()
    const p = b.readMsg(ac.signal)
    ac.abort()
    const e = (await rejection(p)) as Error
    expect(e.name).toBe('AbortError')
    expect(isWireError(await rejection(b.readMsg(AbortSignal.abort())))).toBe(false)
    await a.writeMsg(3, new Uint8Array(0))
    expect((await b.readMsg()).code).toBe(3)
  })

  it('queues concurrent reads first come, first served; aborting one skips it', async () => {
    const [a, b] = msgPipe()
    const ac = new AbortController()
    const r1 = b.readMsg()
    const r2 = b.readMsg(ac.signal)
    const r3 = b.readMsg()
    ac.abort(new Error('not this one'))
    await a.writeMsg(1, new Uint8Array(0))
    await a.writeMsg(2, new Uint8Array(0))
    expect((await r1).code).toBe(1)
    expect(((await rejection(r2)) as Error).message).toBe('not this one')
    expect((await r3).code).toBe(2)
  })

  it('an already-aborted signal takes no message even when one is waiting', async () => {
    const [a, b] = msgPipe()
    await a.writeMsg(5, new Uint8Array(0))
    const reason = new Error('aborted')
    expect(await rejection(b.readMsg(AbortSignal.abort(reason)))).toBe(reason)
    expect((await b.readMsg()).code).toBe(5)
  })
})
