/**
 * The RLPx (ECIES) handshake messages and the secrets derived from them, as pure functions.
 *
 * We always send the EIP-8 forms (RLP body, random padding, 2-byte size prefix authenticated by
 * the ECIES tag). We accept both EIP-8 and the old fixed-size forms, ignore `auth-vsn`/`ack-vsn`
 * mismatches and extra list elements, and answer an old-format auth with an old-format ack.
 */
import { keccak256 as keccak } from '@ethwire/keccak'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { concatBytes, equalBytes, lenientUint, uint16BE, xorBytes } from './bytes.js'
import {
  eip8PaddingMaxBytes,
  eip8PaddingMinBytes,
  legacyAckLengthBytes,
  legacyAuthLengthBytes,
} from './constants.js'
import {
  ecdhX,
  eciesDecrypt,
  eciesEncrypt,
  eciesOverheadBytes,
  isValidNodeId,
  publicKeyOf,
} from './ecies.js'
import { isRlpxError, RlpxError } from './errors.js'
import type { SessionSecrets } from './frame.js'
import type { RandomBytes } from './types.js'
import { asBytes, asList, type RlpItem, rlpDecode, rlpEncode, rlpItemLength } from './wire.js'

const asUint = (item: RlpItem | undefined, what: string): number =>
  lenientUint(asBytes(item, what), what)

export const handshakeVersion = 4

function padding(random: RandomBytes): Uint8Array {
  const span = eip8PaddingMaxBytes - eip8PaddingMinBytes + 1
  const n = eip8PaddingMinBytes + (random(1)[0]! % span)
  return random(n)
}

function fail(message: string, cause?: unknown): never {
  throw new RlpxError('ErrHandshake', message, cause === undefined ? {} : { cause })
}

/** Decodes the RLP list at the start of an EIP-8 plaintext, ignoring the padding after it. */
function decodeBodyList(plain: Uint8Array, what: string) {
  try {
    const len = rlpItemLength(plain)
    return asList(rlpDecode(plain.subarray(0, len)), what)
  } catch (cause) {
    fail(`${what}: malformed body`, cause)
  }
}

function fixed(b: Uint8Array, len: number, what: string): Uint8Array {
  if (b.length !== len) fail(`${what}: expected ${len} bytes, got ${b.length}`)
  return b
}

/** 65-byte `r || s || v` signature of a 32-byte message (no hashing). */
function signRaw(message: Uint8Array, secretKey: Uint8Array): Uint8Array {
  const rec = secp256k1.sign(message, secretKey, { prehash: false, format: 'recovered' })
  const out = new Uint8Array(65)
  out.set(rec.subarray(1), 0)
  out[64] = rec[0]!
  return out
}

/** The 64-byte public key that signed `message` with the `r || s || v` signature. */
function recoverRaw(sig: Uint8Array, message: Uint8Array): Uint8Array {
  const v = sig[64]!
  if (v > 1) fail('auth: bad signature recovery id')
  const rec = new Uint8Array(65)
  rec[0] = v
  rec.set(sig.subarray(0, 64), 1)
  try {
    const pk = secp256k1.recoverPublicKey(rec, message, { prehash: false })
    return secp256k1.Point.fromBytes(pk).toBytes(false).subarray(1)
  } catch (cause) {
    fail('auth: signature does not recover', cause)
  }
}

export interface AuthParams {
  /** Our static key. */
  readonly nodeKey: Uint8Array
  /** The recipient's node id (64 bytes). */
  readonly remoteId: Uint8Array
  readonly ephemeralKey: Uint8Array
  readonly nonce: Uint8Array
  readonly random: RandomBytes
  /** Send the pre-EIP-8 fixed-size form (only for tests of the old format). */
  readonly legacy?: boolean
}

/** The initiator's auth message, ready to send (EIP-8: with its size prefix). */
export function createAuth(p: AuthParams): Uint8Array {
  const staticShared = ecdhX(p.nodeKey, p.remoteId)
  const sig = signRaw(xorBytes(staticShared, p.nonce), p.ephemeralKey)
  const pub = publicKeyOf(p.nodeKey)
  if (p.legacy) {
    const ephPub = publicKeyOf(p.ephemeralKey)
    const plain = concatBytes(sig, keccak(ephPub), pub, p.nonce, Uint8Array.of(0))
    return eciesEncrypt(p.remoteId, plain, new Uint8Array(0), p.random)
  }
  const body = concatBytes(rlpEncode([sig, pub, p.nonce, handshakeVersion]), padding(p.random))
  const prefix = uint16BE(body.length + eciesOverheadBytes)
  return concatBytes(prefix, eciesEncrypt(p.remoteId, body, prefix, p.random))
}

