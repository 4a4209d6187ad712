/**
 * What the JSON-RPC methods need from a node, and nothing more (go-ethereum's
 * `internal/ethapi/backend.go`): the methods under `./methods/` are written against this interface
 * only, so they can be tested with a hand-made backend and never import the node. `parts/rpc.ts`
 * builds the real one from the node's parts.
 */
import type { FoundLog, LogFilter, LogQueryOptions } from '@ethwire/chain'
import type { CallInput, CallResult } from '@ethwire/executor'
import type { PeerInfo, SyncingStatus } from '@ethwire/protocol-manager'
import type { Block, BlockHeader, ReceiptData, Transaction } from '@ethwire/rlp-wire'
import type { AccountProof } from '@ethwire/state'

/** A transaction in the pool, as the RPC shows it. */
export interface BackendPoolTx {
  readonly tx: Transaction
  readonly senderHex: string
}

/** Pool contents per sender (hex) and nonce (decimal string). */
export interface BackendPoolContent {
  pending: Record<string, Record<string, Transaction>>
  queued: Record<string, Record<string, Transaction>>
}

/** What the chain emits (`ChainEvent` of @ethwire/chain). */
export type BackendChainEvent =
  | { type: 'head'; header: BlockHeader }
  | { type: 'reorg'; oldHead: BlockHeader; newHead: BlockHeader; ancestor: bigint }
  | { type: 'block'; block: Block; canonical: boolean }

/** Where a mined transaction is. */
export interface BackendMinedTx {
  tx: Transaction
  block: Block
  index: number
}

/** Where a canonical transaction is (the chain's lookup index). */
export interface BackendTxLocation {
  tx: Transaction
  blockHash: Uint8Array
  blockNumber: bigint
  index: number
}

/** An `eth_call` / `eth_estimateGas` message, run on the state of `header`. */
export type BackendCall = Omit<CallInput, 'headers' | 'signal'>

/** What `admin_nodeInfo` shows of the transports. */
export interface BackendNodeInfo {
  /** libp2p peer id. */
  peerId: string
  /** Our enode URL when RLPx listens. */
  enode: string | undefined
  /** RLPx node id (128 hex chars). */
  nodeId: string | undefined
  listenHost: string
  /** libp2p multiaddrs. */
  multiaddrs: string[]
  /** Our `enr:` record (discovery on). */
  enr?: string
  /** discv4 UDP port (discovery on). */
  discoveryPort?: number
}

/** A connected peer as admin_peers shows it: the protocol manager's info and how it was found. */
export type BackendPeerInfo = PeerInfo & {
  /** `static` (bootnodes, admin_addPeer), `discv4`, `dns` or `inbound`. */
  howFound?: string
}

export interface Backend {
  // ------------------------------------------------------------------ node
  readonly clientVersion: string
  readonly networkId: bigint
  readonly chainId: bigint
  /** Whether the node is running (net_listening). */
  readonly running: boolean
  nodeInfo(): BackendNodeInfo
  /** Dials a multiaddr or enode URL and keeps it connected; rejects when the dial fails. */
  addPeer(address: string): Promise<unknown>

