/** eth_getTransactionReceipt's object (go-ethereum's `MarshalReceipt`). */
import {
  type Block,
  bigIntToBytes,
  bytesToHex,
  keccak256,
  type ReceiptData,
  rlpEncode,
  type Transaction,
} from '@ethwire/rlp-wire'
import { qty } from './params.js'

/** EIP-4844: gas per blob. */
const blobGasPerBlob = 131_072n

/** The address a creation by `sender` with `nonce` makes: keccak(rlp([sender, nonce]))[12:]. */
export function createdAddress(sender: Uint8Array, nonce: bigint): Uint8Array {
  return keccak256(rlpEncode([sender, bigIntToBytes(nonce)])).slice(12)
}

/** What the sender paid per gas: the gas price, or min(fee cap, base fee + tip) from London. */
export function effectiveGasPrice(tx: Transaction, baseFee: bigint | undefined): bigint {
  if (tx.type === 0 || tx.type === 1) return tx.gasPrice ?? 0n
  const cap = tx.maxFeePerGas ?? 0n
  const tip = tx.maxPriorityFeePerGas ?? 0n
  if (baseFee === undefined) return cap
  return baseFee + tip < cap ? baseFee + tip : cap
}

export function formatReceipt(
  block: Block,
  receipts: readonly ReceiptData[],
  index: number,
  from: string | null,
  /** The block's blob base fee (wei per blob gas), shown on blob transactions' receipts. */
  blobGasPrice?: bigint,
): Record<string, unknown> {
  const tx = block.transactions[index] as Transaction
  const r = receipts[index] as ReceiptData
  const prevCumulative = index > 0 ? (receipts[index - 1] as ReceiptData).cumulativeGasUsed : 0n
  let logIndex = 0
  for (let i = 0; i < index; i++) logIndex += (receipts[i] as ReceiptData).logs.length
  const blockHash = bytesToHex(block.hash)
  const blockNumber = qty(block.header.number)
  const transactionHash = bytesToHex(tx.hash)
  const transactionIndex = qty(index)
  const out: Record<string, unknown> = {
    blockHash,
    blockNumber,
    transactionHash,
    transactionIndex,
    from,
    to: tx.to ? bytesToHex(tx.to) : null,
    cumulativeGasUsed: qty(r.cumulativeGasUsed),
    gasUsed: qty(r.cumulativeGasUsed - prevCumulative),
    contractAddress:
      !tx.to && from !== null ? bytesToHex(createdAddress(fromHex(from), tx.nonce)) : null,
    logs: r.logs.map((l, i) => ({
      address: bytesToHex(l.address),
      topics: l.topics.map((t) => bytesToHex(t)),
      data: bytesToHex(l.data),
      blockNumber,
      blockHash,
      blockTimestamp: qty(block.header.time),
      transactionHash,
      transactionIndex,
      logIndex: qty(logIndex + i),
      removed: false,
    })),
    logsBloom: bytesToHex(r.bloom ?? new Uint8Array(256)),
    type: qty(tx.type),
    effectiveGasPrice: qty(effectiveGasPrice(tx, block.header.baseFee)),
  }
  if (tx.type === 3) {
    out.blobGasUsed = qty(BigInt(tx.blobVersionedHashes?.length ?? 0) * blobGasPerBlob)
    out.blobGasPrice = qty(blobGasPrice ?? 0n)
  }
  // Byzantium on: a status; before: the intermediate state root
  if (r.postStateOrStatus.length === 32) out.root = bytesToHex(r.postStateOrStatus)
  else out.status = r.postStateOrStatus.length === 1 && r.postStateOrStatus[0] === 1 ? '0x1' : '0x0'
  return out
}

function fromHex(h: string): Uint8Array {
  return Uint8Array.from(Buffer.from(h.slice(2), 'hex'))
}
