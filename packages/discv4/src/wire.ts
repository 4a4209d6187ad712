/**
 * The discv4 wire format: `hash(32) || signature(65) || type(1) || rlp(fields)`, where the
 * hash is keccak256 of everything after it and the signature is over keccak256(type || rlp).
 * Decoding follows EIP-8: list elements after the known ones are kept in `rest` and otherwise
 * ignored, and bytes after the RLP list are ignored. EIP-868 adds `enrSeq` to Ping and Pong and
 * the ENRRequest/ENRResponse pair.
 */
import {
  equalBytes,
  keccak256,
  type RlpInput,
  type RlpItem,
  rlpDecode,
  rlpEncode,
  rlpRaw,
} from '@ethwire/rlp-wire'
import { maxNeighborsPerPacket, maxPacketSizeBytes, packetHeadSizeBytes } from './constants.js'
import { Discv4Error } from './errors.js'
import { recoverSigner, signRecoverable } from './keys.js'

export const PacketType = {
  Ping: 1,
  Pong: 2,
  FindNode: 3,
  Neighbors: 4,
  EnrRequest: 5,
  EnrResponse: 6,
} as const
export type PacketTypeCode = (typeof PacketType)[keyof typeof PacketType]

const typeNames: Record<number, string> = {
  1: 'Ping',
  2: 'Pong',
  3: 'FindNode',
  4: 'Neighbors',
  5: 'ENRRequest',
  6: 'ENRResponse',
}

/** The name of a packet type for logs (`Ping`, … or `type 66`). */
export function packetTypeName(type: number): string {
  return typeNames[type] ?? `type ${type}`
}

/**
 * A network endpoint as the wire carries it. `ip` is the raw field: 4 or 16 bytes normally, but
 * a Ping's `from`/`to` may hold anything (they are informational and go-ethereum ignores them).
 */
export interface Endpoint {
  readonly ip: Uint8Array
  readonly udpPort: number
  readonly tcpPort: number
}

/** One node of a Neighbors packet. */
export interface WireNode {
  readonly ip: Uint8Array
  readonly udpPort: number
  readonly tcpPort: number
  /** 64-byte public key. */
  readonly publicKey: Uint8Array
}

/** Unix seconds; a uint64 on the wire (values ≥ 2^63 are in the past, as int64 in go-ethereum). */
type Expiration = bigint

export interface PingPacket {
  readonly type: typeof PacketType.Ping
  readonly version: bigint
  readonly from: Endpoint
  readonly to: Endpoint
  readonly expiration: Expiration
  /** EIP-868: the sender's record sequence number (absent in pre-868 pings). */
  readonly enrSeq?: bigint
  readonly rest?: readonly Uint8Array[]
}
export interface PongPacket {
  readonly type: typeof PacketType.Pong
  /** The endpoint the ping came from, as the answering node saw it. */
  readonly to: Endpoint
  /** Hash of the ping this answers. */
  readonly pingHash: Uint8Array
  readonly expiration: Expiration
  readonly enrSeq?: bigint
  readonly rest?: readonly Uint8Array[]
}
export interface FindNodePacket {
  readonly type: typeof PacketType.FindNode
  /** 64 bytes; the node id searched for is keccak256(target). */
  readonly target: Uint8Array
  readonly expiration: Expiration
  readonly rest?: readonly Uint8Array[]
}
export interface NeighborsPacket {
  readonly type: typeof PacketType.Neighbors
  readonly nodes: readonly WireNode[]
  readonly expiration: Expiration
  readonly rest?: readonly Uint8Array[]
}
export interface EnrRequestPacket {
  readonly type: typeof PacketType.EnrRequest
  readonly expiration: Expiration
  readonly rest?: readonly Uint8Array[]
}
export interface EnrResponsePacket {
  readonly type: typeof PacketType.EnrResponse
  /** Hash of the ENRRequest this answers. */
  readonly requestHash: Uint8Array
  /** The record, raw RLP (decoded and verified by whoever asked). */
  readonly record: Uint8Array
  readonly rest?: readonly Uint8Array[]
}
export type Packet =
  | PingPacket
  | PongPacket
  | FindNodePacket
  | NeighborsPacket
  | EnrRequestPacket
  | EnrResponsePacket

