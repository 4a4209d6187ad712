import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import {
  BlockHeader,
  bytesToHex,
  decodeMessage,
  encodeMessage,
  hexToBytes,
  isWireError,
  keccak256,
  logsBloom,
  type RlpInput,
  type RlpItem,
  rlpDecode,
  rlpEncode,
  utf8ToBytes,
  WireError,
} from '../src/index.js'

const fixture = (f: string) =>
  JSON.parse(readFileSync(new URL(`./fixtures/${f}`, import.meta.url), 'utf8'))

function toInput(x: unknown): RlpInput {
  if (typeof x === 'string') {
    if (x.startsWith('#')) return BigInt(x.slice(1))
    return utf8ToBytes(x)
  }
  if (typeof x === 'number') return x
  if (Array.isArray(x)) return x.map(toInput)
  throw new Error(`unexpected ${x}`)
}

function itemToJson(i: RlpItem): unknown {
  return i instanceof Uint8Array ? bytesToHex(i) : i.map(itemToJson)
}

describe('ethereum/tests RLPTests', () => {
  const valid = fixture('rlptest.json') as Record<string, { in: unknown; out: string }>
  it.each(Object.entries(valid))('valid %s encodes and strictly decodes', (_name, t) => {
    const enc = rlpEncode(toInput(t.in))
    expect(bytesToHex(enc)).toBe(t.out.toLowerCase())
    const dec = rlpDecode(hexToBytes(t.out))
    expect(bytesToHex(rlpEncode(dec))).toBe(t.out.toLowerCase())
  })

  const invalid = fixture('invalidRLPTest.json') as Record<string, { in: string; out: string }>
  it('has the 26 invalid cases', () => expect(Object.keys(invalid).length).toBe(26))
  it.each(Object.entries(invalid))('invalid %s is rejected with a WireError', (_name, t) => {
    const bytes = hexToBytes(t.out)
    let err: unknown
    try {
      rlpDecode(bytes)
    } catch (e) {
      err = e
    }
    expect(err).toBeInstanceOf(WireError)
  })

  it('random example is valid', () => {
    const ex = fixture('RandomRLPTests-example.json') as Record<string, { in: string; out: string }>
    for (const t of Object.values(ex)) {
      expect(t.in).toBe('VALID')
      const b = hexToBytes(t.out)
      expect(rlpEncode(rlpDecode(b))).toEqual(b)
    }
  })
})

interface MsgVector {
  id: string
  name: string
  code: number
  version: string
  rlp_hex: string
  decoded_rlp?: unknown
  value: Record<string, unknown>
  pre_eth66_payload_hex?: string
}

const eth = fixture('eth_messages.json') as {
  messages: MsgVector[]
  generic_wrapper_cases: { rlp_hex: string; valid: boolean }[]
  hash_or_number_origin_cases: { cases: { rlp_hex: string; valid: boolean }[] }
  block_headers: { rlp_hex: string; expected_keccak256_hash: string; field_count: number }[]
}

/** The eth versions a vector applies to (within 62..72). */
function versionsOf(v: MsgVector): number[] {
  const s = v.version
  if (s.startsWith('eth/69+')) return [69, 70, 71, 72]
  if (s.startsWith('eth/69')) return [69]
  if (s.startsWith('eth/70+')) return [70, 71, 72]
  if (s.startsWith('eth/71+')) return [71, 72]
  if (s.startsWith('eth/72')) return [72]
  if (s.startsWith('eth/68-eth/71')) return [68, 69, 70, 71]
  if (s.startsWith('eth/68')) return [68, 69]
  if (s.startsWith('eth/64-eth/68') || s.startsWith('eth/64')) return [66, 67, 68]
  if (s.startsWith('eth/66 only')) return [66]
  if (s.startsWith('eth/66-eth/68')) return [66, 67, 68]
  if (s.startsWith('eth/66-eth/69')) return [66, 67, 68, 69]
  if (s.startsWith('eth/66+')) {
    if (v.name === 'GetNodeData' || v.name === 'NodeData') return [66]
    if (v.name === 'Receipts') return [66, 67, 68]
    // eth/70 adds a field to GetReceipts
    if (v.name === 'GetReceipts') return [66, 67, 68, 69]
    return [66, 67, 68, 69, 70, 71, 72]
  }
  throw new Error(`unmapped version ${s} (${v.id})`)
}

/** Pre-eth/66 versions a vector's `pre_eth66_payload_hex` applies to. */
function preVersionsOf(v: MsgVector): number[] {
  if (['GetPooledTransactions', 'PooledTransactions'].includes(v.name)) return [65]
  return [63]
}

