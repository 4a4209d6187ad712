/**
 * The interfaces txsync consumes. Structural: `@ethwire/peerset`'s Peer and `@ethwire/rlp-wire`'s
 * Transaction fit as they are, and so does anything else with these members.
 */

/** What txsync needs to know of a transaction. */
export interface TxSyncTx {
  /** 32-byte hash. */
  readonly hash: Uint8Array
  /** EIP-2718 type (0 legacy … 3 blob, 4 set-code). */
  readonly type: number
  /** Encoded size in bytes (what packs are measured in, and what eth/68 announces). */
  readonly size: number
}

/** What txsync needs of a peer. */
export interface TxSyncPeer<T extends TxSyncTx = TxSyncTx> {
  readonly id: string
  /** Negotiated eth version (62…69). */
  readonly version: number
  knowsTx(hash: Uint8Array): boolean
  markTransaction(hash: Uint8Array): void
  /** Sends a `Transactions` message. Rejects when the peer is gone. */
  sendTransactions(txs: T[]): Promise<void>
  /**
   * Sends a `NewPooledTransactionHashes` message for these transactions (on eth/68+ with each
   * one's type and size). Rejects when the peer is gone.
   */
  sendPooledTransactionHashes(txs: readonly T[]): Promise<void>
}
