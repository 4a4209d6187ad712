import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import {
  BlockHeader,
  blockAccessListHash,
  bytesToHex,
  checkPartialReceipts,
  decodeMessage,
  type EthMessage,
  encodeMessage,
  hexToBytes,
  isWireError,
  keccak256,
  type ReceiptData,
  receiptLogsSize,
  rlpEncode,
  SUPPORTED_VERSIONS,
  type Transaction,
} from '../src/index.js'
import { genBlobTxWithSidecar, genHeaderData, genReceipt, Rand } from '../src/testing.js'

const fixture = (f: string) =>
  JSON.parse(readFileSync(new URL(`./fixtures/${f}`, import.meta.url), 'utf8'))

interface Vec {
  id: string
  name: string
  code: number
  version: string
  rlp_hex: string
}
const derived = fixture('eth70_messages.json') as { messages: Vec[] }
const geth69 = (fixture('eth_messages.json') as { messages: Vec[] }).messages.find(
  (m) => m.id === 'geth_eth69_Receipts',
)!

const versionsOf = (v: Vec) =>
  v.version === 'eth/70+' ? [70, 71, 72] : v.version === 'eth/71+' ? [71, 72] : [72]

function codeOf(f: () => unknown): string | undefined {
  try {
    f()
  } catch (e) {
    return isWireError(e) ? e.code : `not a WireError: ${e}`
  }
  return undefined
}

const dec = (version: number, code: number, hex: string) =>
  decodeMessage(version, { code, payload: hexToBytes(hex) })

describe('derived eth/70–72 vectors (eth70_messages.json)', () => {
  it('has the 10 vectors', () => expect(derived.messages.length).toBe(10))
  for (const v of derived.messages) {
    for (const version of versionsOf(v)) {
      it(`${v.id} decodes and re-encodes byte-exact on eth/${version}`, () => {
        const m = dec(version, v.code, v.rlp_hex)
        expect(m.name).toBe(v.name)
        expect(bytesToHex(encodeMessage(version, m).payload)).toBe(`0x${v.rlp_hex}`)
      })
    }
    const below = Math.min(...versionsOf(v)) - 1
    it(`${v.id} is not a valid eth/${below} message`, () => {
      expect(codeOf(() => dec(below, v.code, v.rlp_hex))).toBeDefined()
    })
  }

  const byId = (id: string) => derived.messages.find((m) => m.id === id)!
  it('GetReceipts carries firstBlockReceiptIndex', () => {
    const m = dec(70, 0x0f, byId('eth70_GetReceipts_first5').rlp_hex)
    expect(m).toMatchObject({ name: 'GetReceipts', requestId: 1111n, firstBlockReceiptIndex: 5n })
    const m0 = dec(70, 0x0f, byId('eth70_GetReceipts_first0').rlp_hex)
    expect(m0).toMatchObject({ firstBlockReceiptIndex: 0n })
    if (m0.name === 'GetReceipts') expect(m0.hashes.length).toBe(2)
  })
  it('Receipts carries lastBlockIncomplete; the receipts are the eth/69 ones', () => {
    const complete = dec(70, 0x10, byId('eth70_Receipts_complete').rlp_hex)
    const incomplete = dec(70, 0x10, byId('eth70_Receipts_incomplete').rlp_hex)
    const v69 = dec(69, 0x10, geth69.rlp_hex)
    expect(complete).toMatchObject({ name: 'Receipts', lastBlockIncomplete: false })
    expect(incomplete).toMatchObject({ name: 'Receipts', lastBlockIncomplete: true })
    if (complete.name !== 'Receipts' || v69.name !== 'Receipts') throw new Error('shape')
    expect(complete.receipts).toEqual(v69.receipts)
    // The eth/69 message (no flag) is an arity error on eth/70, and the reverse too.
    expect(codeOf(() => dec(70, 0x10, geth69.rlp_hex))).toBe('ErrArity')
    expect(codeOf(() => dec(69, 0x10, byId('eth70_Receipts_complete').rlp_hex))).toBeDefined()
    // Encoding an eth/69-shaped message for eth/70 gives the flag 0.
    expect(bytesToHex(encodeMessage(70, v69).payload)).toBe(
      `0x${byId('eth70_Receipts_complete').rlp_hex}`,
    )
  })
  it('BlockAccessLists keeps each list raw and maps the empty string to null', () => {
    const m = dec(71, 0x13, byId('eth71_BlockAccessLists').rlp_hex)
    if (m.name !== 'BlockAccessLists') throw new Error('shape')
    expect(m.accessLists.map((b) => (b === null ? null : bytesToHex(b)))).toEqual([
      bytesToHex(
        rlpEncode([
          [
            hexToBytes('0x0000000000000000000000000000000000000011'),
            [],
            [],
            [[1, 10n ** 18n]],
            [[1, 1]],
            [],
          ],
        ]),
      ),
      null,
      '0xc0',
    ])
    expect(blockAccessListHash(m.accessLists[2]!)).toEqual(keccak256(Uint8Array.of(0xc0)))
  })
  it('eth/72 announcements carry the 16-byte cell mask', () => {
    const m = dec(72, 0x08, byId('eth72_NewPooledTransactionHashes_mask').rlp_hex)
    expect(m).toMatchObject({ name: 'NewPooledTransactionHashes', types: [3], sizes: [1000] })
    if (m.name !== 'NewPooledTransactionHashes') throw new Error('shape')
    expect(bytesToHex(m.cellMask!)).toBe(`0x${'11'.repeat(16)}`)
  })
  it('GetCells and Cells', () => {
    const g = dec(72, 0x14, byId('eth72_GetCells').rlp_hex)
    if (g.name !== 'GetCells') throw new Error('shape')
    expect(g.cellMask[0]).toBe(1)
    const c = dec(72, 0x15, byId('eth72_Cells').rlp_hex)
    if (c.name !== 'Cells') throw new Error('shape')
    expect(c.cells.length).toBe(1)
    expect(c.cells[0]!.map((x) => [x.length, x[0]])).toEqual([
      [2048, 0xaa],
      [2048, 0xbb],
    ])
  })
})

