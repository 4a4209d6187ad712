/**
 * Every case of shared/vectors/rlpx_handshake.json (copied to fixtures/): EIP-8 and old-format
 * auth/ack decrypted and answered, derived secrets and MAC digests, geth's golden frame,
 * ethereumjs's MAC vectors, reth's ECDH vector and the EIP-8 Hello packet.
 */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { fromHex, toHex, utf8 } from '../src/bytes.js'
import {
  type CryptoBackend,
  type KeccakState,
  loadCryptoBackend,
  pureCryptoBackend,
} from '../src/crypto.js'
import { ecdhX, ecdhXPure, eciesDecrypt, eciesEncrypt, publicKeyOf } from '../src/ecies.js'
import { isRlpxError } from '../src/errors.js'
import { FrameCodec, FrameMac } from '../src/frame.js'
import {
  createAck,
  createAuth,
  deriveSecrets,
  HandshakeReader,
  readAck,
  readAuth,
} from '../src/handshake.js'
import { decodeHello, encodeHello } from '../src/p2p.js'
import { systemRandom } from '../src/types.js'

const V = JSON.parse(
  readFileSync(new URL('./fixtures/rlpx_handshake.json', import.meta.url), 'utf8'),
)
const h = (s: string) => fromHex(s)
const keyA = h(V.keys.static_key_A)
const keyB = h(V.keys.static_key_B)
const ephA = h(V.keys.ephemeral_key_A)
const ephB = h(V.keys.ephemeral_key_B)
const nonceA = h(V.keys.nonce_A)
const nonceB = h(V.keys.nonce_B)
const pubA = h(V.derived_public_keys.pubA)
const pubB = h(V.derived_public_keys.pubB)
const ephPubA = h(V.derived_public_keys.ephPubA)
const ephPubB = h(V.derived_public_keys.ephPubB)

type HsMsg = {
  name: string
  format: 'eip8' | 'legacy-v4'
  ciphertext_hex: string
  ciphertext_length: number
  decoded: Record<string, unknown>
}
const msg = (name: string): HsMsg => V.handshake_messages.find((m: HsMsg) => m.name === name)
const hex = (b: Uint8Array) => `0x${toHex(b)}`

describe('keys', () => {
  it('derives the node ids of the vector keys', () => {
    expect(publicKeyOf(keyA)).toEqual(pubA)
    expect(publicKeyOf(keyB)).toEqual(pubB)
    expect(publicKeyOf(ephA)).toEqual(ephPubA)
    expect(publicKeyOf(ephB)).toEqual(ephPubB)
  })
  it('static shared secret and reth ECDH vector', () => {
    expect(hex(ecdhX(keyA, pubB))).toBe(V.derived_static_shared_secret)
    expect(hex(ecdhX(keyB, pubA))).toBe(V.derived_static_shared_secret)
    const r = V.ecdh_vector_reth
    expect(toHex(ecdhX(h(r.private_key), h(r.remote_public_key)))).toBe(r.shared_x)
    // the pure path (browsers) agrees with the node:crypto one
    expect(toHex(ecdhXPure(h(r.private_key), h(r.remote_public_key)))).toBe(r.shared_x)
    expect(hex(ecdhXPure(keyA, pubB))).toBe(V.derived_static_shared_secret)
  })
})

