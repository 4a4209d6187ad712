/**
 * A node as discovery knows it: its key and id, its UDP/TCP endpoint, and its record when we
 * have one. Plus `enode://` URLs, and the XOR metric (log distance, closer-of-two).
 */
import { bytesToHex, hexToBytes } from '@ethwire/rlp-wire'
import type { Enr } from './enr.js'
import { Discv4Error } from './errors.js'
import { isIp, normalizeIp } from './ip.js'
import { isValidPublicKey, nodeIdOfPublicKey } from './keys.js'

/** A node found by discovery. Immutable: a newer record makes a new object. */
export interface DiscoveredNode {
  /** The 32-byte node id: keccak256 of the public key. */
  readonly id: Uint8Array
  /** The id as 64 lower-case hex characters (no `0x`): the key of every map. */
  readonly idHex: string
  /** The 64-byte secp256k1 public key (x || y): what an `enode://` URL carries. */
  readonly publicKey: Uint8Array
  /** IPv4 or IPv6 address (IPv6 without brackets). */
  readonly ip: string
  /** Discovery (UDP) port. */
  readonly udpPort: number
  /** RLPx (TCP) port; 0 when the node does not accept connections. */
  readonly tcpPort: number
  /** The node's signed record, once we have it (from ENRRequest, DNS, a bootnode `enr:`). */
  readonly enr?: Enr
}

/** Builds a node; `id` and `idHex` come from the key. */
export function makeNode(fields: {
  publicKey: Uint8Array
  ip: string
  udpPort: number
  tcpPort: number
  enr?: Enr
  id?: Uint8Array
}): DiscoveredNode {
  const id = fields.id ?? nodeIdOfPublicKey(fields.publicKey)
  const n: DiscoveredNode = {
    id,
    idHex: bytesToHex(id).slice(2),
    publicKey: fields.publicKey,
    ip: fields.ip,
    udpPort: fields.udpPort,
    tcpPort: fields.tcpPort,
    ...(fields.enr === undefined ? {} : { enr: fields.enr }),
  }
  return Object.freeze(n)
}

/** The same node with a record attached (endpoint from the record when it has one). */
export function withEnr(node: DiscoveredNode, enr: Enr): DiscoveredNode {
  const fromRecord = nodeFromEnr(enr)
  return makeNode({
    id: node.id,
    publicKey: node.publicKey,
    ip: fromRecord?.ip ?? node.ip,
    udpPort: fromRecord?.udpPort ?? node.udpPort,
    tcpPort: fromRecord?.tcpPort ?? node.tcpPort,
    enr,
  })
}

/**
 * The node a record describes: IPv4 (`ip`, `udp`, `tcp`) first, else IPv6 (`ip6`, `udp6` or
 * `udp`, `tcp6` or `tcp`). `undefined` when the record has no IP or no port.
 */
export function nodeFromEnr(enr: Enr): DiscoveredNode | undefined {
  let ip = enr.ip
  let udp = enr.udp
  let tcp = enr.tcp
  if (ip === undefined) {
    if (enr.ip6 === undefined) return undefined
    ip = enr.ip6
    udp = enr.udp6 ?? enr.udp
    tcp = enr.tcp6 ?? enr.tcp
  }
  // A record without `udp` (some DNS-listed nodes) gets its TCP port as the UDP one.
  const udpPort = udp !== undefined && udp !== 0 ? udp : tcp
  if (udpPort === undefined || udpPort === 0) return undefined
  return makeNode({
    id: enr.nodeId,
    publicKey: enr.publicKey,
    ip,
    udpPort,
    tcpPort: tcp ?? 0,
    enr,
  })
}

/** The node's sequence number: its record's, or 0 without one (as go-ethereum's discv4 nodes). */
export function nodeSeq(node: DiscoveredNode): bigint {
  return node.enr?.seq ?? 0n
}

/** `enode://<pubkey hex>@<ip>:<tcp>[?discport=<udp>]`. */
export function enodeUrl(node: Pick<DiscoveredNode, 'publicKey' | 'ip' | 'tcpPort' | 'udpPort'>) {
  const host = node.ip.includes(':') ? `[${node.ip}]` : node.ip
  const q = node.udpPort !== node.tcpPort ? `?discport=${node.udpPort}` : ''
  return `enode://${bytesToHex(node.publicKey).slice(2)}@${host}:${node.tcpPort}${q}`
}

