import { bytesToHex, hexToBytes, keccak256 } from '@ethwire/rlp-wire'
import { describe, expect, it } from 'vitest'
import {
  decodePacket,
  encodePacket,
  isDiscv4Error,
  isExpired,
  maxPacketSizeBytes,
  PacketType,
  publicKeyOf,
  recoverSender,
} from '../src/index.js'
import vectors from './fixtures/discv4-eip8.json' with { type: 'json' }

const hex = (b: Uint8Array) => bytesToHex(b).slice(2)
const key = hexToBytes(vectors.signing_key)
const signer = vectors.signer_pubkey.slice(2)

function codeOf(f: () => unknown): string | undefined {
  try {
    f()
  } catch (err) {
    return isDiscv4Error(err) ? err.code : `not a Discv4Error: ${String(err)}`
  }
  return undefined
}

describe('EIP-8 discv4 packets (forward compatibility)', () => {
  it('every vector decodes, and its signer is the EIP-8 key', () => {
    expect(hex(publicKeyOf(key))).toBe(signer)
    for (const v of vectors.packets) {
      const d = decodePacket(hexToBytes(v.packet_hex))
      expect(d.packet.type, v.label).toBe(v.packet_type)
      expect(hex(recoverSender(d)), v.label).toBe(signer)
    }
    const plain = decodePacket(hexToBytes(vectors.geth_ping_v4_plain))
    expect(hex(recoverSender(plain))).toBe(signer)
  })

  it('ping v4 without extras: fields, no enrSeq', () => {
    const { packet } = decodePacket(hexToBytes(vectors.geth_ping_v4_plain))
    if (packet.type !== PacketType.Ping) throw new Error('not a ping')
    expect(packet.version).toBe(4n)
    expect(hex(packet.from.ip)).toBe('7f000001')
    expect([packet.from.udpPort, packet.from.tcpPort]).toEqual([3322, 5544])
    expect(hex(packet.to.ip)).toBe('00000000000000000000000000000001')
    expect([packet.to.udpPort, packet.to.tcpPort]).toEqual([2222, 3333])
    expect(packet.expiration).toBe(1136239445n)
    expect(packet.enrSeq).toBeUndefined()
    expect(packet.rest).toEqual([])
  })

  it('ping v4 with additional elements: the first is the EIP-868 enrSeq, the rest kept', () => {
    const { packet } = decodePacket(hexToBytes(vectors.packets[0]!.packet_hex))
    if (packet.type !== PacketType.Ping) throw new Error('not a ping')
    expect(packet.enrSeq).toBe(1n)
    expect(packet.rest?.map(hex)).toEqual(['02'])
  })

  it('ping v555 with a list element and 122 trailing bytes', () => {
    const { packet } = decodePacket(hexToBytes(vectors.packets[1]!.packet_hex))
    if (packet.type !== PacketType.Ping) throw new Error('not a ping')
    expect(packet.version).toBe(555n)
    expect(hex(packet.from.ip)).toBe('20010db83c4d001500000000abcdef12')
    expect(packet.to.tcpPort).toBe(0x823a)
    // The 5th element is a list, not a uint: no enrSeq (go-ethereum rejects this packet).
    expect(packet.enrSeq).toBeUndefined()
    expect(packet.rest?.map(hex)).toEqual(['c50102030405'])
  })

  it('pong with extras and trailing data', () => {
    const { packet } = decodePacket(hexToBytes(vectors.packets[2]!.packet_hex))
    if (packet.type !== PacketType.Pong) throw new Error('not a pong')
    expect(hex(packet.pingHash)).toBe(
      'fbc914b16819237dcd8801d7e53f69e9719adecb3cc0e790c57e91ca4461c954',
    )
    expect(packet.expiration).toBe(1136239445n)
    expect(packet.to.udpPort).toBe(0x08ae)
    expect(packet.rest?.length).toBe(2)
  })

  it('findnode with extras', () => {
    const { packet } = decodePacket(hexToBytes(vectors.packets[3]!.packet_hex))
    if (packet.type !== PacketType.FindNode) throw new Error('not a findnode')
    expect(hex(packet.target)).toBe(signer)
    expect(packet.rest?.map(hex)).toEqual(['829999', '83999999'])
  })

  it('neighbours: four nodes with IPv4 and IPv6 addresses', () => {
    const { packet } = decodePacket(hexToBytes(vectors.packets[4]!.packet_hex))
    if (packet.type !== PacketType.Neighbors) throw new Error('not neighbours')
    expect(packet.nodes.map((n) => [hex(n.ip), n.udpPort, n.tcpPort])).toEqual([
      ['63211637', 4444, 4445],
      ['01020304', 1, 1],
      ['20010db83c4d001500000000abcdef12', 3333, 3333],
      ['20010db885a308d313198a2e03707348', 999, 1000],
    ])
    expect(hex(packet.nodes[0]!.publicKey)).toMatch(/^3155e1427f85/)
    expect(packet.rest?.map(hex)).toEqual(['01', '02', '03'])
  })
})

