/** Receipts in go-ethereum's storage encoding: per block an RLP list of `[status, cumulativeGas, logs]`. */
import {
  asBytes,
  asFixed,
  asList,
  asUint,
  logsBloom,
  type ReceiptData,
  rlpDecode,
  rlpEncode,
  rlpListElements,
  rlpStringContent,
} from '@ethwire/rlp-wire'

/** `rlp([ [postStateOrStatus, cumulativeGasUsed, [[address, topics, data], …]], … ])` (no type, no bloom). */
export function encodeStoredReceipts(receipts: readonly ReceiptData[]): Uint8Array {
  return rlpEncode(
    receipts.map((r) => [
      r.postStateOrStatus,
      r.cumulativeGasUsed,
      r.logs.map((l) => [l.address, l.topics, l.data]),
    ]),
  )
}

/** Decodes stored receipts; the type comes from the block's transactions, the bloom from the logs. */
export function decodeStoredReceipts(
  raw: Uint8Array,
  txs: readonly { readonly type: ReceiptData['type'] }[],
): ReceiptData[] {
  const list = asList(rlpDecode(raw), 'stored receipts')
  return list.map((item, i) => {
    const f = asList(item, 'stored receipt', 3)
    const logs = asList(f[2], 'receipt.logs').map((l) => {
      const lf = asList(l, 'log', 3)
      return {
        address: asFixed(lf[0], 'log.address', 20),
        topics: asList(lf[1], 'log.topics').map((t) => asFixed(t, 'log.topic', 32)),
        data: asBytes(lf[2], 'log.data'),
      }
    })
    return {
      type: txs[i]?.type ?? 0,
      postStateOrStatus: asBytes(f[0], 'receipt.status'),
      cumulativeGasUsed: asUint(f[1], 'receipt.cumulativeGasUsed', 8),
      bloom: logsBloom(logs),
      logs,
    }
  })
}

/**
 * The type of each transaction in a body's RLP (`[txs, uncles, withdrawals?]`), without decoding
 * the transactions: a legacy one is an RLP list, a typed one a string starting with its type byte.
 * All a stored receipt needs from its transaction.
 */
export function txTypesOfBodyRlp(body: Uint8Array): { type: ReceiptData['type'] }[] {
  const parts = rlpListElements(body, 'body')
  const txs = parts[0]
  if (txs === undefined) throw new RangeError('a body without its transaction list')
  return rlpListElements(txs, 'body.transactions').map((tx) => {
    if (tx[0]! >= 0xc0) return { type: 0 }
    const typed = rlpStringContent(tx, 'body.transaction')
    const type = typed[0]
    if (type === undefined || type < 1 || type > 4)
      throw new RangeError(`a typed transaction of unknown type ${type}`)
    return { type: type as ReceiptData['type'] }
  })
}
