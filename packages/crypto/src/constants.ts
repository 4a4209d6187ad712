/** Order of the secp256k1 group. */
export const secp256k1N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n
/** n / 2: with EIP-2 (homestead) a transaction's s must not exceed this. */
export const secp256k1HalfN = secp256k1N >> 1n
/** Bytes of a message hash. */
export const hashLengthBytes = 32
/** Bytes of an address. */
export const addressLengthBytes = 20
/** Bytes of an uncompressed public key including the 0x04 prefix. */
export const publicKeyLengthBytes = 65
/** Default number of worker threads of a recovery pool: one. */
export const defaultPoolWorkers = 1
/**
 * How long `RecoveryPool.close()` lets a worker finish the chunk it is on and exit by itself
 * before terminating it. A worker terminated inside a native secp256k1 call can abort the whole
 * process (node-addon-api calls std::terminate when it cannot throw into a terminating thread).
 */
export const poolCloseGraceMs = 2_000
/** A batch is cut into chunks of at most this many items, spread over the workers. */
export const poolChunkItems = 256
