/** Defaults and limits of the RLPx transport. Units are in the names. */

/** The p2p base protocol version we announce in Hello (EIP-706: snappy from v5 on). */
export const p2pProtocolVersion = 5
/** Snappy compression is used when both sides announce at least this p2p version. */
export const snappyMinP2pVersion = 5
/** Message ids 0x00-0x0f belong to the p2p capability; capabilities start at this offset. */
export const baseProtocolLength = 16
/** The largest p2p-level message (Hello, Disconnect, Ping, Pong) we accept, like geth. */
export const maxBaseMessageSizeBytes = 2 * 1024

/** The whole handshake (ECIES auth/ack plus the Hello exchange) must finish within this. */
export const handshakeTimeoutMs = 10_000
/** We send a Ping this often on an idle-or-not connection. */
export const pingIntervalMs = 15_000
/** With no frame at all from the peer for this long after a Ping, the peer is dropped (reason Timeout). */
export const pongTimeoutMs = 20_000
/** After sending Disconnect we give the peer this long to close before destroying the socket. */
export const disconnectGraceMs = 2_000
/** TCP connect timeout for `dial()`. */
export const dialTimeoutMs = 10_000

/** The largest frame the 24-bit frame-size field can describe. */
export const maxFrameSizeLimitBytes = 0xffffff
/** 10 MiB: the largest decompressed message payload (the eth cap). */
export const defaultMaxMessageSizeBytes = 10 * 1024 * 1024
/**
 * Default limit for an incoming frame: snappy's worst-case output for a max-size message
 * (32 + n + n/6) plus a few bytes for the message id, clamped to the 24-bit field.
 */
export const defaultMaxFrameSizeBytes = Math.min(
  maxFrameSizeLimitBytes,
  32 + defaultMaxMessageSizeBytes + Math.ceil(defaultMaxMessageSizeBytes / 6) + 16,
)

/** Stop reading the socket while this many payload bytes wait unread in a connection's queues. */
export const readQueueHighWaterBytes = 16 * 1024 * 1024

/** Largest encrypted auth/ack we accept (the EIP-8 size prefix is 16 bits anyway). */
export const maxHandshakeMessageBytes = 2048
/** Legacy (pre-EIP-8) auth message length on the wire. */
export const legacyAuthLengthBytes = 307
/** Legacy (pre-EIP-8) ack message length on the wire. */
export const legacyAckLengthBytes = 210
/** Random padding appended to EIP-8 auth/ack bodies: between min and max bytes. */
export const eip8PaddingMinBytes = 100
export const eip8PaddingMaxBytes = 250

/** Default maximum number of connected peers (inbound and outbound together). */
export const defaultMaxPeers = 50
/** Client id announced in Hello by default. */
export const defaultClientId = 'ethwire/v0.0.0'
/** File name of the hex node key inside the data directory. */
export const nodeKeyFileName = 'nodekey'