describe('encoding', () => {
  it('round-trips every packet type with hash and signer', () => {
    const pub = publicKeyOf(key)
    const ep = { ip: Uint8Array.of(10, 0, 0, 1), udpPort: 30303, tcpPort: 30304 }
    const packets = [
      { type: 1, version: 4n, from: ep, to: ep, expiration: 99n, enrSeq: 7n },
      { type: 2, to: ep, pingHash: new Uint8Array(32).fill(1), expiration: 99n, enrSeq: 3n },
      { type: 3, target: pub, expiration: 99n },
      {
        type: 4,
        nodes: Array.from({ length: 12 }, () => ({
          ...ep,
          ip: new Uint8Array(16),
          publicKey: pub,
        })),
        expiration: 2n ** 64n - 1n,
      },
      { type: 5, expiration: 1n },
      { type: 6, requestHash: new Uint8Array(32), record: Uint8Array.of(0xc1, 0x80) },
    ] as const
    for (const p of packets) {
      const { bytes, hash } = encodePacket(p, key)
      expect(bytes.length).toBeLessThanOrEqual(maxPacketSizeBytes)
      const d = decodePacket(bytes)
      expect(hex(d.hash)).toBe(hex(hash))
      expect(hex(recoverSender(d))).toBe(signer)
      expect(d.packet).toMatchObject({ ...p, rest: [] })
    }
  })

  it('12 neighbours with IPv6 fit in 1280 bytes; 13 are refused', () => {
    const pub = publicKeyOf(key)
    const n = { ip: new Uint8Array(16), udpPort: 65535, tcpPort: 65535, publicKey: pub }
    const nodes = Array.from({ length: 13 }, () => n)
    expect(codeOf(() => encodePacket({ type: 4, nodes, expiration: 2n ** 64n - 1n }, key))).toBe(
      'ErrInvalidArgument',
    )
    const { bytes } = encodePacket(
      { type: 4, nodes: nodes.slice(0, 12), expiration: 2n ** 64n - 1n },
      key,
    )
    expect(bytes.length).toBeLessThan(maxPacketSizeBytes)
  })
})

describe('bad packets are typed errors', () => {
  const good = hexToBytes(vectors.geth_ping_v4_plain)

  it('too small, too large, bad hash, unknown type, bad RLP, bad signature', () => {
    expect(codeOf(() => decodePacket(good.subarray(0, 97)))).toBe('ErrPacketTooSmall')
    expect(codeOf(() => decodePacket(new Uint8Array(maxPacketSizeBytes + 1)))).toBe(
      'ErrPacketTooLarge',
    )
    const flipped = good.slice()
    flipped[100]! ^= 1
    expect(codeOf(() => decodePacket(flipped))).toBe('ErrBadHash')
    expect(
      codeOf(() => decodePacket(encodePacket({ type: 66, data: Uint8Array.of(0xc0) }, key).bytes)),
    ).toBe('ErrUnknownPacketType')
    expect(
      codeOf(() => decodePacket(encodePacket({ type: 1, data: Uint8Array.of(0x80) }, key).bytes)),
    ).toBe('ErrDecode')
    expect(
      codeOf(() =>
        decodePacket(encodePacket({ type: 1, data: Uint8Array.of(0xc3, 0x01) }, key).bytes),
      ),
    ).toBe('ErrDecode')
    // A ping missing fields.
    expect(
      codeOf(() =>
        decodePacket(encodePacket({ type: 1, data: Uint8Array.of(0xc1, 0x04) }, key).bytes),
      ),
    ).toBe('ErrDecode')
    // A zeroed signature with a correct hash: nothing recovers.
    const { bytes } = encodePacket({ type: 5, expiration: 1n }, key)
    bytes.fill(0, 32, 97)
    const rehashed = new Uint8Array(bytes)
    rehashed.set(keccak256(rehashed.subarray(32)), 0)
    const d = decodePacket(rehashed)
    expect(codeOf(() => recoverSender(d))).toBe('ErrBadSignature')
  })

  it('random bytes never throw anything but a Discv4Error', () => {
    let seed = 7
    const rnd = () => {
      seed = (seed * 1103515245 + 12345) >>> 0
      return seed >>> 24
    }
    for (let i = 0; i < 2000; i++) {
      const len = 98 + (rnd() % 200)
      const b = Uint8Array.from({ length: len }, rnd)
      // Make the hash right half the time so decoding goes past it.
      if (i % 2 === 0) {
        b[97] = 1 + (i % 6)
        b.set(keccak256(b.subarray(32)), 0)
      }
      const c = codeOf(() => recoverSender(decodePacket(b)))
      if (c !== undefined) expect(c).not.toMatch(/^not a Discv4Error/)
    }
  })
})

describe('expiration', () => {
  it('is in Unix seconds; values ≥ 2^63 count as negative (the past)', () => {
    const now = 1_700_000_000_000
    expect(isExpired(1_700_000_001n, now)).toBe(false)
    expect(isExpired(1_699_999_999n, now)).toBe(true)
    expect(isExpired(2n ** 64n - 1_700_000_020n, now)).toBe(true) // go-ethereum's -futureExpiration()
  })
})