export interface AuthInfo {
  readonly eip8: boolean
  readonly initiatorId: Uint8Array
  readonly initiatorNonce: Uint8Array
  readonly remoteEphemeralId: Uint8Array
  readonly version: number
}

/**
 * Decrypts and checks an auth message (the whole packet as received, prefix included for EIP-8).
 * `eip8` says which form to try; see {@link HandshakeReader} for telling them apart on the wire.
 */
export function readAuth(nodeKey: Uint8Array, packet: Uint8Array, eip8: boolean): AuthInfo {
  let sig: Uint8Array
  let initiatorId: Uint8Array
  let nonce: Uint8Array
  let version = handshakeVersion
  let ephHash: Uint8Array | undefined
  if (eip8) {
    const plain = eciesDecrypt(nodeKey, packet.subarray(2), packet.subarray(0, 2))
    const list = decodeBodyList(plain, 'auth')
    if (list.length < 4) fail('auth: too few elements')
    try {
      sig = fixed(asBytes(list[0], 'sig'), 65, 'auth signature')
      initiatorId = fixed(asBytes(list[1], 'pubkey'), 64, 'auth pubkey')
      nonce = fixed(asBytes(list[2], 'nonce'), 32, 'auth nonce')
      version = asUint(list[3], 'auth-vsn')
    } catch (cause) {
      if (isRlpxError(cause, 'ErrHandshake')) throw cause
      fail('auth: malformed element', cause)
    }
  } else {
    const plain = eciesDecrypt(nodeKey, packet, new Uint8Array(0))
    if (plain.length !== 194) fail('auth: bad legacy length')
    sig = plain.subarray(0, 65)
    ephHash = plain.subarray(65, 97)
    initiatorId = plain.subarray(97, 161)
    nonce = plain.subarray(161, 193)
  }
  if (!isValidNodeId(initiatorId)) fail('auth: initiator public key is not on the curve')
  const staticShared = ecdhX(nodeKey, initiatorId)
  const remoteEphemeralId = recoverRaw(sig, xorBytes(staticShared, nonce))
  if (ephHash && !equalBytes(keccak(remoteEphemeralId), ephHash))
    fail('auth: ephemeral key hash mismatch')
  return {
    eip8,
    initiatorId: initiatorId.slice(),
    initiatorNonce: nonce.slice(),
    remoteEphemeralId,
    version,
  }
}

export interface AckParams {
  /** The initiator's node id. */
  readonly remoteId: Uint8Array
  readonly ephemeralKey: Uint8Array
  readonly nonce: Uint8Array
  readonly random: RandomBytes
  /** Answer in the old fixed-size form (when the auth came in that form). */
  readonly legacy?: boolean
}

export function createAck(p: AckParams): Uint8Array {
  const ephPub = publicKeyOf(p.ephemeralKey)
  if (p.legacy) {
    const plain = concatBytes(ephPub, p.nonce, Uint8Array.of(0))
    return eciesEncrypt(p.remoteId, plain, new Uint8Array(0), p.random)
  }
  const body = concatBytes(rlpEncode([ephPub, p.nonce, handshakeVersion]), padding(p.random))
  const prefix = uint16BE(body.length + eciesOverheadBytes)
  return concatBytes(prefix, eciesEncrypt(p.remoteId, body, prefix, p.random))
}

export interface AckInfo {
  readonly eip8: boolean
  readonly remoteEphemeralId: Uint8Array
  readonly recipientNonce: Uint8Array
  readonly version: number
}

export function readAck(nodeKey: Uint8Array, packet: Uint8Array, eip8: boolean): AckInfo {
  if (eip8) {
    const plain = eciesDecrypt(nodeKey, packet.subarray(2), packet.subarray(0, 2))
    const list = decodeBodyList(plain, 'ack')
    if (list.length < 3) fail('ack: too few elements')
    try {
      const eph = fixed(asBytes(list[0], 'ephemeral'), 64, 'ack ephemeral key')
      const nonce = fixed(asBytes(list[1], 'nonce'), 32, 'ack nonce')
      const version = asUint(list[2], 'ack-vsn')
      if (!isValidNodeId(eph)) fail('ack: ephemeral key is not on the curve')
      return { eip8, remoteEphemeralId: eph.slice(), recipientNonce: nonce.slice(), version }
    } catch (cause) {
      if (isRlpxError(cause, 'ErrHandshake')) throw cause
      fail('ack: malformed element', cause)
    }
  }
  const plain = eciesDecrypt(nodeKey, packet, new Uint8Array(0))
  if (plain.length !== 97) fail('ack: bad legacy length')
  const eph = plain.slice(0, 64)
  if (!isValidNodeId(eph)) fail('ack: ephemeral key is not on the curve')
  return {
    eip8,
    remoteEphemeralId: eph,
    recipientNonce: plain.slice(64, 96),
    version: handshakeVersion,
  }
}

