/** Block and transaction objects in go-ethereum's JSON shapes (hex quantities, 0x data). */
import { recoverAddress } from '@ethwire/crypto'
import { type Block, type BlockHeader, bytesToHex, type Transaction } from '@ethwire/rlp-wire'
import { qty } from './params.js'

/** The sender of a signed transaction, or undefined when the signature recovers no key. */
export function senderOf(tx: Transaction): string | undefined {
  try {
    return bytesToHex(recoverAddress(tx.sigHash(), tx.r, tx.s, tx.recovery))
  } catch {
    return undefined
  }
}

/** A transaction as eth_getTransactionByHash returns it. */
export function formatTransaction(
  tx: Transaction,
  from: string | undefined,
  where?: { block: BlockHeader; index: number },
): Record<string, unknown> {
  const out: Record<string, unknown> = {
    blockHash: where ? bytesToHex(where.block.hash) : null,
    blockNumber: where ? qty(where.block.number) : null,
    blockTimestamp: where ? qty(where.block.time) : null,
    from: from ?? senderOf(tx) ?? null,
    gas: qty(tx.gasLimit),
    hash: bytesToHex(tx.hash),
    input: bytesToHex(tx.data),
    nonce: qty(tx.nonce),
    to: tx.to ? bytesToHex(tx.to) : null,
    transactionIndex: where ? qty(where.index) : null,
    value: qty(tx.value),
    type: qty(tx.type),
    v: qty(tx.v),
    r: qty(tx.r),
    s: qty(tx.s),
  }
  if (tx.type === 0) {
    out.gasPrice = qty(tx.gasPrice ?? 0n)
    const cid = tx.chainIdOrUndefined
    if (cid !== undefined) out.chainId = qty(cid)
  } else {
    out.chainId = qty(tx.chainId ?? 0n)
    out.yParity = qty(tx.recovery)
    out.accessList = (tx.accessList ?? []).map((e) => ({
      address: bytesToHex(e.address),
      storageKeys: e.storageKeys.map((k) => bytesToHex(k)),
    }))
    if (tx.type === 1) out.gasPrice = qty(tx.gasPrice ?? 0n)
    else {
      out.maxFeePerGas = qty(tx.maxFeePerGas ?? 0n)
      out.maxPriorityFeePerGas = qty(tx.maxPriorityFeePerGas ?? 0n)
      // go-ethereum reports the effective price for mined txs and the fee cap for pending ones
      const baseFee = where?.block.baseFee
      const tip = tx.maxPriorityFeePerGas ?? 0n
      const cap = tx.maxFeePerGas ?? 0n
      out.gasPrice = qty(baseFee !== undefined ? (baseFee + tip < cap ? baseFee + tip : cap) : cap)
    }
    if (tx.type === 3) {
      out.maxFeePerBlobGas = qty(tx.maxFeePerBlobGas ?? 0n)
      out.blobVersionedHashes = (tx.blobVersionedHashes ?? []).map((h) => bytesToHex(h))
    }
    if (tx.type === 4)
      out.authorizationList = (tx.authorizationList ?? []).map((a) => ({
        chainId: qty(a.chainId),
        address: bytesToHex(a.address),
        nonce: qty(a.nonce),
        yParity: qty(a.yParity),
        r: qty(a.r),
        s: qty(a.s),
      }))
  }
  return out
}

/**
 * A block as eth_getBlockByNumber returns it. `td` (the total difficulty) is shown only when
 * given: the methods give it on chains that never merge (no terminal total difficulty, a clique
 * dev chain); go-ethereum reports none on merged chains.
 */
export function formatBlock(block: Block, fullTxs: boolean, td?: bigint): Record<string, unknown> {
  const h = block.header
  const out: Record<string, unknown> = {
    number: qty(h.number),
    hash: bytesToHex(block.hash),
    parentHash: bytesToHex(h.parentHash),
    nonce: bytesToHex(h.nonce),
    mixHash: bytesToHex(h.mixDigest),
    sha3Uncles: bytesToHex(h.uncleHash),
    logsBloom: bytesToHex(h.bloom),
    transactionsRoot: bytesToHex(h.txRoot),
    stateRoot: bytesToHex(h.stateRoot),
    receiptsRoot: bytesToHex(h.receiptRoot),
    miner: bytesToHex(h.coinbase),
    difficulty: qty(h.difficulty),
    extraData: bytesToHex(h.extra),
    size: qty(block.encode().length),
    gasLimit: qty(h.gasLimit),
    gasUsed: qty(h.gasUsed),
    timestamp: qty(h.time),
    transactions: fullTxs
      ? block.transactions.map((tx, index) => formatTransaction(tx, undefined, { block: h, index }))
      : block.transactions.map((tx) => bytesToHex(tx.hash)),
    uncles: block.uncles.map((u) => bytesToHex(u.hash)),
  }
  if (td !== undefined) out.totalDifficulty = qty(td)
  if (h.baseFee !== undefined) out.baseFeePerGas = qty(h.baseFee)
  if (h.withdrawalsRoot !== undefined) {
    out.withdrawalsRoot = bytesToHex(h.withdrawalsRoot)
    out.withdrawals = (block.withdrawals ?? []).map((w) => ({
      index: qty(w.index),
      validatorIndex: qty(w.validatorIndex),
      address: bytesToHex(w.address),
      amount: qty(w.amount),
    }))
  }
  if (h.blobGasUsed !== undefined) out.blobGasUsed = qty(h.blobGasUsed)
  if (h.excessBlobGas !== undefined) out.excessBlobGas = qty(h.excessBlobGas)
  if (h.parentBeaconRoot !== undefined) out.parentBeaconBlockRoot = bytesToHex(h.parentBeaconRoot)
  if (h.requestsHash !== undefined) out.requestsHash = bytesToHex(h.requestsHash)
  return out
}