describe('eth/70–72 sanity checks', () => {
  it('SUPPORTED_VERSIONS offers eth/70 (not 71, 72)', () => {
    expect(SUPPORTED_VERSIONS[0]).toBe(70)
    expect(SUPPORTED_VERSIONS).not.toContain(71)
  })
  it('an incomplete flag on an empty Receipts is refused both ways', () => {
    const payload = rlpEncode([7, 1, []])
    expect(codeOf(() => decodeMessage(70, { code: 0x10, payload }))).toBe('ErrInvalidValue')
    expect(
      codeOf(() =>
        encodeMessage(70, {
          name: 'Receipts',
          requestId: 1n,
          receipts: [],
          lastBlockIncomplete: true,
        }),
      ),
    ).toBe('ErrInvalidValue')
  })
  it('the flag is a strict boolean and the index a uint64', () => {
    const lists = rlpEncode([7, 2, []])
    expect(codeOf(() => decodeMessage(70, { code: 0x10, payload: lists }))).toBe('ErrInvalidValue')
    const wide = rlpEncode([7, new Uint8Array(9).fill(1), []])
    expect(codeOf(() => decodeMessage(70, { code: 0x0f, payload: wide }))).toBe('ErrFieldSize')
    const extra = rlpEncode([7, 0, [], 0])
    expect(codeOf(() => decodeMessage(70, { code: 0x0f, payload: extra }))).toBe('ErrArity')
  })
  it('cell masks must be 16 bytes and Cells must match their mask', () => {
    const h = new Uint8Array(32)
    const mask1 = new Uint8Array(16)
    mask1[0] = 0b11 // two indices
    const cell = new Uint8Array(2048)
    const cells = (hashes: Uint8Array[], groups: Uint8Array[][], mask = mask1) =>
      encodeMessage(72, { name: 'Cells', requestId: 1n, hashes, cells: groups, cellMask: mask })
    expect(codeOf(() => cells([h], [[cell, cell]]))).toBeUndefined()
    expect(codeOf(() => cells([h], [[cell]]))).toBe('ErrInvalidValue') // 1 cell for 2 indices
    expect(codeOf(() => cells([h, h], [[cell, cell]]))).toBe('ErrInvalidValue') // one group missing
    expect(codeOf(() => cells([h], [[cell, cell]], new Uint8Array(15)))).toBe('ErrInvalidValue')
    expect(codeOf(() => cells([h], [[cell, new Uint8Array(2047)]]))).toBe('ErrFieldSize')
    // decode side: the same rules
    const bad = rlpEncode([1, [h], [[cell]], mask1])
    expect(codeOf(() => decodeMessage(72, { code: 0x15, payload: bad }))).toBe('ErrInvalidValue')
    const shortMask = rlpEncode([1, [h], new Uint8Array(8)])
    expect(codeOf(() => decodeMessage(72, { code: 0x14, payload: shortMask }))).toBe('ErrFieldSize')
    const ann = rlpEncode([Uint8Array.of(3), [100], [h], new Uint8Array(5)])
    expect(codeOf(() => decodeMessage(72, { code: 0x08, payload: ann }))).toBe('ErrFieldSize')
    // eth/72 announcement without the mask (the eth/68 shape) is refused
    const ann68 = rlpEncode([Uint8Array.of(3), [100], [h]])
    expect(codeOf(() => decodeMessage(72, { code: 0x08, payload: ann68 }))).toBe('ErrArity')
  })
  it('an absent cell mask is encoded as 16 zero bytes on eth/72 and left out before', () => {
    const msg: EthMessage = {
      name: 'NewPooledTransactionHashes',
      hashes: [new Uint8Array(32)],
      types: [2],
      sizes: [100],
    }
    const e72 = decodeMessage(72, encodeMessage(72, msg))
    if (e72.name !== 'NewPooledTransactionHashes') throw new Error('shape')
    expect(e72.cellMask).toEqual(new Uint8Array(16))
    expect(decodeMessage(71, encodeMessage(71, msg))).toEqual(msg)
  })
  it('BlockAccessLists entries must be lists or the empty string', () => {
    const payload = rlpEncode([1, [Uint8Array.of(5)]])
    expect(codeOf(() => decodeMessage(71, { code: 0x13, payload }))).toBe('ErrInvalidValue')
    expect(
      codeOf(() =>
        encodeMessage(71, {
          name: 'BlockAccessLists',
          requestId: 1n,
          accessLists: [Uint8Array.of(0x80)],
        }),
      ),
    ).toBe('ErrInvalidValue')
  })
})