  // ------------------------------------------------------------------ chain
  /** The genesis config as stored (admin_nodeInfo). */
  readonly chainConfig: object
  readonly genesisHash: Uint8Array
  currentHeader(): BlockHeader
  currentTd(): bigint
  blockByNumber(n: bigint): Promise<Block | undefined>
  blockByHash(hash: Uint8Array): Promise<Block | undefined>
  td(hash: Uint8Array): Promise<bigint | undefined>
  headerByNumber(n: bigint): Promise<BlockHeader | undefined>
  headerByHash(hash: Uint8Array): Promise<BlockHeader | undefined>
  /**
   * The `safe` and `finalized` headers the last forkchoice set (`setFinality`); none on a chain
   * without a consensus client (clique, PoW, --dev). Absent: none.
   */
  finality?(): { safe?: BlockHeader; finalized?: BlockHeader }
  /**
   * Sets the `safe` / `finalized` blocks by hash (a forkchoice update, e.g. the rpc-compat
   * fixtures' `headfcu.json`); rejects when a hash names no stored block.
   */
  setFinality?(hashes: { safe?: Uint8Array; finalized?: Uint8Array }): Promise<void>
  /** The canonical hash at a height. */
  canonicalHash(n: bigint): Promise<Uint8Array | undefined>
  /** A transaction of a canonical block by hash (the chain's lookup index, then recent blocks). */
  minedTransaction(hash: Uint8Array): Promise<BackendMinedTx | undefined>
  /** The receipts of a stored block (with execution, every canonical block has them). */
  receipts(blockHash: Uint8Array): Promise<ReceiptData[] | undefined>
  /**
   * The canonical logs matching a filter (the chain's bloom-bits index); rejects with the chain's
   * `ErrLogsFilter` / `ErrLogsRange` / `ErrLogsLimit` / `ErrUnknownBlock`.
   */
  getLogs(filter: LogFilter, options?: LogQueryOptions): Promise<FoundLog[]>
  /**
   * Chain events (new heads, reorgs, blocks), for filters and subscriptions; returns the
   * unsubscribe function.
   */
  onChainEvent(listener: (e: BackendChainEvent) => void): () => void
  /** New pool transactions (hashes), for pending-transaction filters; returns the unsubscribe. */
  onPendingTransactions(listener: (hashes: Uint8Array[]) => void): () => void

  // ------------------------------------------------------------------ state (at a header's root)
  /** Whether the state of `header` is stored (reads of a missing state fail). */
  hasState(header: BlockHeader): Promise<boolean>
  balance(address: Uint8Array, header: BlockHeader): Promise<bigint>
  nonce(address: Uint8Array, header: BlockHeader): Promise<bigint>
  code(address: Uint8Array, header: BlockHeader): Promise<Uint8Array>
  /** A 32-byte storage slot's value (32 bytes, zero when unset). */
  storage(address: Uint8Array, slot: Uint8Array, header: BlockHeader): Promise<Uint8Array>
  /** EIP-1186: the account and storage proofs at the state of `header`. */
  proof(address: Uint8Array, slots: Uint8Array[], header: BlockHeader): Promise<AccountProof>
  /** The nonce the account's next transaction takes counting the pool's pending ones. */
  pendingNonce(address: Uint8Array): Promise<bigint>

  // ------------------------------------------------------------------ execution
  /** go-ethereum's DoCall: a message on a block's state, nothing committed; a revert is a result. */
  call(input: BackendCall): Promise<CallResult>
  /** go-ethereum's DoEstimateGas; throws the executor's `ErrExecutionReverted` on a revert. */
  estimateGas(input: BackendCall): Promise<bigint>
  /** The priority fee to suggest (go-ethereum's gas price oracle over recent blocks). */
  suggestTip(): Promise<bigint>

  // ------------------------------------------------------------------ pool
  /** Adds a signed transaction (binary form) as a local one; resolves with its hash hex. */
  sendRawTransaction(raw: Uint8Array, prepared?: unknown): Promise<string>
  /**
   * Raw transactions about to be sent one by one (a JSON-RPC batch): their senders are recovered
   * together, off the main thread; one opaque result per raw (undefined where nothing was done),
   * handed back to `sendRawTransaction` with that raw. Optional.
   */
  prepareRawTransactions?(raws: readonly Uint8Array[]): Promise<unknown[]>
  poolTransaction(hash: Uint8Array): BackendPoolTx | undefined
  poolStatus(): { pending: number; queued: number }
  poolContent(): BackendPoolContent

  // ------------------------------------------------------------------ peers
  peerCount(): number
  peerInfos(): BackendPeerInfo[]
  syncing(): false | SyncingStatus
  /** debug_wireStats: protocol counters and the downloader's progress. */
  wireStats(): Record<string, number>
}