/** A parsed `enode://` URL; `host` may be a DNS name (resolved when the node is used). */
export interface ParsedEnode {
  readonly publicKey: Uint8Array
  readonly host: string
  readonly tcpPort: number
  readonly udpPort: number
}

function badEnode(url: string, why: string): never {
  throw new Discv4Error('ErrInvalidEnode', `${why}: ${url}`)
}

function port(s: string, url: string): number {
  if (!/^\d{1,5}$/.test(s)) badEnode(url, 'bad port')
  const n = Number(s)
  if (n > 65535) badEnode(url, 'bad port')
  return n
}

/** Parses `enode://<128 hex>@<host>:<tcp port>[?discport=<udp port>]`. Throws `ErrInvalidEnode`. */
export function parseEnode(url: string): ParsedEnode {
  const m =
    /^enode:\/\/([0-9a-fA-F]{128})@(\[[0-9a-fA-F:.]+\]|[^:/?#@[\]]+):(\d+)(?:\?(.*))?$/.exec(
      url.trim(),
    )
  if (m === null) badEnode(url, 'not an enode URL')
  const publicKey = hexToBytes(m[1]!)
  if (!isValidPublicKey(publicKey)) badEnode(url, 'node id is not a secp256k1 public key')
  let host = m[2]!
  if (host.startsWith('[')) host = host.slice(1, -1)
  if (isIp(host)) host = normalizeIp(host)
  const tcpPort = port(m[3]!, url)
  let udpPort = tcpPort
  if (m[4] !== undefined) {
    for (const kv of m[4].split('&')) {
      const [k, v] = kv.split('=')
      if (k === 'discport' && v !== undefined) udpPort = port(v, url)
    }
  }
  return { publicKey, host, tcpPort, udpPort }
}

/** A node from an `enode://` URL whose host is an IP literal. */
export function nodeFromEnode(url: string): DiscoveredNode {
  const p = parseEnode(url)
  if (!isIp(p.host)) badEnode(url, 'host is a name, not an IP (resolve it first)')
  return makeNode({ publicKey: p.publicKey, ip: p.host, udpPort: p.udpPort, tcpPort: p.tcpPort })
}

// ---------------------------------------------------------------------------------------------
// XOR metric

const leadingZeros8 = new Uint8Array(256)
for (let i = 0; i < 256; i++) leadingZeros8[i] = i === 0 ? 8 : Math.clz32(i) - 24

/** log2 of the XOR distance of two 32-byte ids: 0 when equal, else 1..256. */
export function logDistance(a: Uint8Array, b: Uint8Array): number {
  let lz = 0
  for (let i = 0; i < 32; i++) {
    const x = a[i]! ^ b[i]!
    if (x === 0) lz += 8
    else {
      lz += leadingZeros8[x]!
      break
    }
  }
  return 256 - lz
}

/** -1 when `a` is closer to `target` than `b`, 1 when farther, 0 when equally far. */
export function distCompare(target: Uint8Array, a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < 32; i++) {
    const da = a[i]! ^ target[i]!
    const db = b[i]! ^ target[i]!
    if (da !== db) return da < db ? -1 : 1
  }
  return 0
}

/** At most `max` nodes ordered by distance to a target: the result set of lookups and FindNode. */
export class NodesByDistance {
  readonly entries: DiscoveredNode[] = []
  constructor(
    readonly target: Uint8Array,
    readonly max: number,
  ) {}

  /** Inserts in order; drops the farthest when over `max`. Returns whether `n` was kept. */
  push(n: DiscoveredNode): boolean {
    const e = this.entries
    let lo = 0
    let hi = e.length
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (distCompare(this.target, e[mid]!.id, n.id) > 0) hi = mid
      else lo = mid + 1
    }
    if (lo >= this.max) return false
    e.splice(lo, 0, n)
    if (e.length > this.max) e.pop()
    return true
  }
}
