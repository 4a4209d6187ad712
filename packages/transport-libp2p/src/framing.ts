/**
 * The frame format on an eth libp2p stream: `varint(code) ‖ varint(length) ‖ payload`, with unsigned
 * LEB128 varints (the multiformats unsigned-varint), minimal encodings only. The length is checked
 * against the cap as soon as its varint is complete, so an over-cap frame is refused before a single
 * payload byte is kept.
 */
import { maxCodeVarintBytes, maxFrameCode, maxLengthVarintBytes } from './constants.js'
import { WireError } from './wire.js'

/** A decoded frame: its code and payload (a view or copy owned by the caller). */
export interface Frame {
  readonly code: number
  readonly payload: Uint8Array
}

export function varintLength(n: number): number {
  let len = 1
  while (n >= 0x80) {
    n = Math.floor(n / 128)
    len++
  }
  return len
}

/** Writes `n` (a safe non-negative integer) as an unsigned varint at `out[offset]`; returns the new offset. */
export function writeVarint(n: number, out: Uint8Array, offset: number): number {
  while (n >= 0x80) {
    out[offset++] = (n % 128) | 0x80
    n = Math.floor(n / 128)
  }
  out[offset++] = n
  return offset
}

/** The frame header for a message of `code` with `payloadLength` bytes. */
export function encodeFrameHeader(code: number, payloadLength: number): Uint8Array {
  if (!Number.isSafeInteger(code) || code < 0 || code > maxFrameCode)
    throw new RangeError(`frame code out of range: ${code}`)
  const out = new Uint8Array(varintLength(code) + varintLength(payloadLength))
  writeVarint(payloadLength, out, writeVarint(code, out, 0))
  return out
}

/** A whole frame in one buffer (header and payload copied together). */
export function encodeFrame(code: number, payload: Uint8Array): Uint8Array {
  const header = encodeFrameHeader(code, payload.length)
  const out = new Uint8Array(header.length + payload.length)
  out.set(header, 0)
  out.set(payload, header.length)
  return out
}

export interface FrameDecoderOptions {
  /** Largest payload accepted, in bytes. */
  readonly maxPayloadBytes: number
}

enum State {
  Code,
  Length,
  Payload,
  Failed,
}

/**
 * Incremental frame decoder. Feed it chunks as they arrive; it returns the frames they complete.
 * It holds at most one frame's header and payload. After it throws it stays failed (every later
 * `push` throws the same error): a stream with a bad frame cannot be resynchronised.
 */
export class FrameDecoder {
  readonly #maxPayloadBytes: number
  #state = State.Code
  #varint = 0
  #varintBytes = 0
  #code = 0
  #payloadLength = 0
  #payload: Uint8Array | undefined
  #filled = 0
  #error: WireError | undefined

  constructor(options: FrameDecoderOptions) {
    this.#maxPayloadBytes = options.maxPayloadBytes
  }

  /** Bytes of the current partial frame held in memory (payload bytes received so far). */
  get bufferedBytes(): number {
    return this.#state === State.Payload ? this.#filled : 0
  }

  /** True when no partial frame is pending (a clean place for the stream to end). */
  get atFrameBoundary(): boolean {
    return this.#state === State.Code && this.#varintBytes === 0
  }

  /** Decodes what `chunk` completes. Throws `WireError` ('ErrDecode' or 'ErrMsgTooLarge'). */
  push(chunk: Uint8Array, onFrame: (frame: Frame) => void): void {
    if (this.#error !== undefined) throw this.#error
    let i = 0
    const n = chunk.length
    while (i < n) {
      if (this.#state === State.Payload) {
        const want = this.#payloadLength - this.#filled
        const take = Math.min(want, n - i)
        // Fast path: a whole payload inside this chunk is handed out as a view, no copy.
        if (this.#filled === 0 && take === this.#payloadLength) {
          const view = chunk.subarray(i, i + take)
          i += take
          this.#reset()
          onFrame({ code: this.#code, payload: view })
          continue
        }
        // Allocated only once the payload is known to span chunks (never before the cap check).
        this.#payload ??= new Uint8Array(this.#payloadLength)
        const payload = this.#payload
        payload.set(chunk.subarray(i, i + take), this.#filled)
        this.#filled += take
        i += take
        if (this.#filled === payload.length) {
          this.#reset()
          onFrame({ code: this.#code, payload })
        }
        continue
      }
      // A varint byte (code or length).
      const b = chunk[i++] as number
      const isCode = this.#state === State.Code
      const limit = isCode ? maxCodeVarintBytes : maxLengthVarintBytes
      this.#varint += (b & 0x7f) * 2 ** (7 * this.#varintBytes)
      this.#varintBytes++
      if (b & 0x80) {
        if (this.#varintBytes >= limit)
          this.#fail(
            'ErrDecode',
            `frame ${isCode ? 'code' : 'length'} varint longer than ${limit} bytes`,
          )
        continue
      }
      if (b === 0 && this.#varintBytes > 1)
        this.#fail('ErrDecode', `non-minimal frame ${isCode ? 'code' : 'length'} varint`)
      const value = this.#varint
      this.#varint = 0
      this.#varintBytes = 0
      if (isCode) {
        if (value > maxFrameCode) this.#fail('ErrDecode', `frame code ${value} out of range`)
        this.#code = value
        this.#state = State.Length
        continue
      }
      if (value > this.#maxPayloadBytes)
        this.#fail(
          'ErrMsgTooLarge',
          `frame announces ${value} bytes, cap is ${this.#maxPayloadBytes}`,
        )
      if (value === 0) {
        this.#reset()
        onFrame({ code: this.#code, payload: new Uint8Array(0) })
        continue
      }
      this.#state = State.Payload
      this.#filled = 0
      this.#payloadLength = value
    }
  }

  #reset(): void {
    this.#state = State.Code
    this.#payload = undefined
    this.#payloadLength = 0
    this.#filled = 0
  }

  #fail(code: 'ErrDecode' | 'ErrMsgTooLarge', message: string): never {
    this.#state = State.Failed
    this.#payload = undefined
    this.#error = new WireError(code, message)
    throw this.#error
  }
}