describe('auth messages (A -> B)', () => {
  for (const name of ['auth1', 'auth2', 'auth3']) {
    it(`${name}: form detected, decrypted with B's key, fields and signature check out`, () => {
      const m = msg(name)
      const packet = h(m.ciphertext_hex)
      expect(packet.length).toBe(m.ciphertext_length)
      // Feed the reader in small chunks, as TCP might deliver it.
      const reader = HandshakeReader.forAuth(2048, (p) => {
        try {
          readAuth(keyB, p, false)
          return true
        } catch {
          return false
        }
      })
      let got = reader.take()
      for (let i = 0; !got && i < packet.length; i += 50) {
        reader.push(packet.subarray(i, i + 50))
        got = reader.take()
      }
      expect(got).toBeDefined()
      expect(got!.eip8).toBe(m.format === 'eip8')
      expect(got!.packet).toEqual(packet)
      expect(reader.rest().length).toBe(0)
      const info = readAuth(keyB, got!.packet, got!.eip8)
      expect(info.initiatorId).toEqual(pubA)
      expect(hex(info.initiatorNonce)).toBe(m.decoded.initiator_nonce)
      expect(info.remoteEphemeralId).toEqual(ephPubA) // recovered from the signature
      if (m.format === 'eip8') expect(info.version).toBe(m.decoded.auth_vsn)
    })
  }

  it('answers each auth in its own form and both sides derive the same session', async () => {
    for (const name of ['auth1', 'auth2', 'auth3']) {
      const m = msg(name)
      const auth = h(m.ciphertext_hex)
      const eip8 = m.format === 'eip8'
      const info = readAuth(keyB, auth, eip8)
      const ack = createAck({
        remoteId: info.initiatorId,
        ephemeralKey: ephB,
        nonce: nonceB,
        random: systemRandom,
        legacy: !eip8,
      })
      if (!eip8) expect(ack.length).toBe(210)
      else expect(ack[0]).not.toBe(0x04)
      // A reads the answer with its own key.
      const ackInfo = readAck(keyA, ack, eip8)
      expect(ackInfo.remoteEphemeralId).toEqual(ephPubB)
      expect(ackInfo.recipientNonce).toEqual(nonceB)
      const common = { initiatorNonce: nonceA, recipientNonce: nonceB, auth, ack }
      const b = deriveSecrets({
        ...common,
        initiator: false,
        ephemeralKey: ephB,
        remoteEphemeralId: info.remoteEphemeralId,
      })
      const a = deriveSecrets({
        ...common,
        initiator: true,
        ephemeralKey: ephA,
        remoteEphemeralId: ackInfo.remoteEphemeralId,
      })
      expect(hex(a.aesSecret)).toBe(V.derived_secrets.auth1_ack1.aes_secret)
      expect(a.aesSecret).toEqual(b.aesSecret)
      expect(a.macSecret).toEqual(b.macSecret)
      expect(a.egressMacInit).toEqual(b.ingressMacInit)
      expect(a.ingressMacInit).toEqual(b.egressMacInit)
      // A frame from A decodes at B.
      const backend = await loadCryptoBackend('auto')
      const ca = await FrameCodec.create(a, backend)
      const cb = await FrameCodec.create(b, backend)
      for (const part of ca.encodeMessage(0x10, utf8(`hello from ${name}`))) cb.push(part)
      const f = cb.next()
      expect(f?.code).toBe(0x10)
      expect(f?.data).toEqual(utf8(`hello from ${name}`))
    }
  })

  it('our own auth (EIP-8 and old form) is read back by the recipient', () => {
    for (const legacy of [false, true]) {
      const auth = createAuth({
        nodeKey: keyA,
        remoteId: pubB,
        ephemeralKey: ephA,
        nonce: nonceA,
        random: systemRandom,
        legacy,
      })
      const info = readAuth(keyB, auth, !legacy)
      expect(info.initiatorId).toEqual(pubA)
      expect(info.remoteEphemeralId).toEqual(ephPubA)
      expect(info.initiatorNonce).toEqual(nonceA)
      if (legacy) expect(auth.length).toBe(307)
    }
  })

  it('a flipped byte anywhere in the ciphertext is ErrHandshake', () => {
    const auth = h(msg('auth2').ciphertext_hex)
    for (const pos of [1, 10, 100, auth.length - 1]) {
      const bad = auth.slice()
      bad[pos]! ^= 1
      let err: unknown
      try {
        readAuth(keyB, bad, true)
      } catch (e) {
        err = e
      }
      expect(isRlpxError(err, 'ErrHandshake')).toBe(true)
    }
  })
})

