/**
 * Snappy (EIP-706) for message data, with the decompressed length read from the varint header
 * and checked against the cap BEFORE anything is allocated or decompressed.
 */
import { compress, uncompress } from 'snappyjs'
import { isRlpxError, RlpxError } from './errors.js'

/**
 * The decompressed length announced by a snappy block (its leading varint), or -1 if the varint
 * is malformed (truncated, or more than 32 bits).
 */
export function snappyDecodedLength(data: Uint8Array): number {
  let result = 0
  let shift = 0
  for (let i = 0; i < 5 && i < data.length; i++) {
    const b = data[i]!
    result += (b & 0x7f) * 2 ** shift
    if ((b & 0x80) === 0) return result > 0xffffffff ? -1 : result
    shift += 7
  }
  return -1
}

export function snappyCompress(data: Uint8Array): Uint8Array {
  return compress(data)
}

/**
 * Decompresses `data`, refusing (with `RlpxError('ErrSnappy')`, `tooLarge: true` in the message)
 * any block that announces more than `maxLength` bytes. Returns the length check result separately
 * so callers can map an over-cap message to their own error.
 */
export function snappyUncompress(data: Uint8Array, maxLength: number): Uint8Array {
  const len = snappyDecodedLength(data)
  if (len < 0) throw new RlpxError('ErrSnappy', 'malformed snappy length header')
  if (len > maxLength) throw new SnappyTooLargeError(len, maxLength)
  let out: Uint8Array
  try {
    out = uncompress(data, maxLength)
  } catch (cause) {
    throw new RlpxError('ErrSnappy', 'invalid snappy data', { cause })
  }
  if (out.length !== len) throw new RlpxError('ErrSnappy', 'snappy length mismatch')
  return out
}

/** The announced decompressed size is over the cap (nothing was decompressed). */
export class SnappyTooLargeError extends RlpxError {
  constructor(
    readonly announced: number,
    readonly limit: number,
  ) {
    super('ErrSnappy', `decompressed size ${announced} exceeds the limit of ${limit}`)
  }
}

/** Whether `err` is a {@link SnappyTooLargeError}: an `ErrSnappy` RlpxError that names the sizes. */
export function isSnappyTooLarge(err: unknown): err is SnappyTooLargeError {
  return (
    isRlpxError(err, 'ErrSnappy') &&
    typeof (err as { announced?: unknown }).announced === 'number' &&
    typeof (err as { limit?: unknown }).limit === 'number'
  )
}