// ---------------------------------------------------------------------------------------------
// Encoding

function endpointItem(e: Endpoint): RlpInput {
  return [e.ip, e.udpPort, e.tcpPort]
}

/** The RLP list of a packet's fields (no type byte). */
export function encodePacketData(p: Packet): Uint8Array {
  const rest = (p.rest ?? []).map(rlpRaw)
  switch (p.type) {
    case PacketType.Ping:
      return rlpEncode([
        p.version,
        endpointItem(p.from),
        endpointItem(p.to),
        p.expiration,
        ...(p.enrSeq === undefined ? [] : [p.enrSeq]),
        ...rest,
      ])
    case PacketType.Pong:
      return rlpEncode([
        endpointItem(p.to),
        p.pingHash,
        p.expiration,
        ...(p.enrSeq === undefined ? [] : [p.enrSeq]),
        ...rest,
      ])
    case PacketType.FindNode:
      return rlpEncode([p.target, p.expiration, ...rest])
    case PacketType.Neighbors:
      return rlpEncode([
        p.nodes.map((n) => [n.ip, n.udpPort, n.tcpPort, n.publicKey]),
        p.expiration,
        ...rest,
      ])
    case PacketType.EnrRequest:
      return rlpEncode([p.expiration, ...rest])
    case PacketType.EnrResponse:
      return rlpEncode([p.requestHash, rlpRaw(p.record), ...rest])
  }
}

/**
 * Signs and frames a packet. Returns the datagram and its hash (what a Pong or ENRResponse
 * echoes). `trailing` bytes are appended after the RLP (EIP-8 tests only).
 */
export function encodePacket(
  p: Packet | { type: number; data: Uint8Array },
  privateKey: Uint8Array,
  opts: { trailing?: Uint8Array } = {},
): { bytes: Uint8Array; hash: Uint8Array } {
  if ('nodes' in p && p.nodes.length > maxNeighborsPerPacket) {
    throw new Discv4Error('ErrInvalidArgument', `more than ${maxNeighborsPerPacket} neighbors`)
  }
  const data = 'data' in p ? p.data : encodePacketData(p)
  const trailing = opts.trailing ?? new Uint8Array(0)
  const out = new Uint8Array(packetHeadSizeBytes + 1 + data.length + trailing.length)
  out[packetHeadSizeBytes] = p.type
  out.set(data, packetHeadSizeBytes + 1)
  out.set(trailing, packetHeadSizeBytes + 1 + data.length)
  const sig = signRecoverable(keccak256(out.subarray(packetHeadSizeBytes)), privateKey)
  out.set(sig, 32)
  const hash = keccak256(out.subarray(32))
  out.set(hash, 0)
  if (out.length > maxPacketSizeBytes) {
    throw new Discv4Error('ErrPacketTooLarge', `packet of ${out.length} bytes`)
  }
  return { bytes: out, hash }
}

// ---------------------------------------------------------------------------------------------
// Decoding

function fail(message: string, cause?: unknown): never {
  throw new Discv4Error('ErrDecode', message, cause === undefined ? {} : { cause })
}

/** The byte length of the first RLP item of `b` (header and content); checks it fits. */
function firstItemLength(b: Uint8Array): number {
  if (b.length === 0) fail('no RLP after the packet type')
  const p = b[0]!
  let len: number
  if (p < 0xc0) fail('packet data is not an RLP list')
  if (p <= 0xf7) len = 1 + (p - 0xc0)
  else {
    const ll = p - 0xf7
    if (b.length < 1 + ll) fail('truncated list header')
    let n = 0
    for (let i = 0; i < ll; i++) n = n * 256 + b[1 + i]!
    len = 1 + ll + n
  }
  if (len > b.length) fail('list longer than the packet')
  return len
}

function bytesField(item: RlpItem | undefined, field: string): Uint8Array {
  if (item instanceof Uint8Array) return item
  fail(item === undefined ? `${field}: missing` : `${field}: expected a string`)
}