describe('ack messages (B -> A)', () => {
  for (const name of ['ack1', 'ack2', 'ack3']) {
    it(`${name}: decrypted with A's key`, () => {
      const m = msg(name)
      const packet = h(m.ciphertext_hex)
      const reader = HandshakeReader.forAck(2048, (p) => {
        try {
          readAck(keyA, p, false)
          return true
        } catch {
          return false
        }
      })
      reader.push(packet)
      const got = reader.take()!
      expect(got.eip8).toBe(m.format === 'eip8')
      const info = readAck(keyA, got.packet, got.eip8)
      expect(info.remoteEphemeralId).toEqual(ephPubB)
      expect(hex(info.recipientNonce)).toBe(m.decoded.recipient_nonce)
      if (m.format === 'eip8') expect(info.version).toBe(m.decoded.ack_vsn)
    })
  }
})

class FixedDigest implements KeccakState {
  update(): void {}
  digest(): Uint8Array {
    return new Uint8Array(32).fill(1)
  }
}

describe('crypto backends', () => {
  it("'auto' takes its keccak from @ethwire/keccak (WebAssembly here); 'pure' stays noble", async () => {
    expect((await loadCryptoBackend('auto')).name).toMatch(/\+wasm-keccak$/)
    expect(pureCryptoBackend.name).toBe('pure')
    const [wasm, noble] = [
      await (await loadCryptoBackend('auto')).keccak(),
      await pureCryptoBackend.keccak(),
    ]
    for (const m of [wasm, noble]) m.update(new TextEncoder().encode('foo'))
    expect(hex(wasm.digest())).toBe(hex(noble.digest()))
  })
})

for (const backendName of ['pure', 'auto'] as const) {
  describe(`secrets, MACs and frames (${backendName} crypto)`, () => {
    const backend = (): Promise<CryptoBackend> =>
      backendName === 'pure' ? Promise.resolve(pureCryptoBackend) : loadCryptoBackend('auto')

    for (const pair of ['auth1_ack1', 'auth2_ack2', 'auth3_ack3'] as const) {
      it(`${pair}: ephemeral key, shared/aes/mac secrets, initial and "foo" MAC digests`, async () => {
        const want = V.derived_secrets[pair]
        const [authName, ackName] = pair.split('_') as [string, string]
        const auth = h(msg(authName).ciphertext_hex)
        const ack = h(msg(ackName).ciphertext_hex)
        const common = { initiatorNonce: nonceA, recipientNonce: nonceB, auth, ack }
        const b = deriveSecrets({
          ...common,
          initiator: false,
          ephemeralKey: ephB,
          remoteEphemeralId: ephPubA,
        })
        const a = deriveSecrets({
          ...common,
          initiator: true,
          ephemeralKey: ephA,
          remoteEphemeralId: ephPubB,
        })
        expect(hex(b.ephemeralShared)).toBe(want.ephemeral_key_ecdh_x)
        expect(hex(b.sharedSecret)).toBe(want.shared_secret)
        expect(hex(b.aesSecret)).toBe(want.aes_secret)
        expect(hex(b.macSecret)).toBe(want.mac_secret)
        expect(a.sharedSecret).toEqual(b.sharedSecret)
        const be = await backend()
        const mac = async (init: Uint8Array, secret: Uint8Array) => {
          const m = new FrameMac(await be.keccak(), be.aesEcb(secret))
          m.update(init)
          return m
        }
        const bIn = await mac(b.ingressMacInit, b.macSecret)
        const bEg = await mac(b.egressMacInit, b.macSecret)
        const aIn = await mac(a.ingressMacInit, a.macSecret)
        const aEg = await mac(a.egressMacInit, a.macSecret)
        expect(hex(bEg.digest())).toBe(want.B_egress_mac_digest_initial)
        expect(hex(bIn.digest())).toBe(want.B_ingress_mac_digest_initial)
        expect(hex(aEg.digest())).toBe(want.A_egress_mac_digest_initial)
        expect(hex(aIn.digest())).toBe(want.A_ingress_mac_digest_initial)
        bIn.update(utf8('foo'))
        aEg.update(utf8('foo'))
        expect(hex(bIn.digest())).toBe(want.B_ingress_mac_digest_after_foo)
        expect(hex(aEg.digest())).toBe(want.A_egress_mac_digest_after_foo)
        if (pair === 'auth2_ack2') {
          // The upstream EIP-8 expectations, independent of the derived_* values.
          const up = V.expected_secrets_auth2_ack2
          expect(toHex(b.aesSecret)).toBe(up.aes_secret)
          expect(toHex(b.macSecret)).toBe(up.mac_secret)
          expect(toHex(bIn.digest())).toBe(up.ingress_mac_foo)
        }
      })
    }

    it("geth's golden frame, encoded and decoded (MAC state injected as in TestFrameReadWrite)", async () => {
      const g = V.frame_golden_geth
      const be = await backend()
      const secret = h(g.aes_secret)
      const iv = new Uint8Array(16)
      const mk = () => new FrameMac(new FixedDigest(), be.aesEcb(h(g.mac_secret)))
      const enc = new FrameCodec(be.aesCtr(secret, iv), be.aesCtr(secret, iv), mk(), mk())
      const parts = enc.encodeMessage(g.msg_code, h(g.msg_payload_rlp))
      const wire = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
      let off = 0
      for (const p of parts) {
        wire.set(p, off)
        off += p.length
      }
      expect(toHex(wire)).toBe(g.golden_hex)
      const dec = new FrameCodec(be.aesCtr(secret, iv), be.aesCtr(secret, iv), mk(), mk())
      dec.push(h(g.golden_hex))
      const f = dec.next()!
      expect(f.code).toBe(g.msg_code)
      expect(toHex(f.data)).toBe(g.msg_payload_rlp)
      expect(f.frameSize).toBe(6)
    })

    it('ethereumjs MAC vectors', async () => {
      const m = V.mac_vectors_ethereumjs
      const be = await backend()
      const secret = h(m.secret)
      const fresh = async () => new FrameMac(await be.keccak(), be.aesEcb(secret))
      const d16 = (x: FrameMac) => toHex(x.digest().subarray(0, 16))
      const [c0, c1, c2, c3, c4] = m.cases
      expect(d16(await fresh())).toBe(c0.digest)
      const m1 = await fresh()
      m1.update(utf8('test'))
      expect(d16(m1)).toBe(c1.digest)
      const m2 = await fresh()
      expect(toHex(m2.updateHeader(new Uint8Array(16)))).toBe(c2.digest)
      const m3 = await fresh()
      expect(toHex(m3.updateBody(utf8('this is a body data struct')))).toBe(c3.digest)
      const m4 = await fresh()
      m4.updateHeader(new Uint8Array(16))
      expect(toHex(m4.updateBody(utf8('this is a body data struct')))).toBe(c4.digest)
    })
  })
}

