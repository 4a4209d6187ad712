/**
 * eth/66–68 Receipts decode from raw spans: each receipt keeps the consensus bytes it arrived as,
 * so a receipts-root check hashes those bytes instead of encoding the receipt again.
 */
import { describe, expect, it } from 'vitest'
import {
  bytesToHex,
  decodeMessage,
  encodeMessage,
  encodeReceipt,
  isWireError,
  logsBloom,
  type ReceiptData,
  receiptFromNetworkRaw,
  receiptsRoot,
  rlpEncode,
} from '../src/index.js'

const log = {
  address: new Uint8Array(20).fill(0xaa),
  topics: [new Uint8Array(32).fill(1), new Uint8Array(32).fill(2)],
  data: Uint8Array.of(1, 2, 3),
}
const legacy: ReceiptData = {
  type: 0,
  postStateOrStatus: Uint8Array.of(1),
  cumulativeGasUsed: 21_000n,
  bloom: logsBloom([log]),
  logs: [log],
}
const preByzantium: ReceiptData = {
  type: 0,
  postStateOrStatus: new Uint8Array(32).fill(7),
  cumulativeGasUsed: 42_000n,
  bloom: logsBloom([]),
  logs: [],
}
const dynamicFee: ReceiptData = {
  type: 2,
  postStateOrStatus: new Uint8Array(0),
  cumulativeGasUsed: 90_000n,
  bloom: logsBloom([log]),
  logs: [log],
}
const lists = [[legacy, dynamicFee], [], [preByzantium]]

function decoded(version: number): ReceiptData[][] {
  const m = encodeMessage(version, { name: 'Receipts', requestId: 3n, receipts: lists })
  const back = decodeMessage(version, m)
  if (back.name !== 'Receipts') throw new Error(`decoded as ${back.name}`)
  expect(back.requestId).toBe(3n)
  return back.receipts
}

describe('Receipts on eth/66–68', () => {
  for (const version of [66, 67, 68]) {
    it(`eth/${version}: fields as sent, and encodeReceipt gives back the received bytes`, () => {
      const m = encodeMessage(version, { name: 'Receipts', requestId: 3n, receipts: lists })
      const back = decodeMessage(version, m)
      if (back.name !== 'Receipts') throw new Error(`decoded as ${back.name}`)
      expect(back.receipts).toEqual(lists)
      for (let i = 0; i < lists.length; i++) {
        expect(bytesToHex(receiptsRoot(back.receipts[i]!))).toBe(
          bytesToHex(receiptsRoot(lists[i]!)),
        )
        for (let j = 0; j < lists[i]!.length; j++) {
          const enc = encodeReceipt(back.receipts[i]![j]!)
          // a view into the message itself, not a fresh encoding
          expect(enc.buffer).toBe(m.payload.buffer)
          expect(bytesToHex(enc)).toBe(bytesToHex(encodeReceipt(lists[i]![j]!)))
        }
      }
    })
  }

  it('a copy of a decoded receipt is encoded from its fields', () => {
    const r = decoded(66)[0]![0]!
    const copy = { ...r, cumulativeGasUsed: 21_001n }
    expect(encodeReceipt(copy).buffer).not.toBe(encodeReceipt(r).buffer)
    expect(bytesToHex(encodeReceipt(copy))).toBe(
      bytesToHex(encodeReceipt({ ...legacy, cumulativeGasUsed: 21_001n })),
    )
  })

  it('eth/69 receipts (no bloom) still decode and encode from their fields', () => {
    const back = decoded(69)
    expect(back[0]![1]!.type).toBe(2)
    expect(back[0]![0]!.bloom).toBeUndefined()
    expect(bytesToHex(receiptsRoot(back[0]!))).toBe(bytesToHex(receiptsRoot(lists[0]!)))
  })

  it('malformed receipts are typed errors', () => {
    const code = (raw: Uint8Array) => {
      try {
        receiptFromNetworkRaw(raw)
        return 'decoded'
      } catch (e) {
        return isWireError(e) ? e.code : String(e)
      }
    }
    // a typed receipt claiming type 0, one of an unknown type, a truncated one, an empty string
    const fields = rlpEncode([Uint8Array.of(1), 21_000n, new Uint8Array(256), []])
    expect(code(rlpEncode(Uint8Array.from([0, ...fields])))).toBe('ErrInvalidValue')
    expect(code(rlpEncode(Uint8Array.from([9, ...fields])))).toBe('ErrInvalidValue')
    expect(code(rlpEncode(Uint8Array.from([2, ...fields.subarray(0, 40)])))).not.toBe('decoded')
    expect(code(Uint8Array.of(0x80))).toBe('ErrDecode')
    // a legacy one with a 31-byte bloom
    expect(code(rlpEncode([Uint8Array.of(1), 1n, new Uint8Array(31), []]))).not.toBe('decoded')
  })
})