describe('eth/72 PooledTransactions without blobs', () => {
  it('a v1 blob tx goes out without its blobs and comes back with an empty blob list', () => {
    const r = new Rand(7)
    let tx: Transaction
    do tx = genBlobTxWithSidecar(r)
    while (tx.sidecar!.version !== 1 || tx.blobVersionedHashes!.length === 0)
    const full = encodeMessage(71, { name: 'PooledTransactions', requestId: 1n, txs: [tx] })
    const elided = encodeMessage(72, { name: 'PooledTransactions', requestId: 1n, txs: [tx] })
    expect(elided.payload.length).toBeLessThan(full.payload.length - 131072)
    const m = decodeMessage(72, elided)
    if (m.name !== 'PooledTransactions') throw new Error('shape')
    const back = m.txs[0]!
    expect(bytesToHex(back.hash)).toBe(bytesToHex(tx.hash))
    expect(back.sidecar!.blobs).toEqual([])
    expect(back.sidecar!.commitments).toEqual(tx.sidecar!.commitments)
    expect(back.sidecar!.proofs.length).toBe(tx.sidecar!.proofs.length)
    // eth/72 refuses blobs, eth/71 refuses their absence
    expect(codeOf(() => decodeMessage(72, full))).toBe('ErrInvalidValue')
    expect(codeOf(() => decodeMessage(71, elided))).toBe('ErrInvalidValue')
  })
})

