/**
 * The contracts of the state database: what it reads from (a key-value reader over the caller's
 * store), what it returns (write ops for the caller's batch), and the shapes of accounts, world
 * states and proofs.
 */

/** Read side of the caller's key-value store (a LevelDB `Level` instance fits as it is). */
export interface KeyValueReader {
  /** The value stored at `key`, or `undefined` when there is none. */
  get(key: Uint8Array): Promise<Uint8Array | undefined>
  /** Optional batched read; must return one entry per key, in order. */
  getMany?(keys: Uint8Array[]): Promise<(Uint8Array | undefined)[]>
}

/** A write the caller puts in its own batch (the shape `level`'s `batch()` takes). */
export interface PutOp {
  type: 'put'
  key: Uint8Array
  value: Uint8Array
}

/** Write ops. The hash scheme never deletes (archive mode), so every op is a put. */
export type BatchOp = PutOp

/** Keccak-256, injectable so the whole stack hashes through one function. */
export type Hasher = (data: Uint8Array) => Uint8Array

/** An account as stored in the account trie: `rlp([nonce, balance, storageRoot, codeHash])`. */
export interface Account {
  nonce: bigint
  balance: bigint
  storageRoot: Uint8Array
  codeHash: Uint8Array
}

/** The result of {@link WorldState.commit}: the new state root and the writes that store it. */
export interface StateCommit {
  root: Uint8Array
  ops: BatchOp[]
}

/**
 * One block's worth of buffered changes on top of a stored root. Addresses are 20 bytes, slots and
 * storage values 32 bytes (a zero value deletes the slot). Keys are hashed inside (secure trie).
 *
 * `setAccount` ignores the `storageRoot` it is given: the world state owns storage roots, which
 * follow `setStorage`/`clearStorage` (and deleting an account deletes its storage).
 * `getAccount` returns the storage root including storage writes made so far.
 */
export interface WorldState {
  getAccount(address: Uint8Array): Promise<Account | undefined>
  /** 32-byte value, all zeros when the slot (or the account) is absent. */
  getStorage(address: Uint8Array, slot: Uint8Array): Promise<Uint8Array>
  /** The code for `codeHash` (empty for the empty code hash); throws `ErrMissingCode` if unknown. */
  getCode(codeHash: Uint8Array): Promise<Uint8Array>
  /** `undefined` deletes the account and its storage. */
  setAccount(address: Uint8Array, account: Account | undefined): void
  setStorage(address: Uint8Array, slot: Uint8Array, value: Uint8Array): void
  /** Storage back to the empty trie (selfdestruct, create over an address with storage). */
  clearStorage(address: Uint8Array): void
  setCode(codeHash: Uint8Array, code: Uint8Array): void
  /**
   * Loads, in batched store reads, the accounts and storage slots about to be used (a block's
   * senders and recipients, say), so the reads that follow find them in memory. A hint: reads are
   * right without it. (An addition to SEAMS.md's shape.)
   */
  prefetch(
    accounts: readonly Uint8Array[],
    slots?: readonly (readonly [address: Uint8Array, slot: Uint8Array])[],
  ): Promise<void>
  /** The state root with every change so far; hashes only the nodes changed since the last call. */
  root(): Promise<Uint8Array>
  /**
   * The new root and the ops that store every node and code created since the last commit. The
   * world state stays usable on top of the new root. Nothing is visible to other readers until the
   * caller has written the ops (and, for the cache, called {@link StateDatabase.written}).
   */
  commit(): Promise<StateCommit>
}

/** One storage slot of an EIP-1186 proof. */
export interface StorageProof {
  /** The slot as asked (32 bytes). */
  key: Uint8Array
  value: bigint
  /** RLP of the storage-trie nodes from the storage root to the slot (or to where it is absent). */
  proof: Uint8Array[]
}

/** `eth_getProof` (EIP-1186) result, as bytes and bigints. */
export interface AccountProof {
  address: Uint8Array
  /** RLP of the account-trie nodes from the state root to the account (or to where it is absent). */
  accountProof: Uint8Array[]
  balance: bigint
  nonce: bigint
  codeHash: Uint8Array
  storageHash: Uint8Array
  storageProof: StorageProof[]
}

export interface GetNodeDataOptions {
  /** Stop once the returned bytes reach this many (the item that crosses it is included). */
  maxBytes?: number
  /** Stop after this many items. */
  maxItems?: number
}

/** Cache and store counters, for metrics and benchmarks. */
export interface StateStats {
  cacheBytes: number
  cacheNodes: number
  cacheHits: number
  cacheMisses: number
  /** Node reads that went to the store. */
  storeReads: number
}

