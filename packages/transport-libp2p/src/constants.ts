/** Defaults and limits of the libp2p transport. Units are in the names. */

/** The eth payload cap (10 MiB), enforced from the length prefix before the payload is buffered. */
export { maxMessageSizeBytes as defaultMaxMessageSizeBytes } from './wire.js'

/** libp2p protocol id of eth version `v`: `/ethwire/eth/<v>/1.0.0`. */
export const defaultProtocolPrefix = '/ethwire/eth'
export const protocolSuffix = '1.0.0'

/** The frame code reserved for the transport's own Disconnect frame (payload: varint reason). */
export const disconnectFrameCode = 0x7fff

/** Largest frame code accepted (4-byte varint); eth codes are far below. */
export const maxFrameCode = 0x0fff_ffff

/** Longest accepted varint for the code (4 bytes) and for the length (8 bytes). */
export const maxCodeVarintBytes = 4
export const maxLengthVarintBytes = 8

/**
 * Read-side back-pressure: once this many decoded-but-unread payload bytes are queued the libp2p
 * stream is paused (yamux stops granting window, so the sender's writes wait), and resumed when
 * the queue drops under half of it.
 */
export const readQueueHighWaterBytes = 4 * 1024 * 1024

/**
 * Write-side back-pressure: `writeMsg` resolves only once the libp2p stream's own write buffer
 * (what the yamux window has not let out yet) is at most this many bytes.
 */
export const writeBufferHighWaterBytes = 1024 * 1024

/** Payloads at least this large are sent as their own chunk instead of copied next to the header. */
export const copyThresholdBytes = 16 * 1024

/** How long `close()` waits for the disconnect frame to be flushed before aborting the stream. */
export const closeTimeoutMs = 2_000

/** How long a dial (connect + protocol negotiation) may take. */
export const dialTimeoutMs = 10_000

/** Inbound connections queued while nobody consumes `inbound()`; more are refused (TooManyPeers). */
export const maxPendingInbound = 64

/** File in the data directory holding the libp2p private key (protobuf-encoded). */
export const peerKeyFileName = 'libp2p-node-key'

/** Default listen address: loopback, a free port. */
export const defaultListenAddrs = ['/ip4/127.0.0.1/tcp/0']

/**
 * Inbound connection limits of the libp2p node (see `Libp2pTransportOptions.inboundLimits`). The
 * eth peer limit (how many peers a node keeps) is the node's own (peerset / `--maxpeers`); these
 * only bound what libp2p accepts before an eth stream exists.
 */
/** libp2p connections at most, both directions (libp2p's own default is 300). */
export const defaultMaxConnections = 300
/**
 * Inbound connections in their upgrade (noise + yamux handshake) at once; more are refused. libp2p's
 * default is 10, which a burst of dials reaches as soon as the handshakes slow down under load.
 */
export const defaultMaxPendingInboundConnections = 64
/**
 * New inbound connections one remote host may open per second (libp2p's default, 5). Loopback
 * hosts are exempt unless `limitLoopback` is set: every local client shares 127.0.0.1, as geth
 * exempts LAN addresses from its inbound throttle.
 */
export const defaultInboundPerHostPerSecond = 5
/** Hosts the per-host inbound limiter tracks at once; stale ones are dropped first. */
export const maxTrackedInboundHosts = 4096

/**
 * libp2p's connection monitor pings every connection this often (libp2p's default: 10 s)...
 */
export const defaultPingIntervalMs = 15_000
/**
 * ...and aborts the connection when a ping is not answered within this long at least (libp2p's
 * adaptive timeout starts from 5 s, which a node whose event loop is busy for a few seconds can
 * miss). RLPx's values: a ping every 15 s, a peer silent for 20 s after it dropped.
 */
export const defaultPingTimeoutMs = 20_000
