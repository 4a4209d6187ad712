/** Defaults and limits of the Status handshake. */

/** How long the whole Status exchange (send and receive) may take: 5 s, as in go-ethereum. */
export const handshakeTimeoutMs = 5_000

/** How long a peer has to answer the DAO-fork challenge (the fork block's header): 15 s. */
export const daoChallengeTimeoutMs = 15_000

/** Largest Status payload accepted: the protocol's 10 MiB message cap. */
export const maxStatusSizeBytes = 10 * 1024 * 1024

/**
 * EIP-2124 rule 1a threshold (mainnet genesis time): a remote FORK_NEXT above it is a timestamp
 * and is compared with the local head time, otherwise with the local head block number.
 */
export const forkIdTimestampThreshold = 1_438_269_973n

/** The extra-data of the DAO-fork block on the pro-fork chain: "dao-hard-fork". */
export const daoForkExtraData = new TextEncoder().encode('dao-hard-fork')