describe('Amsterdam headers (22 and 23 fields)', () => {
  it('blockAccessListHash and slotNumber round-trip and order is enforced', () => {
    const r = new Rand(3)
    for (const n of [22, 23]) {
      const h = BlockHeader.fromData(genHeaderData(r, n))
      const back = BlockHeader.decode(h.encode())
      expect(back.toRlpInput().length).toBe(n)
      expect(back.blockAccessListHash).toEqual(h.blockAccessListHash)
      expect(back.slotNumber).toBe(h.slotNumber)
    }
    const d = genHeaderData(r, 21)
    expect(codeOf(() => BlockHeader.fromData({ ...d, slotNumber: 5n }))).toBe('ErrInvalidValue')
  })
})

describe('checkPartialReceipts (EIP-7975)', () => {
  const r = new Rand(11)
  const receipts = (n: number): ReceiptData[] => {
    let cum = 0n
    return Array.from({ length: n }, () => {
      const rc = genReceipt(r, false)
      cum += 21000n
      return { ...rc, cumulativeGasUsed: cum }
    })
  }
  it('accepts a plausible incomplete list and returns its log bytes', () => {
    const rs = receipts(3)
    const size = rs.reduce((a, x) => a + receiptLogsSize(x), 0)
    expect(checkPartialReceipts(rs, { gasUsed: 1_000_000n, txCount: 5 })).toBe(size)
  })
  it('receiptLogsSize is the content length of the logs list', () => {
    const rc = { ...genReceipt(r, false), logs: [] }
    expect(receiptLogsSize(rc)).toBe(0)
    const one = {
      ...rc,
      logs: [{ address: new Uint8Array(20), topics: [], data: new Uint8Array(0) }],
    }
    // [address(21 bytes), [], ''] = c0+… : 1 + 21 + 1 + 1 = 24 bytes
    expect(receiptLogsSize(one)).toBe(24)
  })
  it('refuses what the EIP says to refuse', () => {
    const rs = receipts(3)
    const f = (x: readonly ReceiptData[], l: Parameters<typeof checkPartialReceipts>[1]) =>
      codeOf(() => checkPartialReceipts(x, l))
    expect(f([], { gasUsed: 1_000_000n })).toBe('ErrInvalidValue')
    expect(f(rs, { gasUsed: 1_000_000n, txCount: 3 })).toBe('ErrInvalidValue') // all there, yet incomplete
    expect(f(rs, { gasUsed: 62_999n })).toBe('ErrInvalidValue') // 3 txs need 63,000 gas
    expect(f(rs, { gasUsed: 63_000n })).toBeUndefined()
    expect(f(rs, { gasUsed: 9_000n, minTxGas: 4500n })).toBe('ErrInvalidValue') // cumulative gas over gasUsed
    const down = [rs[1]!, rs[0]!]
    expect(f(down, { gasUsed: 1_000_000n })).toBe('ErrInvalidValue')
    const big = {
      ...rs[0]!,
      logs: [{ address: new Uint8Array(20), topics: [], data: new Uint8Array(3000) }],
    }
    expect(f([big], { gasUsed: 1_000_000n, txGasLimits: [21000n] })).toBe('ErrInvalidValue') // 3025 log bytes > 21000/8
    expect(f([big], { gasUsed: 1_000_000n, txGasLimits: [100_000n] })).toBeUndefined()
    expect(f([big], { gasUsed: 8_000n, minTxGas: 1n })).toBe('ErrInvalidValue') // cumulative gas 21000 > 8000
    const small = { ...big, cumulativeGasUsed: 7_000n }
    expect(f([small], { gasUsed: 8_000n, minTxGas: 1n })).toBe('ErrInvalidValue') // 3025 log bytes > 8000/8
  })
})