describe('eth_messages.json', () => {
  it('has 39 message vectors', () => expect(eth.messages.length).toBe(39))
  for (const v of eth.messages) {
    const versions = versionsOf(v)
    if (v.version.startsWith('eth/72')) {
      it(`${v.id}: the eth/72 shape is not an eth/68-71 announcement`, () => {
        expect(() => decodeMessage(71, { code: v.code, payload: hexToBytes(v.rlp_hex) })).toThrow(
          WireError,
        )
      })
    }
    if (v.id === 'geth_empty_GetBlockHeaders') {
      // go-ethereum encodes a nil query as []; a strict decoder must refuse it as a query (ErrArity).
      it(`${v.id}: an empty query is rejected with ErrArity (pre-66 and 66+)`, () => {
        for (const [version, hex] of [
          [66, v.rlp_hex],
          [63, v.pre_eth66_payload_hex!],
        ] as const) {
          let err: unknown
          try {
            decodeMessage(version, { code: v.code, payload: hexToBytes(hex) })
          } catch (e) {
            err = e
          }
          expect(isWireError(err, 'ErrArity')).toBe(true)
        }
        expect(itemToJson(rlpDecode(hexToBytes(v.rlp_hex)))).toEqual(v.decoded_rlp)
      })
      continue
    }
    for (const version of versions) {
      it(`${v.id} decodes and re-encodes byte-exact on eth/${version}`, () => {
        const payload = hexToBytes(v.rlp_hex)
        const msg = decodeMessage(version, { code: v.code, payload })
        expect(msg.name).toBe(v.name)
        const re = encodeMessage(version, msg)
        expect(re.code).toBe(v.code)
        expect(bytesToHex(re.payload)).toBe(bytesToHex(payload))
        if (v.decoded_rlp !== undefined)
          expect(itemToJson(rlpDecode(payload))).toEqual(v.decoded_rlp)
        const rid = (v.value as { RequestId?: number }).RequestId
        if (rid !== undefined && v.name !== 'Status') {
          expect((msg as { requestId?: bigint }).requestId).toBe(BigInt(rid))
        }
      })
    }
    if (v.pre_eth66_payload_hex !== undefined) {
      for (const version of preVersionsOf(v)) {
        it(`${v.id} pre-eth/66 payload on eth/${version}`, () => {
          const payload = hexToBytes(v.pre_eth66_payload_hex!)
          const msg = decodeMessage(version, { code: v.code, payload })
          expect(msg.name).toBe(v.name)
          expect('requestId' in msg).toBe(false)
          expect(bytesToHex(encodeMessage(version, msg).payload)).toBe(bytesToHex(payload))
          // and the same message with its id is the eth/66 vector
          const withId = { ...msg, requestId: BigInt((v.value as { RequestId: number }).RequestId) }
          expect(bytesToHex(encodeMessage(66, withId).payload)).toBe(
            bytesToHex(hexToBytes(v.rlp_hex)),
          )
        })
      }
    }
  }

  it('request-id wrapper cases', () => {
    for (const c of eth.generic_wrapper_cases) {
      const bytes = hexToBytes(c.rlp_hex)
      if (c.valid) expect(() => rlpDecode(bytes)).not.toThrow()
      else expect(() => rlpDecode(bytes)).toThrow(WireError)
    }
    // the malicious pair as a GetBlockHeaders message
    expect(() => decodeMessage(66, { code: 3, payload: hexToBytes('c5820539c20505') })).toThrow(
      WireError,
    )
    // the truncated BlockBodies (code byte stripped)
    expect(() => decodeMessage(66, { code: 6, payload: hexToBytes('c48199c1c0') })).toThrow(
      WireError,
    )
  })

  it('hash-or-number origin cases', () => {
    for (const c of eth.hash_or_number_origin_cases.cases) {
      const payload = rlpEncode([7, [rlpDecode(hexToBytes(c.rlp_hex)) as Uint8Array, 1, 0, 0]])
      if (c.valid) {
        const m = decodeMessage(66, { code: 3, payload })
        expect(m.name).toBe('GetBlockHeaders')
      } else {
        let err: unknown
        try {
          decodeMessage(66, { code: 3, payload })
        } catch (e) {
          err = e
        }
        expect(isWireError(err, 'ErrFieldSize')).toBe(true)
      }
    }
  })

  it.each(eth.block_headers.map((h) => [h.field_count, h] as const))(
    '%i-field header hash',
    (_n, h) => {
      const raw = hexToBytes(h.rlp_hex)
      const header = BlockHeader.decode(raw)
      expect(bytesToHex(header.hash)).toBe(h.expected_keccak256_hash)
      expect(bytesToHex(keccak256(raw))).toBe(h.expected_keccak256_hash)
      // re-encoding from data gives the same bytes
      expect(bytesToHex(BlockHeader.fromData(header.toData()).encode())).toBe(bytesToHex(raw))
    },
  )
})

describe('receipts across versions', () => {
  const byId = (id: string) => eth.messages.find((m) => m.id === id)!
  it('the eth/69 receipts re-encoded for eth/68 (bloom recomputed from logs) give geth’s eth/68 bytes', () => {
    const v69 = byId('geth_eth69_Receipts')
    const v68 = byId('geth_eth68_Receipts_typed')
    const m = decodeMessage(69, { code: 0x10, payload: hexToBytes(v69.rlp_hex) })
    if (m.name !== 'Receipts') throw new Error('not receipts')
    expect(m.receipts[0]![0]!.bloom).toBeUndefined()
    expect(bytesToHex(encodeMessage(68, m).payload)).toBe(bytesToHex(hexToBytes(v68.rlp_hex)))
    const back = decodeMessage(68, { code: 0x10, payload: hexToBytes(v68.rlp_hex) })
    if (back.name !== 'Receipts') throw new Error('not receipts')
    for (const r of back.receipts.flat()) expect(r.bloom).toEqual(logsBloom(r.logs))
    expect(bytesToHex(encodeMessage(69, back).payload)).toBe(bytesToHex(hexToBytes(v69.rlp_hex)))
  })
})
