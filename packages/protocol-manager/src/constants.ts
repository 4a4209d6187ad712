/** Defaults and limits of the protocol manager (go-ethereum's values where it has them). */

/** Soft cap on the size of one response we serve (headers, bodies, receipts, node data, txs). */
export const softResponseLimitBytes = 2 * 1024 * 1024
/** Estimated RLP size of a header, used to bound header responses cheaply. */
export const estHeaderRlpSizeBytes = 500
/** Most headers served per GetBlockHeaders on eth/62-63. */
export const maxHeadersServeEth63 = 192
/** Most headers served per GetBlockHeaders on eth/66+. */
export const maxHeadersServeEth66 = 1024
/** Most bodies served per GetBlockBodies. */
export const maxBodiesServe = 1024
/** Most receipts lists served per GetReceipts. */
export const maxReceiptsServe = 1024
/** Most trie nodes / code entries served per GetNodeData. */
export const maxNodeDataServe = 1024
/** Most pooled transactions served per GetPooledTransactions. */
export const maxPooledTxsServe = 256
/** How far back a hash-mode header query may walk non-canonical ancestors. */
export const maxNonCanonicalAncestors = 100n
/** Default most peers. */
export const defaultMaxPeers = 50
/** Peers needed before a newly arrived peer triggers a sync. */
export const minDesiredPeerCount = 5
/** Forced sync interval. */
export const forceSyncIntervalMs = 10_000
/** Highest uint64, for the skip-overflow rules of header queries. */
export const maxUint64 = (1n << 64n) - 1n
/** Status exchange timeout (go-ethereum's handshakeTimeout). */
export const handshakeTimeoutMs = 5_000
/** Largest message payload accepted from a peer (go-ethereum's ProtocolMaxMsgSize). */
export const maxMessageSizeBytes = 10 * 1024 * 1024
/** eth/69: a BlockRangeUpdate goes out when our head moved this many blocks since the last one. */
export const blockRangeUpdateIntervalBlocks = 32n
/** A NewBlock total difficulty at or above 2^100 is refused (go-ethereum's sanity check). */
export const maxNewBlockTd = 1n << 100n
/** New pending transactions collected this long before one broadcast (one message per peer). */
export const txBroadcastDelayMs = 10
/**
 * eth/70: the most bytes of receipt lists one `Receipts` answer carries; a block whose receipts
 * would go past it is cut and `lastBlockIncomplete` set (go-ethereum: the 10 MiB packet cap; 1 KiB
 * is left for the request id, the flag and the list headers).
 */
export const receiptsPacketLimitBytes = maxMessageSizeBytes - 1024
/** eth/70: continuation requests for one block's receipts before the peer is dropped. */
export const maxPartialReceiptRounds = 32
/** EIP-7975's receipt-count bound from Amsterdam on (go-ethereum): the least gas a transaction uses. */
export const minTxGasAmsterdam = 4500n
/**
 * Requests of one peer waiting to be served (each waits its turn and its flood limit) before the
 * peer's read loop waits too: its connection then takes the back-pressure.
 */
export const maxQueuedServeRequests = 16
/**
 * GetNodeData serving per peer (`@ethwire/peerset`'s flood kinds have none for it): trie nodes
 * and code entries a second, and the burst a fresh peer gets at once. go-ethereum serves them
 * without a rate; with the batched read a node costs a few µs here, so 32,768 a second is about a
 * tenth of a core per peer, while 4,096 (the earlier value) capped a fast sync's state download
 * from one peer at 4,096 nodes a second.
 */
export const nodeDataServedPerPeerPerSecond = 32_768
export const nodeDataServedBurstPerPeer = 32_768
