/**
 * Libp2pEthConnection against a scripted stream, for the ordering the real libp2p pair only shows
 * now and then: the connection reports itself closed (and the transport hangs up) only once the
 * stream is done, never while our Disconnect frame may still be on its way out.
 */
import { describe, expect, it, onTestFinished, vi } from 'vitest'
import { Libp2pEthConnection } from '../src/connection.js'
import { disconnectFrameCode } from '../src/constants.js'
import { FrameDecoder } from '../src/framing.js'
import type { FrameStream } from '../src/types.js'
import { DisconnectReason } from '../src/wire.js'

type Listener = (evt: never) => void

/** A stream whose far end is the test: it records what is sent and closes when told to. */
class ScriptedStream implements FrameStream {
  readonly protocol = '/eth/68'
  status = 'open'
  writeBufferLength = 0
  maxReadBufferLength = 0
  readonly sent: Uint8Array[] = []
  readonly aborted: Error[] = []
  readonly #listeners = new Map<string, Set<Listener>>()

  send(data: Uint8Array): boolean {
    this.sent.push(data)
    return true
  }
  async close(): Promise<void> {
    // our writing end is closed; the far end has not closed its own yet
    this.status = 'closing'
  }
  abort(err: Error): void {
    this.aborted.push(err)
    this.farEndClosed({ error: err, local: true })
  }
  pause(): void {}
  resume(): void {}
  addEventListener(type: string, listener: Listener): void {
    const set = this.#listeners.get(type) ?? new Set<Listener>()
    this.#listeners.set(type, set)
    set.add(listener)
  }
  removeEventListener(type: string, listener: Listener): void {
    this.#listeners.get(type)?.delete(listener)
  }
  /** The far end closes too: the stream is done. */
  farEndClosed(evt: { error?: Error; local?: boolean } = {}): void {
    this.status = evt.error === undefined ? 'closed' : 'aborted'
    for (const l of [...(this.#listeners.get('close') ?? [])]) (l as (e: unknown) => void)(evt)
  }
}

function connection(stream: ScriptedStream, onClosed: () => void, closeTimeoutMs = 2_000) {
  return new Libp2pEthConnection({
    stream,
    version: 68,
    direction: 'outbound',
    remoteId: 'peer',
    remoteAddress: '/ip4/127.0.0.1/tcp/1',
    maxMessageSizeBytes: 1024,
    now: () => 0,
    closeTimeoutMs,
    onClosed,
  })
}

describe('closing a Libp2pEthConnection', () => {
  it('sends the Disconnect frame, then waits for the peer to close its end before onClosed', async () => {
    // fake timers: the whole close timeout but one millisecond passes with the far end silent
    vi.useFakeTimers()
    onTestFinished(() => {
      vi.useRealTimers()
    })
    const closeTimeoutMs = 2_000
    const stream = new ScriptedStream()
    const onClosed = vi.fn()
    const conn = connection(stream, onClosed, closeTimeoutMs)
    let closed = false
    const closing = conn.close(DisconnectReason.UselessPeer).then(() => {
      closed = true
    })
    await vi.advanceTimersByTimeAsync(closeTimeoutMs - 1)
    expect(stream.aborted).toEqual([])
    const frames: number[][] = []
    const decoder = new FrameDecoder({ maxPayloadBytes: 16 })
    for (const chunk of stream.sent) decoder.push(chunk, (f) => frames.push([f.code, ...f.payload]))
    expect(frames).toEqual([[disconnectFrameCode, DisconnectReason.UselessPeer]])
    expect(conn.closeInfo).toEqual({ reason: DisconnectReason.UselessPeer, remote: false })
    // The frame may still sit in a buffer below us: hanging up now could drop it.
    expect(onClosed).not.toHaveBeenCalled()
    expect(closed).toBe(false)
    stream.farEndClosed()
    expect(onClosed).toHaveBeenCalledTimes(1)
    await closing
    expect(onClosed).toHaveBeenCalledWith({ reason: DisconnectReason.UselessPeer, remote: false })
    stream.farEndClosed()
    expect(onClosed).toHaveBeenCalledTimes(1)
    expect(stream.aborted).toEqual([])
  })

  it('a peer that never closes its end is aborted after the close timeout, and then onClosed runs', async () => {
    vi.useFakeTimers()
    try {
      const stream = new ScriptedStream()
      const onClosed = vi.fn()
      const conn = connection(stream, onClosed, 500)
      const closing = conn.close(DisconnectReason.TooManyPeers)
      await vi.advanceTimersByTimeAsync(499)
      expect(onClosed).not.toHaveBeenCalled()
      await vi.advanceTimersByTimeAsync(1)
      await closing
      expect(stream.aborted.map((e) => e.message)).toEqual(['stream not closed by peer in time'])
      expect(onClosed).toHaveBeenCalledTimes(1)
    } finally {
      vi.useRealTimers()
    }
  })

  it('a stream that is already gone reports onClosed at once', async () => {
    const stream = new ScriptedStream()
    const onClosed = vi.fn()
    connection(stream, onClosed)
    stream.farEndClosed({ error: new Error('reset') })
    expect(onClosed).toHaveBeenCalledWith({ reason: DisconnectReason.NetworkError, remote: true })
  })
})