export interface StateDatabase {
  /** A mutable world state over the stored `root` (the empty root needs nothing stored). */
  open(root: Uint8Array): WorldState
  getAccount(root: Uint8Array, address: Uint8Array): Promise<Account | undefined>
  getStorage(root: Uint8Array, address: Uint8Array, slot: Uint8Array): Promise<Uint8Array>
  getCode(codeHash: Uint8Array): Promise<Uint8Array | undefined>
  /** Whether the root node of `root` is stored (a commit writes it with the rest of its trie). */
  hasRoot(root: Uint8Array): Promise<boolean>
  getProof(root: Uint8Array, address: Uint8Array, slots: Uint8Array[]): Promise<AccountProof>
  /** Trie nodes and code by hash, in the asked order, skipping unknown hashes (eth/63–66). */
  getNodeData(hashes: Uint8Array[], options?: GetNodeDataOptions): Promise<Uint8Array[]>
  /** Tells the state the caller has written these ops: their nodes may now be cached and shared. */
  written(ops: readonly BatchOp[]): void
  /** A trie-sync scheduler for `root` over this database's store (see `createTrieSync`). */
  trieSync(root: Uint8Array, options?: TrieSyncOptions): Promise<TrieSync>
  stats(): StateStats
}

export interface StateDatabaseComponents {
  db: KeyValueReader
  /** Defaults to `keccak256` from `@ethwire/rlp-wire`. */
  hasher?: Hasher
}

export interface StateDatabaseOptions {
  /** Byte budget of the decoded-node cache shared by every world state and read. */
  cacheBytes?: number
  /** Byte budget of the contract-code cache. */
  codeCacheBytes?: number
}

/** A genesis.json `alloc` entry (go-ethereum's shape: hex strings, decimal allowed for numbers). */
export interface GenesisAllocAccount {
  balance?: string
  nonce?: string
  code?: string
  storage?: Record<string, string>
}

/** A batch of hashes handed to one peer; give it back to `deliver` or `expire`. */
export interface TrieSyncRequest {
  readonly id: number
  readonly peer: string
  readonly hashes: readonly Uint8Array[]
}

export interface TrieSyncProgress {
  /** Items delivered and accepted (go-ethereum's pulledStates). */
  pulled: number
  /** pulled plus the items still to fetch or being fetched (knownStates). */
  known: number
  /** Nodes delivered and waiting for their children. */
  waiting: number
  /** Hashes handed out and not yet delivered. */
  inFlight: number
  /** Hashes waiting to be handed out. */
  queued: number
  /** Items completed (stored or returned by `commit`). */
  committed: number
  duplicates: number
  bytes: number
  done: boolean
}

export interface DeliverResult {
  /** Items accepted. */
  accepted: number
  /** Items that were asked for but had already been delivered. */
  duplicates: number
  /** Asked-for hashes the response did not carry (they go back to the queue). */
  missing: number
}

export interface TrieSync {
  readonly root: Uint8Array
  /**
   * Up to `max` (default 384, eth's GetNodeData soft cap) hashes for `peer` to fetch, deepest
   * first; fewer when the in-flight cap is reached; undefined when there is nothing for this peer
   * just now. A hash is not given again to a peer that answered a request for it empty, unless
   * nothing else is in flight (then waiting would stall the sync).
   */
  request(peer: string, max?: number): TrieSyncRequest | undefined
  /**
   * The items a peer sent for `req`, any subset in any order. Every item is hashed first: if one
   * hashes to nothing this request asked for, the whole answer is refused (nothing of it is kept,
   * the hashes go back to the queue) and this throws `ErrNotRequested`: drop that peer. Otherwise
   * the items are taken and the hashes the answer left out go back to the queue.
   */
  deliver(req: TrieSyncRequest, items: readonly Uint8Array[]): Promise<DeliverResult>
  /** A request that timed out or whose peer went away: its hashes go back to the queue. */
  expire(req: TrieSyncRequest): void
  /** Handed-out hashes to give out again (whatever request they were in). */
  release(hashes: readonly Uint8Array[]): void
  /** The open request a handed-out hash belongs to. */
  requestOf(hash: Uint8Array): TrieSyncRequest | undefined
  /**
   * Put ops for everything completed since the last call (children before parents, the root
   * last). Write them before calling `deliver` again, so its store check finds them.
   */
  commit(): BatchOp[]
  progress(): TrieSyncProgress
  /** True once the root is complete and `commit()` has returned everything (or it was stored). */
  done(): boolean
}

export interface TrieSyncOptions {
  /** Most hashes handed out and not yet delivered, over all peers. */
  maxInFlight?: number
}