export interface SecretsParams {
  readonly initiator: boolean
  readonly ephemeralKey: Uint8Array
  readonly remoteEphemeralId: Uint8Array
  readonly initiatorNonce: Uint8Array
  readonly recipientNonce: Uint8Array
  /** The auth and ack packets exactly as sent (EIP-8 size prefix included). */
  readonly auth: Uint8Array
  readonly ack: Uint8Array
}

export interface DerivedSecrets extends SessionSecrets {
  readonly ephemeralShared: Uint8Array
  readonly sharedSecret: Uint8Array
}

/** aes-secret, mac-secret and the MAC initialisation material, per the RLPx spec. */
export function deriveSecrets(p: SecretsParams): DerivedSecrets {
  const ephemeralShared = ecdhX(p.ephemeralKey, p.remoteEphemeralId)
  const sharedSecret = keccak(
    concatBytes(ephemeralShared, keccak(concatBytes(p.recipientNonce, p.initiatorNonce))),
  )
  const aesSecret = keccak(concatBytes(ephemeralShared, sharedSecret))
  const macSecret = keccak(concatBytes(ephemeralShared, aesSecret))
  const toRecipient = concatBytes(xorBytes(macSecret, p.recipientNonce), p.auth)
  const toInitiator = concatBytes(xorBytes(macSecret, p.initiatorNonce), p.ack)
  return {
    ephemeralShared,
    sharedSecret,
    aesSecret,
    macSecret,
    egressMacInit: p.initiator ? toRecipient : toInitiator,
    ingressMacInit: p.initiator ? toInitiator : toRecipient,
  }
}

/**
 * Cuts one auth or ack message out of the TCP byte stream. EIP-8 messages start with a 2-byte
 * size; old-format ones with 0x04 (the ECIES key prefix) and have a fixed size. A leading 0x04
 * is ambiguous (an EIP-8 size of 1024..1279), so we first try the old form's length and keep
 * it only if it decrypts.
 */
export class HandshakeReader {
  private buf: Uint8Array = new Uint8Array(0)

  constructor(
    private readonly legacyLength: number,
    private readonly maxLength: number,
    private readonly tryLegacy: (packet: Uint8Array) => boolean,
  ) {}

  static forAuth(maxLength: number, tryLegacy: (p: Uint8Array) => boolean): HandshakeReader {
    return new HandshakeReader(legacyAuthLengthBytes, maxLength, tryLegacy)
  }
  static forAck(maxLength: number, tryLegacy: (p: Uint8Array) => boolean): HandshakeReader {
    return new HandshakeReader(legacyAckLengthBytes, maxLength, tryLegacy)
  }

  push(chunk: Uint8Array): void {
    this.buf = this.buf.length === 0 ? chunk : concatBytes(this.buf, chunk)
  }

  /** Bytes after the message (the first frames may arrive in the same TCP chunk). */
  rest(): Uint8Array {
    return this.buf
  }

  /** The complete packet and its form, or undefined when more bytes are needed. */
  take(): { packet: Uint8Array; eip8: boolean } | undefined {
    if (this.buf.length < 2) return undefined
    if (this.buf[0] === 0x04 && this.buf.length >= this.legacyLength) {
      const candidate = this.buf.subarray(0, this.legacyLength)
      if (this.tryLegacy(candidate)) {
        this.buf = this.buf.subarray(this.legacyLength)
        return { packet: candidate, eip8: false }
      }
    } else if (this.buf[0] === 0x04) {
      // Could still be either form: wait for the old form's length first.
      if (this.buf.length < this.legacyLength) return undefined
    }
    const size = (this.buf[0]! << 8) | this.buf[1]!
    if (size + 2 > this.maxLength) fail(`handshake message of ${size} bytes is too large`)
    if (size < eciesOverheadBytes) fail(`handshake message of ${size} bytes is too small`)
    if (this.buf.length < size + 2) return undefined
    const packet = this.buf.subarray(0, size + 2)
    this.buf = this.buf.subarray(size + 2)
    return { packet, eip8: true }
  }
}
