import { concatBytes, keccak256 } from './bytes.js'
import { bloomSizeBytes, logDataGas, minTxGas } from './constants.js'
import { WireError } from './errors.js'
import {
  asBytes,
  asFixed,
  asList,
  asUint,
  type RlpInput,
  type RlpItem,
  rlpDecode,
  rlpEncode,
  rlpIsList,
  rlpStringContent,
} from './rlp.js'
import type { Log, PartialReceiptLimits, ReceiptData, TxType, Withdrawal } from './types.js'

function addToBloom(bloom: Uint8Array, v: Uint8Array): void {
  const h = keccak256(v)
  for (let i = 0; i < 6; i += 2) {
    const bit = ((h[i]! << 8) | h[i + 1]!) & 2047
    bloom[bloomSizeBytes - 1 - (bit >> 3)]! |= 1 << (bit & 7)
  }
}

/** The 2048-bit logs bloom of a set of logs (addresses and topics). */
export function logsBloom(logs: Log[]): Uint8Array {
  const bloom = new Uint8Array(bloomSizeBytes)
  for (const l of logs) {
    addToBloom(bloom, l.address)
    for (const t of l.topics) addToBloom(bloom, t)
  }
  return bloom
}

export function logToRlp(l: Log): RlpInput {
  return [l.address, l.topics, l.data]
}

export function logFromRlp(item: RlpItem | undefined): Log {
  const f = asList(item, 'log', 3)
  return {
    address: asFixed(f[0], 'log.address', 20),
    topics: asList(f[1], 'log.topics').map((t) => asFixed(t, 'log.topic', 32)),
    data: asBytes(f[2], 'log.data'),
  }
}

function checkType(t: number): TxType {
  if (t < 0 || t > 4) throw new WireError('ErrInvalidValue', `unknown receipt type ${t}`)
  return t as TxType
}

function checkStatus(b: Uint8Array): Uint8Array {
  // Post-Byzantium status: empty (0) or 0x01; pre-Byzantium: the 32-byte state root.
  if (b.length === 0 || (b.length === 1 && b[0] === 1) || b.length === 32) return b
  throw new WireError('ErrInvalidValue', 'receipt: bad status / post-state')
}

/** `[postStateOrStatus, cumulativeGasUsed, bloom, logs]` (the bloom computed if absent). */
export function receiptFieldsToRlp(r: ReceiptData): RlpInput[] {
  return [
    r.postStateOrStatus,
    r.cumulativeGasUsed,
    r.bloom ?? logsBloom(r.logs),
    r.logs.map(logToRlp),
  ]
}

/**
 * The consensus encodings receipts were decoded from (eth/66–68 `Receipts` carry exactly those
 * bytes), so a receipts-root check hashes them instead of encoding every receipt again. Receipts
 * are plain objects treated as immutable once decoded; a copy (`{ ...r }`) is not in the map.
 */
const received = new WeakMap<ReceiptData, Uint8Array>()

/** Consensus encoding: legacy = rlp(fields); typed = type ‖ rlp(fields). */
export function encodeReceipt(r: ReceiptData): Uint8Array {
  const known = received.get(r)
  if (known !== undefined) return known
  const p = rlpEncode(receiptFieldsToRlp(r))
  return r.type === 0 ? p : concatBytes(Uint8Array.of(r.type), p)
}

export function receiptFromFields(type: TxType, item: RlpItem): ReceiptData {
  const f = asList(item, 'receipt', 4)
  return {
    type,
    postStateOrStatus: checkStatus(asBytes(f[0], 'receipt.status')),
    cumulativeGasUsed: asUint(f[1], 'receipt.cumulativeGasUsed', 8),
    bloom: asFixed(f[2], 'receipt.bloom', bloomSizeBytes),
    logs: asList(f[3], 'receipt.logs').map(logFromRlp),
  }
}

/** Decodes the consensus encoding (legacy list or typed bytes). */
export function decodeReceipt(bytes: Uint8Array): ReceiptData {
  if (bytes.length === 0) throw new WireError('ErrDecode', 'empty receipt')
  if (rlpIsList(bytes)) return receiptFromFields(0, rlpDecode(bytes))
  const t = checkType(bytes[0]!)
  if (t === 0) throw new WireError('ErrInvalidValue', 'typed receipt with type 0')
  return receiptFromFields(t, rlpDecode(bytes.subarray(1)))
}

/** eth/66–68 list element: legacy receipt as a list, typed as an RLP string of its binary form. */
export function receiptToNetwork(r: ReceiptData): RlpInput {
  return r.type === 0 ? receiptFieldsToRlp(r) : encodeReceipt(r)
}

export function receiptFromNetwork(item: RlpItem | undefined): ReceiptData {
  if (item === undefined) throw new WireError('ErrArity', 'receipt: missing')
  if (Array.isArray(item)) return receiptFromFields(0, item)
  return decodeReceipt(item)
}

