import { bytesToHex, equalBytes, keccak256 } from './bytes.js'
import { WireError } from './errors.js'
import { BlockHeader } from './header.js'
import { decodeWithdrawal, encodeReceipt, encodeWithdrawal } from './receipt.js'
import {
  asList,
  type RlpInput,
  type RlpItem,
  rlpDecode,
  rlpEncode,
  rlpListElements,
  rlpRaw,
} from './rlp.js'
import { Transaction } from './transaction.js'
import { EMPTY_TRIE_ROOT, EMPTY_UNCLE_HASH, orderedTrieRoot } from './trie.js'
import type { ReceiptData, Withdrawal } from './types.js'

/** A block body as served by BlockBodies: transactions, uncles and (from Shanghai) withdrawals. */
export interface BlockBody {
  transactions: Transaction[]
  uncles: BlockHeader[]
  withdrawals?: Withdrawal[]
}

/** Body from its raw RLP `[txs, uncles]` or `[txs, uncles, withdrawals]` (no sidecars allowed). */
export function decodeBodyRaw(raw: Uint8Array, what = 'body'): BlockBody {
  const parts = rlpListElements(raw, what)
  if (parts.length < 2 || parts.length > 3) {
    throw new WireError('ErrArity', `${what}: ${parts.length} elements, expected 2 or 3`)
  }
  return bodyFromParts(parts[0]!, parts[1]!, parts[2], what)
}

function bodyFromParts(
  txsRaw: Uint8Array,
  unclesRaw: Uint8Array,
  wdRaw: Uint8Array | undefined,
  what: string,
): BlockBody {
  const transactions = rlpListElements(txsRaw, `${what}.transactions`).map((t) =>
    Transaction.decodeNetworkRaw(t, false),
  )
  const uncles = rlpListElements(unclesRaw, `${what}.uncles`).map((u) => BlockHeader.decode(u))
  const body: BlockBody = { transactions, uncles }
  if (wdRaw !== undefined) {
    body.withdrawals = asList(rlpDecode(wdRaw), `${what}.withdrawals`).map(decodeWithdrawal)
  }
  return body
}

export function bodyFromRlp(item: RlpItem, what = 'body'): BlockBody {
  const f = asList(item, what, [2, 3])
  const body: BlockBody = {
    transactions: asList(f[0], `${what}.transactions`).map((t) => Transaction.decodeNetwork(t)),
    uncles: asList(f[1], `${what}.uncles`).map((u) => BlockHeader.fromRlp(u)),
  }
  if (f.length === 3) body.withdrawals = asList(f[2], `${what}.withdrawals`).map(decodeWithdrawal)
  return body
}

/** `[txs, uncles(, withdrawals)]` as encoder input (embeds cached encodings). */
export function bodyToRlp(b: BlockBody): RlpInput[] {
  const out: RlpInput[] = [
    b.transactions.map((t) => t.encodeNetwork()),
    b.uncles.map((u) => rlpRaw(u.encode())),
  ]
  if (b.withdrawals !== undefined) out.push(b.withdrawals.map(encodeWithdrawal))
  return out
}

/** A full block: header, transactions, uncles and optional withdrawals. */
export class Block {
  readonly header: BlockHeader
  readonly transactions: Transaction[]
  readonly uncles: BlockHeader[]
  readonly withdrawals?: Withdrawal[]
  #raw: Uint8Array | undefined

  constructor(header: BlockHeader, body: BlockBody, raw?: Uint8Array) {
    this.header = header
    this.transactions = body.transactions
    this.uncles = body.uncles
    if (body.withdrawals !== undefined) this.withdrawals = body.withdrawals
    this.#raw = raw
  }

  /** A block from its header and body (same as the constructor). */
  static fromParts(header: BlockHeader, body: BlockBody): Block {
    return new Block(header, body)
  }

  /** Strict decode of `[header, txs, uncles(, withdrawals)]`. */
  static decode(bytes: Uint8Array): Block {
    const parts = rlpListElements(bytes, 'block')
    if (parts.length < 3 || parts.length > 4) {
      throw new WireError('ErrArity', `block: ${parts.length} elements, expected 3 or 4`)
    }
    const header = BlockHeader.decode(parts[0]!)
    return new Block(header, bodyFromParts(parts[1]!, parts[2]!, parts[3], 'block'), bytes)
  }

  static fromRlp(item: RlpItem): Block {
    const f = asList(item, 'block', [3, 4])
    const body = bodyFromRlp(f.slice(1), 'block')
    return new Block(BlockHeader.fromRlp(f[0]!), body)
  }

  toRlpInput(): RlpInput[] {
    return [rlpRaw(this.header.encode()), ...bodyToRlp(this.body())]
  }

  encode(): Uint8Array {
    if (this.#raw === undefined) this.#raw = rlpEncode(this.toRlpInput())
    return this.#raw
  }

  get hash(): Uint8Array {
    return this.header.hash
  }

  body(): BlockBody {
    const b: BlockBody = { transactions: this.transactions, uncles: this.uncles }
    if (this.withdrawals !== undefined) b.withdrawals = this.withdrawals
    return b
  }
}

export function transactionsRoot(txs: readonly Transaction[]): Uint8Array {
  if (txs.length === 0) return EMPTY_TRIE_ROOT
  return orderedTrieRoot(txs.map((t) => t.encode()))
}

export function receiptsRoot(rs: readonly ReceiptData[]): Uint8Array {
  if (rs.length === 0) return EMPTY_TRIE_ROOT
  return orderedTrieRoot(rs.map(encodeReceipt))
}

export function withdrawalsRoot(ws: readonly Withdrawal[]): Uint8Array {
  if (ws.length === 0) return EMPTY_TRIE_ROOT
  return orderedTrieRoot(ws.map((w) => rlpEncode(encodeWithdrawal(w))))
}

export function unclesHash(uncles: readonly BlockHeader[]): Uint8Array {
  if (uncles.length === 0) return EMPTY_UNCLE_HASH
  return keccak256(rlpEncode(uncles.map((u) => rlpRaw(u.encode()))))
}

/**
 * Checks a body against its header's roots; throws `WireError('ErrInvalidValue')` naming the
 * mismatch. `txRoot`: the root of these transactions when the caller has already hashed them
 * (say, on a worker thread); computed here otherwise.
 */
export function checkBody(header: BlockHeader, body: BlockBody, txRoot?: Uint8Array): void {
  const tr = txRoot ?? transactionsRoot(body.transactions)
  if (!equalBytes(tr, header.txRoot)) {
    throw new WireError('ErrInvalidValue', `transactions root mismatch: ${bytesToHex(tr)}`)
  }
  const uh = unclesHash(body.uncles)
  if (!equalBytes(uh, header.uncleHash)) {
    throw new WireError('ErrInvalidValue', `uncle hash mismatch: ${bytesToHex(uh)}`)
  }
  if (header.withdrawalsRoot === undefined) {
    if (body.withdrawals !== undefined) {
      throw new WireError(
        'ErrInvalidValue',
        'withdrawals root mismatch: withdrawals in a pre-Shanghai body',
      )
    }
    return
  }
  if (body.withdrawals === undefined) {
    throw new WireError('ErrInvalidValue', 'withdrawals root mismatch: body has no withdrawals')
  }
  const wr = withdrawalsRoot(body.withdrawals)
  if (!equalBytes(wr, header.withdrawalsRoot)) {
    throw new WireError('ErrInvalidValue', `withdrawals root mismatch: ${bytesToHex(wr)}`)
  }
}
