/**
 * The RLPx frame layer: AES-256-CTR encryption (one keystream per direction, IV zero) and the
 * keccak-based header/frame MACs, 24-bit frame sizes, padding to 16 bytes.
 *
 *     frame = header-ciphertext(16) || header-mac(16) || frame-ciphertext(pad16) || frame-mac(16)
 *
 * MACs are checked before anything is decrypted. A MAC mismatch throws `RlpxError('ErrBadMac')`
 * and poisons the decoder: the keystreams and MAC states can no longer be trusted.
 */
import { xorBytes } from './bytes.js'
import { defaultMaxFrameSizeBytes, maxFrameSizeLimitBytes } from './constants.js'
import type { BlockCipher, CryptoBackend, KeccakState, StreamCipher } from './crypto.js'
import { RlpxError } from './errors.js'

/** One direction's MAC: a running keccak state plus AES-256-ECB keyed with mac-secret. */
export class FrameMac {
  constructor(
    private readonly state: KeccakState,
    private readonly cipher: BlockCipher,
  ) {}

  /** Feeds raw bytes (used once at setup with the `(mac-secret ^ nonce) || auth/ack` material). */
  update(data: Uint8Array): void {
    this.state.update(data)
  }

  /** The full 32-byte digest of the running state. */
  digest(): Uint8Array {
    return this.state.digest()
  }

  /** header-mac-seed = aes(mac-secret, digest[:16]) ^ header-ciphertext; returns digest[:16] after it. */
  updateHeader(headerCiphertext: Uint8Array): Uint8Array {
    const seed = xorBytes(
      this.cipher.encryptBlock(this.state.digest().subarray(0, 16)),
      headerCiphertext,
    )
    this.state.update(seed)
    return this.state.digest().subarray(0, 16)
  }

  /** Feeds the frame ciphertext, then the frame-mac-seed; returns digest[:16] after it. */
  updateBody(frameCiphertext: Uint8Array): Uint8Array {
    this.state.update(frameCiphertext)
    const prev = this.state.digest().subarray(0, 16)
    const seed = xorBytes(this.cipher.encryptBlock(prev), prev)
    this.state.update(seed)
    return this.state.digest().subarray(0, 16)
  }
}

/** What a finished handshake hands to the frame layer. */
export interface SessionSecrets {
  readonly aesSecret: Uint8Array
  readonly macSecret: Uint8Array
  /** Bytes the egress MAC state starts from: `(mac-secret ^ nonce) || auth-or-ack`. */
  readonly egressMacInit: Uint8Array
  readonly ingressMacInit: Uint8Array
}

export interface FrameCodecOptions {
  /** Incoming frames announcing more than this many bytes are refused. */
  readonly maxFrameSizeBytes?: number
}

const HEADER_DATA = Uint8Array.of(0xc2, 0x80, 0x80) // rlp([capability-id 0, context-id 0])

function macEqual(a: Uint8Array, b: Uint8Array): boolean {
  let d = 0
  for (let i = 0; i < 16; i++) d |= a[i]! ^ b[i]!
  return d === 0
}

function rlpUintLength(code: number): number {
  if (code === 0 || code < 0x80) return 1
  let n = 0
  for (let v = code; v > 0; v = Math.floor(v / 256)) n++
  return 1 + n
}

function writeRlpUint(out: Uint8Array, off: number, code: number): void {
  if (code === 0) {
    out[off] = 0x80
    return
  }
  if (code < 0x80) {
    out[off] = code
    return
  }
  const n = rlpUintLength(code) - 1
  out[off] = 0x80 + n
  for (let i = n, v = code; i >= 1; i--, v = Math.floor(v / 256)) out[off + i] = v % 256
}

/** A decoded frame: the message id and the (possibly compressed) message data. */
export interface RawFrame {
  readonly code: number
  readonly data: Uint8Array
  /** frame-size as announced in the header. */
  readonly frameSize: number
}

/**
 * Both directions of the frame layer for one connection. `encode*` produce egress frames;
 * `push()` + `next()` decode ingress frames incrementally from arbitrary TCP chunks.
 */
export class FrameCodec {
  private readonly maxFrameSize: number
  private readonly chunks: Uint8Array[] = []
  private buffered = 0
  /** Body length (padded, plus MAC) we wait for; undefined while waiting for a header. */
  private bodyNeed: number | undefined
  private bodySize = 0
  private poisoned: RlpxError | undefined

  constructor(
    private readonly enc: StreamCipher,
    private readonly dec: StreamCipher,
    private readonly egress: FrameMac,
    private readonly ingress: FrameMac,
    opts: FrameCodecOptions = {},
  ) {
    this.maxFrameSize = Math.min(
      opts.maxFrameSizeBytes ?? defaultMaxFrameSizeBytes,
      maxFrameSizeLimitBytes,
    )
  }

  /** Builds the codec from handshake secrets on the given crypto backend. */
  static async create(
    secrets: SessionSecrets,
    backend: CryptoBackend,
    opts: FrameCodecOptions = {},
  ): Promise<FrameCodec> {
    const iv = new Uint8Array(16)
    const egress = new FrameMac(await backend.keccak(), backend.aesEcb(secrets.macSecret))
    egress.update(secrets.egressMacInit)
    const ingress = new FrameMac(await backend.keccak(), backend.aesEcb(secrets.macSecret))
    ingress.update(secrets.ingressMacInit)
    return new FrameCodec(
      backend.aesCtr(secrets.aesSecret, iv),
      backend.aesCtr(secrets.aesSecret, iv),
      egress,
      ingress,
      opts,
    )
  }