/**
 * One eth/66–68 receipt from its raw list element (a legacy receipt's RLP list, or an RLP string
 * holding a typed receipt's `type ‖ rlp(fields)`): the same checks as {@link receiptFromNetwork},
 * and the consensus bytes are kept for {@link encodeReceipt}.
 */
export function receiptFromNetworkRaw(raw: Uint8Array): ReceiptData {
  const consensus = rlpIsList(raw) ? raw : rlpStringContent(raw, 'receipt')
  const r = rlpIsList(raw) ? receiptFromFields(0, rlpDecode(raw)) : decodeReceipt(consensus)
  received.set(r, consensus)
  return r
}

/** eth/69 shape: `[txType, postStateOrStatus, cumulativeGasUsed, logs]`, no bloom. */
export function receiptToEth69(r: ReceiptData): RlpInput {
  return [r.type, r.postStateOrStatus, r.cumulativeGasUsed, r.logs.map(logToRlp)]
}

export function receiptFromEth69(item: RlpItem | undefined): ReceiptData {
  const f = asList(item, 'receipt (eth/69)', 4)
  return {
    type: checkType(Number(asUint(f[0], 'receipt.type', 1))),
    postStateOrStatus: checkStatus(asBytes(f[1], 'receipt.status')),
    cumulativeGasUsed: asUint(f[2], 'receipt.cumulativeGasUsed', 8),
    logs: asList(f[3], 'receipt.logs').map(logFromRlp),
  }
}

// eth/70 partial receipt lists (EIP-7975)

/** Bytes of a receipt's logs: the content of its RLP logs list (go-ethereum's `LogsSize`). */
export function receiptLogsSize(r: ReceiptData): number {
  const enc = rlpEncode(r.logs.map(logToRlp))
  const b = enc[0]!
  const header = b <= 0xf7 ? 1 : 1 + (b - 0xf7)
  return enc.length - header
}

/**
 * The checks EIP-7975 asks of a receipt list that arrived with `lastBlockIncomplete` set, which
 * cannot be checked against the header's receipts root yet. `receipts` is everything received
 * for that block so far (earlier partial responses and this one, in order). Throws
 * `WireError('ErrInvalidValue')` when:
 * - the list is empty, or (with `txCount`) already has a receipt for every transaction;
 * - it has more receipts than `gasUsed / minTxGas` transactions could have produced;
 * - a cumulative gas used goes down or above the block's `gasUsed`;
 * - a receipt's log bytes are over its transaction's gas limit / 8 (with `txGasLimits`);
 * - all log bytes together are over `gasUsed / 8` (8 gas per byte of log data).
 * Returns the total log bytes.
 */
export function checkPartialReceipts(
  receipts: readonly ReceiptData[],
  limits: PartialReceiptLimits,
): number {
  const fail = (why: string): never => {
    throw new WireError('ErrInvalidValue', `partial receipts: ${why}`)
  }
  if (receipts.length === 0) fail('an incomplete list with no receipts')
  if (limits.txCount !== undefined && receipts.length >= limits.txCount)
    fail(`${receipts.length} receipts for ${limits.txCount} transactions, yet incomplete`)
  const minGas = limits.minTxGas ?? minTxGas
  if (BigInt(receipts.length) > limits.gasUsed / minGas)
    fail(`${receipts.length} receipts exceed what ${limits.gasUsed} gas allows`)
  let prev = 0n
  let total = 0
  for (let i = 0; i < receipts.length; i++) {
    const r = receipts[i]!
    if (r.cumulativeGasUsed < prev || r.cumulativeGasUsed > limits.gasUsed)
      fail(`receipt ${i}: cumulative gas ${r.cumulativeGasUsed} out of order or over the block's`)
    prev = r.cumulativeGasUsed
    const size = receiptLogsSize(r)
    const txGas = limits.txGasLimits?.[i]
    if (txGas !== undefined && BigInt(size) > txGas / logDataGas)
      fail(`receipt ${i}: ${size} log bytes over its transaction's gas limit`)
    total += size
  }
  if (BigInt(total) > limits.gasUsed / logDataGas)
    fail(`${total} log bytes over what ${limits.gasUsed} gas allows`)
  return total
}

// Withdrawals (EIP-4895)

export function encodeWithdrawal(w: Withdrawal): RlpInput {
  return [w.index, w.validatorIndex, w.address, w.amount]
}

export function decodeWithdrawal(item: RlpItem | undefined): Withdrawal {
  const f = asList(item, 'withdrawal', 4)
  return {
    index: asUint(f[0], 'withdrawal.index', 8),
    validatorIndex: asUint(f[1], 'withdrawal.validatorIndex', 8),
    address: asFixed(f[2], 'withdrawal.address', 20),
    amount: asUint(f[3], 'withdrawal.amount', 8),
  }
}
