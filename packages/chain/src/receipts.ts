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
  type Transaction,
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
export function decodeStoredReceipts(raw: Uint8Array, txs: readonly Transaction[]): ReceiptData[] {
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