  get egressMac(): FrameMac {
    return this.egress
  }
  get ingressMac(): FrameMac {
    return this.ingress
  }

  /**
   * Encodes one message (`rlp(code) || data`) as a frame. Returns the wire bytes in three parts
   * (header+mac, body ciphertext, frame mac) so a large body is not copied again.
   */
  encodeMessage(code: number, data: Uint8Array): Uint8Array[] {
    const codeLen = rlpUintLength(code)
    const size = codeLen + data.length
    if (size > maxFrameSizeLimitBytes) {
      throw new RlpxError(
        'ErrFrameTooLarge',
        `frame of ${size} bytes exceeds the 24-bit frame size`,
      )
    }
    const header = new Uint8Array(16)
    header[0] = size >>> 16
    header[1] = (size >>> 8) & 0xff
    header[2] = size & 0xff
    header.set(HEADER_DATA, 3)
    const head = new Uint8Array(32)
    const headerCt = this.enc.update(header)
    head.set(headerCt, 0)
    head.set(this.egress.updateHeader(headerCt), 16)

    const padded = (size + 15) & ~15
    const plain = new Uint8Array(padded)
    writeRlpUint(plain, 0, code)
    plain.set(data, codeLen)
    const bodyCt = this.enc.update(plain)
    const mac = this.egress.updateBody(bodyCt)
    return [head, bodyCt, mac]
  }

  /** Adds received bytes. */
  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return
    this.chunks.push(chunk)
    this.buffered += chunk.length
  }

  /** Bytes received but not yet decoded. */
  get bufferedBytes(): number {
    return this.buffered
  }

  private take(n: number): Uint8Array {
    const first = this.chunks[0]!
    let out: Uint8Array
    if (first.length >= n) {
      out = first.subarray(0, n)
      if (first.length === n) this.chunks.shift()
      else this.chunks[0] = first.subarray(n)
    } else {
      out = new Uint8Array(n)
      let off = 0
      while (off < n) {
        const c = this.chunks[0]!
        const want = n - off
        if (c.length <= want) {
          out.set(c, off)
          off += c.length
          this.chunks.shift()
        } else {
          out.set(c.subarray(0, want), off)
          this.chunks[0] = c.subarray(want)
          off += want
        }
      }
    }
    this.buffered -= n
    return out
  }

  private fail(err: RlpxError): never {
    this.poisoned = err
    this.chunks.length = 0
    this.buffered = 0
    throw err
  }

  /**
   * The next complete frame, or undefined if more bytes are needed. Throws `ErrBadMac` or
   * `ErrFrameTooLarge` (and every later call throws the same error).
   */
  next(): RawFrame | undefined {
    if (this.poisoned) throw this.poisoned
    if (this.bodyNeed === undefined) {
      if (this.buffered < 32) return undefined
      const head = this.take(32)
      const headerCt = head.subarray(0, 16)
      const want = this.ingress.updateHeader(headerCt)
      if (!macEqual(want, head.subarray(16, 32)))
        this.fail(new RlpxError('ErrBadMac', 'frame header MAC mismatch'))
      const header = this.dec.update(headerCt)
      const size = (header[0]! << 16) | (header[1]! << 8) | header[2]!
      if (size > this.maxFrameSize) {
        this.fail(
          new RlpxError(
            'ErrFrameTooLarge',
            `frame of ${size} bytes exceeds the limit of ${this.maxFrameSize}`,
          ),
        )
      }
      if (size === 0) this.fail(new RlpxError('ErrProtocol', 'empty frame'))
      this.bodySize = size
      this.bodyNeed = ((size + 15) & ~15) + 16
    }
    if (this.buffered < this.bodyNeed) return undefined
    const body = this.take(this.bodyNeed)
    this.bodyNeed = undefined
    const bodyCt = body.subarray(0, body.length - 16)
    const want = this.ingress.updateBody(bodyCt)
    if (!macEqual(want, body.subarray(body.length - 16)))
      this.fail(new RlpxError('ErrBadMac', 'frame body MAC mismatch'))
    const plain = this.dec.update(bodyCt).subarray(0, this.bodySize)
    return { ...splitCode(plain), frameSize: this.bodySize }
  }
}

function splitCode(frameData: Uint8Array): { code: number; data: Uint8Array } {
  const b0 = frameData[0]!
  if (b0 < 0x80) return { code: b0, data: frameData.subarray(1) }
  if (b0 === 0x80) return { code: 0, data: frameData.subarray(1) }
  const n = b0 - 0x80
  if (
    n > 6 ||
    frameData.length < 1 + n ||
    frameData[1] === 0 ||
    (n === 1 && frameData[1]! < 0x80)
  ) {
    throw new RlpxError('ErrProtocol', 'bad message id encoding')
  }
  let code = 0
  for (let i = 1; i <= n; i++) code = code * 256 + frameData[i]!
  return { code, data: frameData.subarray(1 + n) }
}
