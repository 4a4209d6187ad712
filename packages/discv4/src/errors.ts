/**
 * Every failure a peer's bytes, a DNS server's answers or a bad argument can cause is a
 * {@link Discv4Error} with a stable `code`. Callers switch on `code`; {@link isDiscv4Error}
 * checks a brand (the `name`), not `instanceof`, so the ESM and CJS builds can meet.
 */
export type Discv4ErrorCode =
  // --- packets (dropped, counted, never answered)
  /** Shorter than hash + signature + type. */
  | 'ErrPacketTooSmall'
  /** Larger than 1280 bytes. */
  | 'ErrPacketTooLarge'
  /** The leading hash is not keccak256 of the rest. */
  | 'ErrBadHash'
  /** No public key recovers from the signature. */
  | 'ErrBadSignature'
  /** A packet type we do not know (not 1–6). */
  | 'ErrUnknownPacketType'
  /** The RLP after the type byte does not decode to the packet's fields. */
  | 'ErrDecode'
  /** The packet's `expiration` is in the past. */
  | 'ErrExpired'
  /** A Pong, Neighbors or ENRResponse that answers nothing we asked (or not from whom we asked). */
  | 'ErrUnsolicitedReply'
  /** FindNode or ENRRequest from a node without an endpoint proof (no Pong from its IP lately). */
  | 'ErrUnknownNode'
  /** A node in Neighbors with a UDP port ≤ 1024. */
  | 'ErrLowPort'
  /** An address that may not be relayed (unspecified, special, LAN from WAN, loopback from non-loopback). */
  | 'ErrInvalidIp'
  /** A node id that is not a point on secp256k1. */
  | 'ErrBadPublicKey'
  // --- requests we make
  /** No reply in time. */
  | 'ErrTimeout'
  /** The service stopped (or was never started). */
  | 'ErrClosed'
  /** Too many requests wait for replies at once. */
  | 'ErrTooManyRequests'
  /** The node has no UDP endpoint to send to. */
  | 'ErrNoEndpoint'
  // --- node records (EIP-778)
  /** A record that does not decode: not a list, odd pairs, keys not sorted, duplicate key, bad value. */
  | 'ErrInvalidEnr'
  /** A record over 300 bytes. */
  | 'ErrEnrTooBig'
  /** The record's signature does not verify, or its identity scheme is not `v4`. */
  | 'ErrEnrSignature'
  /** An ENR answer whose id is not the node we asked, or older than what we had. */
  | 'ErrEnrMismatch'
  /** A malformed `enode://` URL. */
  | 'ErrInvalidEnode'
  // --- DNS discovery (EIP-1459)
  /** A malformed `enrtree://` URL or tree entry. */
  | 'ErrDnsSyntax'
  /** No `enrtree-root:v1` record at the tree's domain. */
  | 'ErrDnsNoRoot'
  /** The root's signature does not verify against the tree's public key. */
  | 'ErrDnsBadSignature'
  /** An entry whose keccak256 does not start with the hash it was looked up by. */
  | 'ErrDnsHashMismatch'
  /** No tree entry at a name the tree refers to. */
  | 'ErrDnsNoEntry'
  /** An ENR leaf in the link subtree or a link in the ENR subtree. */
  | 'ErrDnsWrongSubtree'
  /** A DNS lookup failed (resolver error or timeout). */
  | 'ErrDnsLookup'
  /** A root whose sequence number went down. */
  | 'ErrDnsSeqRegression'
  // --- local misuse
  /** A bad argument or option. */
  | 'ErrInvalidArgument'
  /** The data directory holds a file we cannot read. */
  | 'ErrStore'

export class Discv4Error extends Error {
  override readonly name = 'Discv4Error'
  readonly code: Discv4ErrorCode

  constructor(code: Discv4ErrorCode, message: string, opts: { cause?: unknown } = {}) {
    super(`${code}: ${message}`, opts.cause === undefined ? undefined : { cause: opts.cause })
    this.code = code
  }
}

/** True when `err` is a {@link Discv4Error} (of `code`, when given); checks the brand, not the class. */
export function isDiscv4Error(err: unknown, code?: Discv4ErrorCode): err is Discv4Error {
  if (typeof err !== 'object' || err === null) return false
  const e = err as { name?: unknown; code?: unknown }
  if (e.name !== 'Discv4Error' || typeof e.code !== 'string') return false
  return code === undefined || e.code === code
}
