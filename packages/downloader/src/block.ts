/** Small helpers between headers, bodies and blocks. */
import {
  Block,
  type BlockBody,
  type BlockHeader,
  EMPTY_TRIE_ROOT,
  EMPTY_UNCLE_HASH,
  equalBytes,
  type ReceiptData,
} from '@ethwire/rlp-wire'

/** Whether the header commits to an empty body (no transactions, uncles or withdrawals). */
export function hasEmptyBody(header: BlockHeader): boolean {
  return (
    equalBytes(header.txRoot, EMPTY_TRIE_ROOT) &&
    equalBytes(header.uncleHash, EMPTY_UNCLE_HASH) &&
    (header.withdrawalsRoot === undefined || equalBytes(header.withdrawalsRoot, EMPTY_TRIE_ROOT))
  )
}

/** The body an empty-body header commits to (nothing to download). */
export function emptyBodyFor(header: BlockHeader): BlockBody {
  return header.withdrawalsRoot === undefined
    ? { transactions: [], uncles: [] }
    : { transactions: [], uncles: [], withdrawals: [] }
}

/** Bytes a body holds, near enough for the memory bound on queued results. */
export function estimateBodySize(body: BlockBody): number {
  let size = 16
  for (const tx of body.transactions) size += tx.size
  for (const u of body.uncles) size += u.encode().length
  if (body.withdrawals !== undefined) size += body.withdrawals.length * 48
  return size
}

/** Bytes a block's receipts hold, near enough for the memory bound on queued results. */
export function estimateReceiptsSize(receipts: readonly ReceiptData[]): number {
  let size = 16
  for (const r of receipts) {
    size += 48 + r.postStateOrStatus.length + (r.bloom === undefined ? 0 : 256)
    for (const log of r.logs) size += 24 + log.data.length + 32 * log.topics.length
  }
  return size
}

export function makeBlock(header: BlockHeader, body: BlockBody): Block {
  return Block.fromParts(header, body)
}
