/** getReceipts' transaction types from the body's RLP (txTypesOfBodyRlp), without decoding it. */
import { bodyToRlp, rlpEncode, Transaction, type TxData } from '@ethwire/rlp-wire'
import { expect, it } from 'vitest'
import { decodeStoredReceipts, encodeStoredReceipts, txTypesOfBodyRlp } from '../src/index.js'

const base = {
  nonce: 1n,
  gasLimit: 21_000n,
  to: new Uint8Array(20).fill(7),
  value: 5n,
  data: new Uint8Array(0),
  r: 1n,
  s: 2n,
}
const txs = [
  Transaction.fromData({ ...base, type: 0, gasPrice: 9n, v: 27n } as TxData),
  Transaction.fromData({
    ...base,
    type: 2,
    chainId: 1n,
    maxFeePerGas: 9n,
    maxPriorityFeePerGas: 1n,
    accessList: [],
    v: 0n,
  } as TxData),
  Transaction.fromData({
    ...base,
    type: 1,
    chainId: 1n,
    gasPrice: 9n,
    accessList: [],
    v: 1n,
  } as TxData),
  Transaction.fromData({ ...base, type: 0, gasPrice: 3n, v: 28n } as TxData),
]

it('reads each transaction type from the body RLP, as decoding the body would give them', () => {
  const body = rlpEncode(bodyToRlp({ transactions: txs, uncles: [] }))
  expect(txTypesOfBodyRlp(body).map((t) => t.type)).toEqual([0, 2, 1, 0])
  const withdrawals = rlpEncode(
    bodyToRlp({ transactions: txs.slice(1, 2), uncles: [], withdrawals: [] }),
  )
  expect(txTypesOfBodyRlp(withdrawals).map((t) => t.type)).toEqual([2])
  expect(txTypesOfBodyRlp(rlpEncode(bodyToRlp({ transactions: [], uncles: [] })))).toEqual([])
})

it('stored receipts decode with those types the same as with the transactions themselves', () => {
  const receipts = txs.map((t, i) => ({
    type: t.type,
    postStateOrStatus: Uint8Array.of(1),
    cumulativeGasUsed: 21_000n * BigInt(i + 1),
    bloom: new Uint8Array(256),
    logs:
      i === 1
        ? [
            {
              address: new Uint8Array(20).fill(1),
              topics: [new Uint8Array(32)],
              data: Uint8Array.of(5),
            },
          ]
        : [],
  }))
  const stored = encodeStoredReceipts(receipts)
  const body = rlpEncode(bodyToRlp({ transactions: txs, uncles: [] }))
  const a = decodeStoredReceipts(stored, txs)
  const b = decodeStoredReceipts(stored, txTypesOfBodyRlp(body))
  expect(b).toEqual(a)
  expect(b.map((r) => r.type)).toEqual([0, 2, 1, 0])
})
