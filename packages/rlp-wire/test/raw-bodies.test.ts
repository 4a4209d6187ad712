/** BlockBodies with pre-encoded bodies (`rawBodies`): what a server sends from its stored RLP. */
import { expect, it } from 'vitest'
import {
  bodyToRlp,
  bytesToHex,
  decodeMessage,
  encodeMessage,
  isWireError,
  rlpEncode,
  Transaction,
} from '../src/index.js'

it('raw bodies are sent as they are, after the decoded ones, and decode like them', () => {
  const tx = Transaction.decodeNetworkRaw(
    Uint8Array.from(
      Buffer.from(
        'f86c098504a817c800825208943535353535353535353535353535353535353535880de0b6b3a76400008025a028ef61340bd939bc2195fe537567866003e1a15d3c71ff63e1590620aa636276a067cbe9d8997f761aecb703304b3800ccf555c9f3dc64214b297fb1966a3b6d83',
        'hex',
      ),
    ),
    true,
  )
  const withTx = { transactions: [tx], uncles: [] }
  const empty = { transactions: [], uncles: [] }
  const raw = [rlpEncode(bodyToRlp(withTx)), rlpEncode(bodyToRlp(empty))]
  const all = encodeMessage(66, { name: 'BlockBodies', requestId: 7n, bodies: [withTx, empty] })
  const rawOnly = encodeMessage(66, {
    name: 'BlockBodies',
    requestId: 7n,
    bodies: [],
    rawBodies: raw,
  })
  const mixed = encodeMessage(66, {
    name: 'BlockBodies',
    requestId: 7n,
    bodies: [withTx],
    rawBodies: [raw[1]!],
  })
  expect(bytesToHex(rawOnly.payload)).toBe(bytesToHex(all.payload))
  expect(bytesToHex(mixed.payload)).toBe(bytesToHex(all.payload))
  const back = decodeMessage(66, rawOnly)
  expect(back.name === 'BlockBodies' && back.bodies.map((b) => b.transactions.length)).toEqual([
    1, 0,
  ])
  expect(back.name === 'BlockBodies' && 'rawBodies' in back).toBe(false)
})

it('a raw body that is not an RLP list is refused', () => {
  let err: unknown
  try {
    encodeMessage(66, {
      name: 'BlockBodies',
      requestId: 1n,
      bodies: [],
      rawBodies: [Uint8Array.of(0x80)],
    })
  } catch (e) {
    err = e
  }
  expect(isWireError(err, 'ErrInvalidValue')).toBe(true)
})