function uintField(item: RlpItem | undefined, field: string, maxBytes: number): bigint {
  const b = bytesField(item, field)
  if (b.length > maxBytes) fail(`${field}: integer of ${b.length} bytes`)
  if (b.length > 0 && b[0] === 0) fail(`${field}: leading zero`)
  let x = 0n
  for (const v of b) x = (x << 8n) | BigInt(v)
  return x
}

function listField(item: RlpItem | undefined, field: string, min: number): RlpItem[] {
  if (!Array.isArray(item)) fail(item === undefined ? `${field}: missing` : `${field}: not a list`)
  if (item.length < min) fail(`${field}: ${item.length} elements, expected ≥ ${min}`)
  return item
}

function endpointField(item: RlpItem | undefined, field: string): Endpoint {
  const l = listField(item, field, 3)
  return {
    ip: bytesField(l[0], `${field}.ip`),
    udpPort: Number(uintField(l[1], `${field}.udp`, 2)),
    tcpPort: Number(uintField(l[2], `${field}.tcp`, 2)),
  }
}

function fixedField(item: RlpItem | undefined, field: string, len: number): Uint8Array {
  const b = bytesField(item, field)
  if (b.length !== len) fail(`${field}: ${b.length} bytes, expected ${len}`)
  return b
}

/** An optional uint (EIP-868 `enrSeq`): absent or not a canonical uint64 is `undefined`. */
function optionalUint(item: RlpItem | undefined): bigint | undefined {
  if (!(item instanceof Uint8Array) || item.length > 8) return undefined
  if (item.length > 0 && item[0] === 0) return undefined
  let x = 0n
  for (const v of item) x = (x << 8n) | BigInt(v)
  return x
}

/** Raw encodings of the list elements from `from` on (the EIP-8 tail). */
function tail(raws: Uint8Array[], from: number): Uint8Array[] {
  return raws.slice(from)
}

/** Splits a list's raw bytes into raw elements (they were validated by rlpDecode already). */
function rawElements(list: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = []
  const hdr = list[0]!
  let pos = hdr <= 0xf7 ? 1 : 1 + (hdr - 0xf7)
  while (pos < list.length) {
    const len = itemLength(list, pos)
    out.push(list.subarray(pos, pos + len))
    pos += len
  }
  return out
}

function itemLength(b: Uint8Array, pos: number): number {
  const p = b[pos]!
  if (p < 0x80) return 1
  if (p <= 0xb7) return 1 + (p - 0x80)
  if (p < 0xc0) {
    const ll = p - 0xb7
    let n = 0
    for (let i = 0; i < ll; i++) n = n * 256 + b[pos + 1 + i]!
    return 1 + ll + n
  }
  if (p <= 0xf7) return 1 + (p - 0xc0)
  const ll = p - 0xf7
  let n = 0
  for (let i = 0; i < ll; i++) n = n * 256 + b[pos + 1 + i]!
  return 1 + ll + n
}

