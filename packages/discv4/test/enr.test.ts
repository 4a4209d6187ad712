import { bytesToHex, hexToBytes, rlpDecode, rlpEncode } from '@ethwire/rlp-wire'
import { describe, expect, it } from 'vitest'
import {
  decodeBase64Url,
  Enr,
  ethEntry,
  isDiscv4Error,
  maxEnrSizeBytes,
  nodeFromEnr,
} from '../src/index.js'
import vector from './fixtures/enr-eip778.json' with { type: 'json' }

const hex = (b: Uint8Array) => bytesToHex(b).slice(2)

function codeOf(f: () => unknown): string | undefined {
  try {
    f()
  } catch (err) {
    return isDiscv4Error(err) ? err.code : `not a Discv4Error: ${String(err)}`
  }
  return undefined
}

describe('EIP-778 test vector', () => {
  it('decodes and verifies: id, ip, udp, seq, key, signature', () => {
    const enr = Enr.fromText(vector.text)
    expect(enr.seq).toBe(1n)
    expect(hex(enr.nodeId)).toBe(vector.nodeId)
    expect(hex(enr.signature)).toBe(vector.signature)
    expect(enr.getString('id')).toBe('v4')
    expect(enr.ip).toBe(vector.ip)
    expect(enr.udp).toBe(vector.udp)
    expect(enr.tcp).toBeUndefined()
    expect(hex(enr.get('secp256k1')!).slice(2)).toBe(vector.secp256k1)
    expect(enr.keys()).toEqual(['id', 'ip', 'secp256k1', 'udp'])
    expect(enr.toText()).toBe(vector.text)
    const node = nodeFromEnr(enr)!
    expect([node.ip, node.udpPort, node.tcpPort]).toEqual(['127.0.0.1', 30303, 0])
  })

  it('signing the same content with the key reproduces the vector byte for byte', () => {
    const enr = Enr.sign({
      privateKey: hexToBytes(vector.privateKey),
      seq: 1n,
      entries: { ip: Uint8Array.of(127, 0, 0, 1), udp: 30303 },
    })
    expect(enr.toText()).toBe(vector.text)
  })
})

describe('records', () => {
  const key = hexToBytes(vector.privateKey)

  it('eth entry carries [[forkHash, forkNext]]', () => {
    const forkId = { hash: hexToBytes('0xfc64ec04'), next: 1150000n }
    const enr = Enr.sign({ privateKey: key, seq: 5n, entries: { eth: ethEntry(forkId) } })
    expect(hex(enr.get('eth')!)).toBe(hex(rlpEncode([[forkId.hash, forkId.next]])))
    expect(enr.ethForkId).toEqual(forkId)
    expect(enr.seq).toBe(5n)
    // Extra list elements after the fork id are ignored (go-ethereum's `rlp:"tail"`).
    const more = Enr.sign({
      privateKey: key,
      seq: 1n,
      entries: { eth: [[forkId.hash, 0n], '0x01'] },
    })
    expect(more.ethForkId).toEqual({ hash: forkId.hash, next: 0n })
    const bad = Enr.sign({ privateKey: key, seq: 1n, entries: { eth: ['0x01020304'] } })
    expect(bad.ethForkId).toBeUndefined()
  })

  it('rejects a changed signature, unsorted or duplicate keys, odd pairs, over 300 bytes', () => {
    const good = Enr.fromText(vector.text)
    const items = rlpDecode(good.raw) as Uint8Array[]
    const tampered = [...items]
    tampered[1] = Uint8Array.of(2) // seq 2: signature no longer matches
    expect(codeOf(() => Enr.decode(rlpEncode(tampered)))).toBe('ErrEnrSignature')
    const unsorted = [
      items[0]!,
      items[1]!,
      items[4]!,
      items[5]!,
      items[2]!,
      items[3]!,
      ...items.slice(6),
    ]
    expect(codeOf(() => Enr.decode(rlpEncode(unsorted)))).toBe('ErrInvalidEnr')
    const dup = [...items.slice(0, 4), items[2]!, items[3]!, ...items.slice(4)]
    expect(codeOf(() => Enr.decode(rlpEncode(dup)))).toBe('ErrInvalidEnr')
    expect(codeOf(() => Enr.decode(rlpEncode(items.slice(0, 3))))).toBe('ErrInvalidEnr')
    expect(codeOf(() => Enr.decode(rlpEncode([items[0]!])))).toBe('ErrInvalidEnr')
    expect(codeOf(() => Enr.decode(Uint8Array.of(0x80)))).toBe('ErrInvalidEnr')
    expect(codeOf(() => Enr.decode(new Uint8Array(maxEnrSizeBytes + 1)))).toBe('ErrEnrTooBig')
    expect(
      codeOf(() =>
        Enr.sign({ privateKey: key, seq: 1n, entries: { big: new Uint8Array(maxEnrSizeBytes) } }),
      ),
    ).toBe('ErrEnrTooBig')
    expect(codeOf(() => Enr.fromText('enr:***'))).toBe('ErrInvalidEnr')
    expect(codeOf(() => Enr.fromText('-IS4Q'))).toBe('ErrInvalidEnr')
  })

  it('rejects another identity scheme', () => {
    // A record claiming id "v5" (signature irrelevant: the scheme is unknown).
    const items = rlpDecode(Enr.fromText(vector.text).raw) as Uint8Array[]
    const v5 = [...items]
    v5[3] = new TextEncoder().encode('v5')
    expect(codeOf(() => Enr.decode(rlpEncode(v5)))).toBe('ErrEnrSignature')
  })

  it('base64url is strict', () => {
    expect(decodeBase64Url('AQID')).toEqual(Uint8Array.of(1, 2, 3))
    expect(decodeBase64Url('AQI=')).toBeUndefined()
    expect(decodeBase64Url('AQJ')).toBeUndefined() // non-zero trailing bits
    expect(decodeBase64Url('A')).toBeUndefined()
  })

  it('IPv6 records become IPv6 nodes', () => {
    const enr = Enr.sign({
      privateKey: key,
      seq: 1n,
      entries: { ip6: hexToBytes('0x20010db8000000000000000000000001'), udp6: 30305, tcp6: 30306 },
    })
    const n = nodeFromEnr(enr)!
    expect([n.ip, n.udpPort, n.tcpPort]).toEqual(['2001:db8::1', 30305, 30306])
  })
})
