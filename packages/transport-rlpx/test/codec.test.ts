/**
 * Edge cases of the byte-level parts: frames split at arbitrary TCP boundaries, an EIP-8 auth whose
 * size prefix starts with 0x04 (the old format's first byte), frame-size limits on both paths,
 * the snappy length header, capability matching.
 */

import { rlpEncode } from '@ethwire/rlp-wire'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { describe, expect, it } from 'vitest'
import { concatBytes, equalBytes, uint16BE } from '../src/bytes.js'
import { loadCryptoBackend } from '../src/crypto.js'
import {
  ecdhX,
  eciesEncrypt,
  eciesOverheadBytes,
  publicKeyOf,
  randomSecretKey,
} from '../src/ecies.js'
import { isRlpxError } from '../src/errors.js'
import { FrameCodec, type SessionSecrets } from '../src/frame.js'
import { HandshakeReader, readAuth } from '../src/handshake.js'
import { matchCapabilities } from '../src/p2p.js'
import { snappyCompress, snappyDecodedLength, snappyUncompress } from '../src/snappy.js'
import { systemRandom } from '../src/types.js'

function secrets(): [SessionSecrets, SessionSecrets] {
  const aesSecret = systemRandom(32)
  const macSecret = systemRandom(32)
  const x = systemRandom(40)
  const y = systemRandom(40)
  return [
    { aesSecret, macSecret, egressMacInit: x, ingressMacInit: y },
    { aesSecret, macSecret, egressMacInit: y, ingressMacInit: x },
  ]
}

/** Deterministic pseudo-random generator for reproducible chunking. */
function prng(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0
    return s / 2 ** 32
  }
}

describe('frame codec', () => {
  it('decodes a stream of frames cut at random places, in order', async () => {
    const backend = await loadCryptoBackend('auto')
    const [sa, sb] = secrets()
    const enc = await FrameCodec.create(sa, backend)
    const dec = await FrameCodec.create(sb, backend)
    const rnd = prng(7)
    const msgs = Array.from({ length: 60 }, (_, i) => ({
      code: i % 3 === 0 ? 0x80 + i : i, // some ids need 2 bytes of RLP
      data: systemRandom(Math.floor(rnd() * (i % 10 === 0 ? 200_000 : 700))),
    }))
    const wire = concatBytes(...msgs.flatMap((m) => enc.encodeMessage(m.code, m.data)))
    const got: { code: number; data: Uint8Array }[] = []
    for (let off = 0; off < wire.length; ) {
      const n = 1 + Math.floor(rnd() * 3000)
      dec.push(wire.subarray(off, off + n))
      off += n
      for (let f = dec.next(); f; f = dec.next()) got.push({ code: f.code, data: f.data })
    }
    expect(got.length).toBe(msgs.length)
    for (let i = 0; i < msgs.length; i++) {
      expect(got[i]!.code).toBe(msgs[i]!.code)
      expect(equalBytes(got[i]!.data, msgs[i]!.data)).toBe(true)
    }
    expect(dec.bufferedBytes).toBe(0)
  })

  it('refuses to encode a frame the 24-bit size cannot describe', async () => {
    const backend = await loadCryptoBackend('auto')
    const enc = await FrameCodec.create(secrets()[0], backend)
    let err: unknown
    try {
      enc.encodeMessage(0x10, new Uint8Array(0xffffff))
    } catch (e) {
      err = e
    }
    expect(isRlpxError(err, 'ErrFrameTooLarge')).toBe(true)
  })

  it('refuses an incoming frame over the limit from its header, and stays poisoned', async () => {
    const backend = await loadCryptoBackend('auto')
    const [sa, sb] = secrets()
    const enc = await FrameCodec.create(sa, backend)
    const dec = await FrameCodec.create(sb, backend, { maxFrameSizeBytes: 1000 })
    const [head] = enc.encodeMessage(1, new Uint8Array(5000))
    dec.push(head!) // the header alone is enough to refuse
    expect(() => dec.next()).toThrow(/ErrFrameTooLarge/)
    expect(() => dec.next()).toThrow(/ErrFrameTooLarge/)
  })
})

