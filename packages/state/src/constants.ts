/** Defaults and limits of the state database. */

/** Default byte budget of the decoded-node cache shared across blocks (64 MiB). */
export const defaultCacheBytes = 64 * 1024 * 1024
/** Default byte budget of the contract-code cache (16 MiB). */
export const defaultCodeCacheBytes = 16 * 1024 * 1024
/**
 * What a cache entry costs beyond its RLP bytes (map entry, key string, the buffer's object), an
 * estimate measured on Node 20; decoded nodes add their objects (see `decodedNodeBytes`).
 */
export const cacheNodeOverheadBytes = 300
/** Most keys sent to the store in one `getMany` call. */
export const maxGetManyKeys = 1024
/** Key prefix of contract code: `'c' ++ codeHash`, as go-ethereum. */
export const codePrefixByte = 0x63

/** Trie sync: default most requests handed out and not yet delivered at once. */
export const defaultSyncMaxInFlight = 4096
/** Trie sync: default most hashes in one batch handed to a peer (eth/63 GetNodeData soft cap: 384). */
export const defaultSyncBatchItems = 384
/**
 * State sync (`createStateSync`): most completed batches written behind the deliveries at once. A
 * delivery goes on while the one before it is written (the store's write runs off the main
 * thread); past this many queued writes it waits, so unwritten nodes stay bounded.
 */
export const maxStateWritesBehind = 2