describe('ECIES', () => {
  it('round-trips and authenticates the shared MAC data', () => {
    const data = utf8('a secret message')
    const ad = Uint8Array.of(1, 2)
    const c = eciesEncrypt(pubB, data, ad, systemRandom)
    expect(eciesDecrypt(keyB, c, ad)).toEqual(data)
    expect(() => eciesDecrypt(keyB, c, Uint8Array.of(1, 3))).toThrow(/tag mismatch/)
    expect(() => eciesDecrypt(keyA, c, ad)).toThrow(/ErrHandshake/)
  })
})

describe('Hello', () => {
  it('decodes the EIP-8 Hello packet, ignoring its extra elements', () => {
    const v = V.hello_packet_eip8
    const hello = decodeHello(h(v.hex))
    expect(hello.protocolVersion).toBe(v.decoded.protocolVersion)
    expect(hello.clientId).toBe(v.decoded.clientId)
    expect(hello.capabilities).toEqual(
      v.decoded.capabilities.map(([name, version]: [string, number]) => ({ name, version })),
    )
    expect(hello.listenPort).toBe(v.decoded.listenPort)
    expect(hex(hello.nodeId)).toBe(v.decoded.nodeId)
  })
  it('our Hello round-trips', () => {
    const ours = {
      protocolVersion: 5,
      clientId: 'ethwire/test',
      capabilities: [
        { name: 'eth', version: 68 },
        { name: 'snap', version: 1 },
      ],
      listenPort: 30303,
      nodeId: pubA,
    }
    expect(decodeHello(encodeHello(ours))).toEqual(ours)
  })
})