describe('handshake reader', () => {
  it('reads an EIP-8 auth whose size prefix begins with 0x04 as EIP-8, not the old format', () => {
    const kA = randomSecretKey(systemRandom)
    const kB = randomSecretKey(systemRandom)
    const eph = randomSecretKey(systemRandom)
    const nonce = systemRandom(32)
    const sig = secp256k1.sign(
      ecdhX(kA, publicKeyOf(kB)).map((b, i) => b ^ nonce[i]!),
      eph,
      { prehash: false, format: 'recovered' },
    )
    const rsv = concatBytes(sig.subarray(1), sig.subarray(0, 1))
    const body = concatBytes(rlpEncode([rsv, publicKeyOf(kA), nonce, 4]), systemRandom(820))
    const size = body.length + eciesOverheadBytes
    expect(size >> 8).toBe(4) // prefix 0x04xx
    const prefix = uint16BE(size)
    const packet = concatBytes(prefix, eciesEncrypt(publicKeyOf(kB), body, prefix, systemRandom))
    const reader = HandshakeReader.forAuth(2048, (p) => {
      try {
        readAuth(kB, p, false)
        return true
      } catch {
        return false
      }
    })
    reader.push(packet.subarray(0, 400)) // enough for the old format's 307 bytes: tried, rejected
    expect(reader.take()).toBeUndefined()
    reader.push(packet.subarray(400))
    const got = reader.take()!
    expect(got.eip8).toBe(true)
    expect(readAuth(kB, got.packet, true).initiatorId).toEqual(publicKeyOf(kA))
  })

  it('refuses a size prefix above the limit', () => {
    const reader = HandshakeReader.forAck(2048, () => false)
    reader.push(Uint8Array.of(0x7f, 0xff, 1, 2, 3))
    expect(() => reader.take()).toThrow(/ErrHandshake/)
  })
})

describe('snappy length header', () => {
  it('reads the varint and refuses over-cap or malformed headers without decompressing', () => {
    const data = systemRandom(5000)
    const c = snappyCompress(data)
    expect(snappyDecodedLength(c)).toBe(5000)
    expect(snappyUncompress(c, 5000)).toEqual(data)
    expect(() => snappyUncompress(c, 4999)).toThrow(/exceeds the limit/)
    expect(snappyDecodedLength(Uint8Array.of(0x80, 0x80))).toBe(-1) // truncated varint
    expect(() =>
      snappyUncompress(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0x01), 1 << 30),
    ).toThrow(/ErrSnappy/)
    expect(() => snappyUncompress(Uint8Array.of(10, 0x00), 100)).toThrow(/ErrSnappy/) // says 10, has 1
  })
})

describe('capability matching', () => {
  const eth = {
    name: 'eth',
    versions: [69, 68, 67, 66],
    length: (v: number) => (v >= 69 ? 18 : 17),
  }
  const snap = { name: 'snap', versions: [1], length: () => 8 }
  it('takes the highest shared version per name, alphabetical offsets from 0x10', () => {
    const shared = matchCapabilities(
      [snap, eth],
      [
        { name: 'eth', version: 66 },
        { name: 'eth', version: 68 },
        { name: 'eth', version: 70 },
        { name: 'les', version: 4 },
        { name: 'snap', version: 1 },
      ],
    )
    expect(shared).toEqual([
      { name: 'eth', version: 68, offset: 16, length: 17 },
      { name: 'snap', version: 1, offset: 33, length: 8 },
    ])
  })
  it('names are case-sensitive and nothing shared gives nothing', () => {
    expect(matchCapabilities([eth], [{ name: 'ETH', version: 68 }])).toEqual([])
  })
})