/** Decodes the fields of a packet of `type` from its RLP list (no type byte, no trailing bytes). */
export function decodePacketData(type: number, data: Uint8Array): Packet {
  let item: RlpItem
  try {
    item = rlpDecode(data)
  } catch (cause) {
    fail('bad RLP', cause)
  }
  const l = listField(item, packetTypeName(type), 0)
  const raws = rawElements(data)
  switch (type) {
    case PacketType.Ping: {
      listField(item, 'Ping', 4)
      const enrSeq = optionalUint(l[4])
      return {
        type,
        version: uintField(l[0], 'version', 8),
        from: endpointField(l[1], 'from'),
        to: endpointField(l[2], 'to'),
        expiration: uintField(l[3], 'expiration', 8),
        ...(enrSeq === undefined ? {} : { enrSeq }),
        rest: tail(raws, enrSeq === undefined ? 4 : 5),
      }
    }
    case PacketType.Pong: {
      listField(item, 'Pong', 3)
      const enrSeq = optionalUint(l[3])
      return {
        type,
        to: endpointField(l[0], 'to'),
        pingHash: bytesField(l[1], 'pingHash'),
        expiration: uintField(l[2], 'expiration', 8),
        ...(enrSeq === undefined ? {} : { enrSeq }),
        rest: tail(raws, enrSeq === undefined ? 3 : 4),
      }
    }
    case PacketType.FindNode:
      listField(item, 'FindNode', 2)
      return {
        type,
        target: fixedField(l[0], 'target', 64),
        expiration: uintField(l[1], 'expiration', 8),
        rest: tail(raws, 2),
      }
    case PacketType.Neighbors: {
      listField(item, 'Neighbors', 2)
      const nodes = listField(l[0], 'nodes', 0).map((n, i): WireNode => {
        const f = listField(n, `nodes[${i}]`, 4)
        return {
          ip: bytesField(f[0], `nodes[${i}].ip`),
          udpPort: Number(uintField(f[1], `nodes[${i}].udp`, 2)),
          tcpPort: Number(uintField(f[2], `nodes[${i}].tcp`, 2)),
          publicKey: fixedField(f[3], `nodes[${i}].id`, 64),
        }
      })
      return { type, nodes, expiration: uintField(l[1], 'expiration', 8), rest: tail(raws, 2) }
    }
    case PacketType.EnrRequest:
      listField(item, 'ENRRequest', 1)
      return { type, expiration: uintField(l[0], 'expiration', 8), rest: tail(raws, 1) }
    case PacketType.EnrResponse:
      listField(item, 'ENRResponse', 2)
      if (!Array.isArray(l[1])) fail('record: not a list')
      return {
        type,
        requestHash: bytesField(l[0], 'requestHash'),
        record: raws[1]!,
        rest: tail(raws, 2),
      }
    default:
      throw new Discv4Error('ErrUnknownPacketType', `unknown packet type ${type}`)
  }
}

/** A framed packet whose hash checked out and whose fields decoded; the signer is not known yet. */
export interface DecodedPacket {
  readonly packet: Packet
  /** The packet hash (first 32 bytes). */
  readonly hash: Uint8Array
  /** keccak256(type || data): what the signature signs. */
  readonly sigHash: Uint8Array
  readonly signature: Uint8Array
}

/**
 * Checks size and hash, and decodes the fields of a datagram; recovering the sender (the costly
 * part) is left to {@link recoverSender}, so an expired or malformed packet costs no recovery.
 * Throws `Discv4Error`: `ErrPacketTooSmall`, `ErrPacketTooLarge`, `ErrBadHash`,
 * `ErrUnknownPacketType`, `ErrDecode`.
 */
export function decodePacket(buf: Uint8Array): DecodedPacket {
  if (buf.length > maxPacketSizeBytes) {
    throw new Discv4Error('ErrPacketTooLarge', `packet of ${buf.length} bytes`)
  }
  if (buf.length < packetHeadSizeBytes + 1) {
    throw new Discv4Error('ErrPacketTooSmall', `packet of ${buf.length} bytes`)
  }
  const hash = buf.subarray(0, 32)
  if (!equalBytes(hash, keccak256(buf.subarray(32)))) {
    throw new Discv4Error('ErrBadHash', 'hash does not match the packet')
  }
  const type = buf[packetHeadSizeBytes]!
  if (typeNames[type] === undefined) {
    throw new Discv4Error('ErrUnknownPacketType', `unknown packet type ${type}`)
  }
  const rest = buf.subarray(packetHeadSizeBytes + 1)
  const data = rest.subarray(0, firstItemLength(rest))
  const packet = decodePacketData(type, data)
  return {
    packet,
    hash,
    sigHash: keccak256(buf.subarray(packetHeadSizeBytes)),
    signature: buf.subarray(32, packetHeadSizeBytes),
  }
}

/** The 64-byte public key that signed a decoded packet. Throws `ErrBadSignature`. */
export function recoverSender(d: DecodedPacket): Uint8Array {
  return recoverSigner(d.sigHash, d.signature)
}

/** An expiration `ms` ahead of `nowMs`, in Unix seconds. */
export function expirationAfter(nowMs: number, ms: number): bigint {
  return BigInt(Math.floor((nowMs + ms) / 1000))
}

/** Whether a packet's expiration (Unix seconds; ≥ 2^63 counts as negative) has passed. */
export function isExpired(expiration: bigint, nowMs: number): boolean {
  const signed = expiration >= 1n << 63n ? expiration - (1n << 64n) : expiration
  return Number(signed) * 1000 < nowMs
}
