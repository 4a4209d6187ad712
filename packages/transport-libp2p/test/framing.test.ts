import { describe, expect, it } from 'vitest'
import { encodeFrame, encodeFrameHeader, type Frame, FrameDecoder } from '../src/index.js'
import { WireError } from '../src/wire.js'

const MiB = 1024 * 1024

function decodeAll(decoder: FrameDecoder, chunks: Uint8Array[]): Frame[] {
  const out: Frame[] = []
  for (const c of chunks)
    decoder.push(c, (f) => out.push({ code: f.code, payload: f.payload.slice() }))
  return out
}

function expectWireError(fn: () => void, code: string): WireError {
  try {
    fn()
  } catch (err) {
    expect(err).toBeInstanceOf(WireError)
    expect((err as WireError).code).toBe(code)
    return err as WireError
  }
  throw new Error('expected a WireError')
}

describe('frame encoding', () => {
  it('writes varint code and varint length', () => {
    expect([...encodeFrameHeader(0x03, 5)]).toEqual([0x03, 0x05])
    expect([...encodeFrameHeader(0x7fff, 300)]).toEqual([0xff, 0xff, 0x01, 0xac, 0x02])
    expect([...encodeFrame(0x10, new Uint8Array([1, 2]))]).toEqual([0x10, 0x02, 1, 2])
    expect(() => encodeFrameHeader(-1, 0)).toThrow(RangeError)
  })
})

describe('FrameDecoder', () => {
  it('decodes frames split at every possible byte boundary', () => {
    const payloadA = Uint8Array.from({ length: 300 }, (_, i) => i & 0xff)
    const payloadB = new Uint8Array(0)
    const payloadC = Uint8Array.from([9, 8, 7])
    const wire = new Uint8Array([
      ...encodeFrame(0x11, payloadA),
      ...encodeFrame(0x00, payloadB),
      ...encodeFrame(200, payloadC),
    ])
    for (let cut = 0; cut <= wire.length; cut++) {
      const frames = decodeAll(new FrameDecoder({ maxPayloadBytes: MiB }), [
        wire.subarray(0, cut),
        wire.subarray(cut),
      ])
      expect(frames.map((f) => f.code)).toEqual([0x11, 0x00, 200])
      expect(frames[0]?.payload).toEqual(payloadA)
      expect(frames[1]?.payload.length).toBe(0)
      expect(frames[2]?.payload).toEqual(payloadC)
    }
    // One byte at a time.
    const bytewise = decodeAll(
      new FrameDecoder({ maxPayloadBytes: MiB }),
      [...wire].map((b) => Uint8Array.of(b)),
    )
    expect(bytewise.map((f) => f.payload.length)).toEqual([300, 0, 3])
  })

  it('reports partial state: nothing emitted until the payload is complete', () => {
    const d = new FrameDecoder({ maxPayloadBytes: MiB })
    const frame = encodeFrame(0x04, new Uint8Array(1000).fill(7))
    expect(decodeAll(d, [frame.subarray(0, 500)])).toEqual([])
    expect(d.atFrameBoundary).toBe(false)
    expect(d.bufferedBytes).toBe(500 - 3)
    const rest = decodeAll(d, [frame.subarray(500)])
    expect(rest).toHaveLength(1)
    expect(d.atFrameBoundary).toBe(true)
    expect(d.bufferedBytes).toBe(0)
  })

  it('refuses an over-cap length from the prefix alone, before any payload byte is buffered', () => {
    const d = new FrameDecoder({ maxPayloadBytes: 10 * MiB })
    // Header only: code 0x0a, length 10 MiB + 1. No payload bytes follow.
    const header = encodeFrameHeader(0x0a, 10 * MiB + 1)
    const err = expectWireError(() => d.push(header, () => {}), 'ErrMsgTooLarge')
    expect(err.message).toContain(String(10 * MiB + 1))
    expect(d.bufferedBytes).toBe(0)
    // The decoder stays failed: the stream cannot be resynchronised.
    expectWireError(() => d.push(new Uint8Array([0, 0]), () => {}), 'ErrMsgTooLarge')
  })

  it('accepts exactly the cap', () => {
    const d = new FrameDecoder({ maxPayloadBytes: 64 })
    const frames = decodeAll(d, [encodeFrame(1, new Uint8Array(64))])
    expect(frames[0]?.payload.length).toBe(64)
    expectWireError(() => d.push(encodeFrameHeader(1, 65), () => {}), 'ErrMsgTooLarge')
  })

  it('rejects bad prefixes with typed errors', () => {
    const fresh = () => new FrameDecoder({ maxPayloadBytes: MiB })
    // non-minimal code varint (0x80 0x00 = 0 in two bytes)
    expectWireError(() => fresh().push(Uint8Array.of(0x80, 0x00, 0x00), () => {}), 'ErrDecode')
    // non-minimal length varint
    expectWireError(() => fresh().push(Uint8Array.of(0x01, 0x85, 0x00), () => {}), 'ErrDecode')
    // code varint longer than 4 bytes
    expectWireError(
      () => fresh().push(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0x01), () => {}),
      'ErrDecode',
    )
    // length varint longer than 8 bytes
    expectWireError(
      () => fresh().push(Uint8Array.of(0x01, ...new Array(8).fill(0xff), 0x01), () => {}),
      'ErrDecode',
    )
    // a 5-byte length far above the cap is "too large", not "undecodable"
    expectWireError(
      () => fresh().push(Uint8Array.of(0x01, 0xff, 0xff, 0xff, 0xff, 0x0f), () => {}),
      'ErrMsgTooLarge',
    )
  })

  it('hands out whole in-chunk payloads without copying, and copies across chunks', () => {
    const d = new FrameDecoder({ maxPayloadBytes: MiB })
    const wire = encodeFrame(2, Uint8Array.of(1, 2, 3))
    let seen: Uint8Array | undefined
    d.push(wire, (f) => {
      seen = f.payload
    })
    expect(seen?.buffer).toBe(wire.buffer)
    // The same frame split inside its payload: the payload is assembled in a buffer of its own,
    // so what the caller later does with either chunk does not reach it.
    const split = wire.length - 2
    const one = wire.slice(0, split)
    const two = wire.slice(split)
    let across: Uint8Array | undefined
    const d2 = new FrameDecoder({ maxPayloadBytes: MiB })
    d2.push(one, () => {
      throw new Error('a frame before its last byte')
    })
    d2.push(two, (f) => {
      across = f.payload
    })
    expect(across).toEqual(Uint8Array.of(1, 2, 3))
    expect(across?.buffer).not.toBe(one.buffer)
    expect(across?.buffer).not.toBe(two.buffer)
    one.fill(0)
    two.fill(0)
    expect(across).toEqual(Uint8Array.of(1, 2, 3))
  })
})
