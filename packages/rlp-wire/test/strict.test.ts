import { describe, expect, it } from 'vitest'
import {
  BlockHeader,
  decodeMessage,
  encodeMessage,
  hexToBytes,
  isWireError,
  messageCodes,
  protocolLength,
  rlpDecode,
  rlpEncode,
  rlpItemLength,
  Transaction,
  versionHasCode,
  WireError,
  type WireErrorCode,
} from '../src/index.js'
import { genHeader, genTransaction, Rand } from '../src/testing.js'

function codeOf(f: () => unknown): WireErrorCode | 'none' {
  try {
    f()
  } catch (e) {
    if (isWireError(e)) return e.code
    throw e
  }
  return 'none'
}

describe('strict RLP', () => {
  it.each([
    ['8100', 'ErrNonCanonical'], // single byte < 0x80 wrapped
    ['8105', 'ErrNonCanonical'],
    ['b80100', 'ErrNonCanonical'], // long form for a short string
    ['f800', 'ErrNonCanonical'], // long form for a short list
    ['b90000', 'ErrNonCanonical'], // leading zero in length prefix
    ['820001', 'none'], // leading zeros inside a byte string are fine at the RLP level
    ['c180', 'none'],
    ['8080', 'ErrTrailingBytes'],
    ['c0c0', 'ErrTrailingBytes'],
    ['83aabb', 'ErrDecode'],
    ['c3c2', 'ErrDecode'],
    ['', 'ErrDecode'],
  ])('%s → %s', (hex, code) => {
    expect(codeOf(() => rlpDecode(hexToBytes(hex)))).toBe(code)
  })
})

describe('strict fields', () => {
  const id = (inner: unknown) => rlpEncode([1, inner as never])
  const gbh = (payload: Uint8Array) => () => decodeMessage(66, { code: 3, payload })

  it('integers with leading zeros are ErrNonCanonical', () => {
    expect(codeOf(gbh(id([5, hexToBytes('0x0005'), 0, 0])))).toBe('ErrNonCanonical')
    expect(
      codeOf(() =>
        decodeMessage(66, { code: 3, payload: rlpEncode([hexToBytes('0x0001'), [5, 5, 0, 0]]) }),
      ),
    ).toBe('ErrNonCanonical')
  })
  it('integers over their width are ErrFieldSize', () => {
    expect(codeOf(gbh(id([5, hexToBytes('0x010000000000000000'), 0, 0])))).toBe('ErrFieldSize')
  })
  it('wrong arity and kinds', () => {
    expect(codeOf(gbh(id([5, 1, 0])))).toBe('ErrArity')
    expect(codeOf(gbh(id([5, [1], 0, 0])))).toBe('ErrKind')
    expect(codeOf(gbh(rlpEncode([1, [5, 1, 0, 0], 3])))).toBe('ErrArity')
    expect(codeOf(gbh(rlpEncode(7)))).toBe('ErrKind')
    expect(codeOf(gbh(id([5, 1, 0, 2])))).toBe('ErrInvalidValue') // bool
  })
  it('unknown codes per version', () => {
    expect(codeOf(() => decodeMessage(62, { code: 0x0f, payload: rlpEncode([]) }))).toBe(
      'ErrUnknownCode',
    )
    expect(codeOf(() => decodeMessage(67, { code: 0x0d, payload: rlpEncode([1, []]) }))).toBe(
      'ErrUnknownCode',
    )
    expect(
      codeOf(() =>
        decodeMessage(68, { code: 0x11, payload: rlpEncode([1, 2, new Uint8Array(32)]) }),
      ),
    ).toBe('ErrUnknownCode')
    expect(codeOf(() => encodeMessage(63, { name: 'GetPooledTransactions', hashes: [] }))).toBe(
      'ErrUnknownCode',
    )
  })
  it('eth/68 announcement types and sizes must fit their fields on encode', () => {
    const h = [new Uint8Array(32)]
    expect(
      codeOf(() =>
        encodeMessage(68, {
          name: 'NewPooledTransactionHashes',
          hashes: h,
          types: [256],
          sizes: [1],
        }),
      ),
    ).toBe('ErrInvalidValue')
    expect(
      codeOf(() =>
        encodeMessage(68, {
          name: 'NewPooledTransactionHashes',
          hashes: h,
          types: [2],
          sizes: [2 ** 32],
        }),
      ),
    ).toBe('ErrInvalidValue')
    expect(codeOf(() => encodeMessage(68, { name: 'NewPooledTransactionHashes', hashes: h }))).toBe(
      'ErrInvalidValue',
    )
  })
  it('request ids are required on eth/66+', () => {
    expect(codeOf(() => encodeMessage(66, { name: 'GetReceipts', hashes: [] }))).toBe(
      'ErrInvalidValue',
    )
  })
  it('protocol lengths and code tables', () => {
    // go-ethereum's protocolLengths: {69: 18, 70: 18, 71: 20, 72: 22}
    expect([62, 63, 66, 67, 68, 69, 70, 71, 72].map(protocolLength)).toEqual([
      8, 17, 17, 17, 17, 18, 18, 20, 22,
    ])
    const table = (v: number) => {
      const t = messageCodes(v)
      expect(Array.from({ length: 0x20 }, (_, c) => c).filter((c) => versionHasCode(v, c))).toEqual(
        t,
      )
      expect(Math.max(...t) + 1).toBe(protocolLength(v))
      return t
    }
    expect(table(62)).toEqual([0, 1, 2, 3, 4, 5, 6, 7])
    expect(table(63)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 13, 14, 15, 16])
    expect(table(66)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 13, 14, 15, 16])
    expect(table(67)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 15, 16])
    expect(table(68)).toEqual(table(67))
    expect(table(69)).toEqual([...table(68), 17])
    expect(table(70)).toEqual(table(69))
    expect(table(71)).toEqual([...table(70), 0x12, 0x13])
    expect(table(72)).toEqual([...table(71), 0x14, 0x15])
    expect(messageCodes(73)).toEqual([])
    expect(() => protocolLength(73)).toThrow(WireError)
  })
  it('eth/68 announcements with mismatched lengths are rejected', () => {
    const payload = rlpEncode([Uint8Array.of(2, 2), [100], [new Uint8Array(32)]])
    expect(codeOf(() => decodeMessage(68, { code: 8, payload }))).toBe('ErrInvalidValue')
    expect(
      codeOf(() =>
        decodeMessage(68, {
          code: 8,
          payload: rlpEncode([
            Uint8Array.of(2),
            [hexToBytes('0x0100000000')],
            [new Uint8Array(32)],
          ]),
        }),
      ),
    ).toBe('ErrFieldSize')
  })
  it('header field sizes and counts', () => {
    const h = genHeader(new Rand(3), 17).toRlpInput()
    expect(codeOf(() => BlockHeader.decode(rlpEncode(h.slice(0, 14))))).toBe('ErrArity')
    expect(
      codeOf(() =>
        BlockHeader.decode(
          // 24 fields: one more than Amsterdam's 23
          rlpEncode([...h, 1, 1, new Uint8Array(32), new Uint8Array(32), new Uint8Array(32), 1, 1]),
        ),
      ),
    ).toBe('ErrArity')
    const bad = [...h]
    bad[2] = new Uint8Array(19)
    expect(codeOf(() => BlockHeader.decode(rlpEncode(bad)))).toBe('ErrFieldSize')
  })
  it('transactions: unknown type, bad v, bad yParity, contract creation in type 3/4', () => {
    expect(codeOf(() => Transaction.decode(Uint8Array.of(5, 0xc0)))).toBe('ErrInvalidValue')
    const legacy = genTransaction(new Rand(9), 0)
    const fields = rlpDecode(legacy.encode()) as Uint8Array[]
    fields[6] = Uint8Array.of(30)
    expect(codeOf(() => Transaction.decode(rlpEncode(fields)))).toBe('ErrInvalidValue')
    const t2 = genTransaction(new Rand(9), 2)
    const f2 = rlpDecode(t2.encode().subarray(1)) as Uint8Array[]
    f2[9] = Uint8Array.of(2)
    expect(codeOf(() => Transaction.decode(Uint8Array.from([2, ...rlpEncode(f2)])))).toBe(
      'ErrInvalidValue',
    )
    const t3 = genTransaction(new Rand(9), 3)
    const f3 = rlpDecode(t3.encode().subarray(1)) as Uint8Array[]
    f3[5] = new Uint8Array(0)
    expect(codeOf(() => Transaction.decode(Uint8Array.from([3, ...rlpEncode(f3)])))).toBe(
      'ErrInvalidValue',
    )
    // a sidecar inside a block body is not allowed
    expect(
      codeOf(() =>
        Transaction.decodeNetworkRaw(
          rlpEncode(Uint8Array.from([3, ...rlpEncode([f3, [], [], []])])),
          false,
        ),
      ),
    ).toBe('ErrInvalidValue')
  })
})

describe('rlpItemLength', () => {
  it('measures the first item and ignores what follows it', () => {
    const list = rlpEncode([Uint8Array.of(1, 2, 3), 7, [new Uint8Array(60)]])
    const padded = new Uint8Array(list.length + 100).fill(0xff)
    padded.set(list)
    expect(rlpItemLength(padded)).toBe(list.length)
    expect(rlpItemLength(Uint8Array.of(0x05, 0xff))).toBe(1)
    expect(rlpItemLength(rlpEncode(new Uint8Array(100)))).toBe(102)
  })

  it('rejects a truncated or non-canonical header', () => {
    expect(codeOf(() => rlpItemLength(new Uint8Array(0)))).toBe('ErrDecode')
    expect(codeOf(() => rlpItemLength(Uint8Array.of(0xc5, 0x01)))).toBe('ErrDecode')
    expect(codeOf(() => rlpItemLength(Uint8Array.of(0x81, 0x05)))).toBe('ErrNonCanonical')
    expect(codeOf(() => rlpItemLength(Uint8Array.of(0xb8, 0x01, 0x00)))).toBe('ErrNonCanonical')
  })
})
