/**
 * IP addresses as discovery needs them: 4/16-byte wire forms, the classes go-ethereum's
 * `p2p/netutil` uses to decide what may be relayed (loopback, LAN, special-purpose networks),
 * and {@link DistinctNetSet}, the per-subnet counter behind the table's IP limits.
 */
import { isIPv4, isIPv6 } from 'node:net'
import { Discv4Error } from './errors.js'

/** Normalises an address: IPv4-mapped IPv6 (`::ffff:1.2.3.4`) becomes IPv4; IPv6 is compressed. */
export function normalizeIp(ip: string): string {
  const b = ipToBytes(ip)
  return bytesToIp(b) as string
}

/** True for a literal IPv4 or IPv6 address (no brackets, no zone). */
export function isIp(ip: string): boolean {
  return isIPv4(ip) || isIPv6(ip)
}

/** 4 bytes for IPv4 (and IPv4-mapped IPv6), 16 for IPv6. Throws `ErrInvalidIp` otherwise. */
export function ipToBytes(ip: string): Uint8Array {
  if (isIPv4(ip)) return Uint8Array.from(ip.split('.').map(Number))
  if (!isIPv6(ip)) throw new Discv4Error('ErrInvalidIp', `not an IP address: ${ip}`)
  const out = parseIpv6(ip)
  if (isMapped4(out)) return out.slice(12)
  return out
}

function parseIpv6(ip: string): Uint8Array {
  let s = ip
  const zone = s.indexOf('%')
  if (zone >= 0) s = s.slice(0, zone)
  // An embedded IPv4 tail (::ffff:1.2.3.4) becomes two 16-bit words.
  const lastColon = s.lastIndexOf(':')
  const last = s.slice(lastColon + 1)
  if (last.includes('.')) {
    const p = last.split('.').map(Number)
    const w1 = ((p[0]! << 8) | p[1]!).toString(16)
    const w2 = ((p[2]! << 8) | p[3]!).toString(16)
    s = `${s.slice(0, lastColon + 1)}${w1}:${w2}`
  }
  const part = (x: string) => (x === '' ? [] : x.split(':').map((h) => Number.parseInt(h, 16)))
  const words: number[] = []
  const dbl = s.indexOf('::')
  if (dbl >= 0) {
    const head = part(s.slice(0, dbl))
    const rest = part(s.slice(dbl + 2))
    const fill = 8 - head.length - rest.length
    words.push(...head, ...new Array<number>(Math.max(0, fill)).fill(0), ...rest)
  } else {
    words.push(...part(s))
  }
  const out = new Uint8Array(16)
  for (let i = 0; i < 8; i++) {
    const w = words[i] ?? 0
    out[2 * i] = w >> 8
    out[2 * i + 1] = w & 0xff
  }
  return out
}

function isMapped4(b: Uint8Array): boolean {
  if (b.length !== 16) return false
  for (let i = 0; i < 10; i++) if (b[i] !== 0) return false
  return b[10] === 0xff && b[11] === 0xff
}

/** The text form of a 4- or 16-byte address; `undefined` for any other length. */
export function bytesToIp(b: Uint8Array): string | undefined {
  if (b.length === 4) return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`
  if (b.length !== 16) return undefined
  if (isMapped4(b)) return `${b[12]}.${b[13]}.${b[14]}.${b[15]}`
  const w: number[] = []
  for (let i = 0; i < 8; i++) w.push((b[2 * i]! << 8) | b[2 * i + 1]!)
  // Longest run of at least two zero words becomes '::' (RFC 5952).
  let bestStart = -1
  let bestLen = 0
  for (let i = 0; i < 8; ) {
    if (w[i] !== 0) {
      i++
      continue
    }
    let j = i
    while (j < 8 && w[j] === 0) j++
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i
      bestLen = j - i
    }
    i = j
  }
  const hex = (xs: number[]) => xs.map((x) => x.toString(16)).join(':')
  if (bestStart < 0) return hex(w)
  return `${hex(w.slice(0, bestStart))}::${hex(w.slice(bestStart + bestLen))}`
}

/** 4 for IPv4, 6 for IPv6. */
export function ipFamily(ip: string): 4 | 6 {
  return isIPv4(ip) ? 4 : 6
}

/** A network in CIDR form (`10.0.0.0/8`, `fc00::/7`). */
export interface Cidr {
  readonly bytes: Uint8Array
  readonly bits: number
}

/** Parses `a.b.c.d/n` or `x::/n`. Throws `ErrInvalidArgument`. */
export function parseCidr(cidr: string): Cidr {
  const slash = cidr.indexOf('/')
  const ip = slash < 0 ? cidr : cidr.slice(0, slash)
  let bytes: Uint8Array
  try {
    bytes = isIPv6(ip) ? parseIpv6(ip) : ipToBytes(ip)
  } catch {
    throw new Discv4Error('ErrInvalidArgument', `bad network ${cidr}`)
  }
  const bits = slash < 0 ? bytes.length * 8 : Number(cidr.slice(slash + 1))
  if (!Number.isInteger(bits) || bits < 0 || bits > bytes.length * 8) {
    throw new Discv4Error('ErrInvalidArgument', `bad prefix length in ${cidr}`)
  }
  if (bytes.length === 16 && isMapped4(bytes) && bits >= 96) {
    return { bytes: bytes.slice(12), bits: bits - 96 }
  }
  return { bytes, bits }
}

function prefixMatch(a: Uint8Array, b: Uint8Array, bits: number): boolean {
  if (a.length !== b.length) return false
  const full = bits >> 3
  for (let i = 0; i < full; i++) if (a[i] !== b[i]) return false
  const rem = bits & 7
  if (rem === 0) return true
  const mask = (0xff << (8 - rem)) & 0xff
  return (a[full]! & mask) === (b[full]! & mask)
}

/** Whether `ip` (4 or 16 bytes) is inside `net`. */
export function cidrContains(net: Cidr, ip: Uint8Array): boolean {
  return prefixMatch(net.bytes, ip, net.bits)
}

/** A list of networks; `contains` is true when any holds the address. */
export class Netlist {
  readonly #nets: Cidr[]
  constructor(cidrs: readonly string[]) {
    this.#nets = cidrs.map(parseCidr)
  }
  contains(ip: string | Uint8Array): boolean {
    const b = typeof ip === 'string' ? ipToBytes(ip) : ip
    return this.#nets.some((n) => cidrContains(n, b))
  }
}

const special4 = new Netlist([
  '0.0.0.0/8',
  '192.0.0.0/29',
  '192.0.0.9/32',
  '192.0.0.170/32',
  '192.0.0.171/32',
  '192.0.2.0/24',
  '192.31.196.0/24',
  '192.52.193.0/24',
  '192.88.99.0/24',
  '192.175.48.0/24',
  '198.18.0.0/15',
  '198.51.100.0/24',
  '203.0.113.0/24',
  '255.255.255.255/32',
])
const special6 = new Netlist([
  '100::/64',
  '2001::/32',
  '2001:1::1/128',
  '2001:2::/48',
  '2001:3::/32',
  '2001:4:112::/48',
  '2001:5::/32',
  '2001:10::/28',
  '2001:20::/28',
  '2001:db8::/32',
  '2002::/16',
])
const loopback = new Netlist(['127.0.0.0/8', '::1/128'])
const privateNets = new Netlist(['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7'])
const linkLocal = new Netlist(['169.254.0.0/16', 'fe80::/10'])
const multicast = new Netlist(['224.0.0.0/4', 'ff00::/8'])

function asBytes(ip: string | Uint8Array): Uint8Array {
  if (typeof ip !== 'string') return ip.length === 16 && isMapped4(ip) ? ip.slice(12) : ip
  return ipToBytes(ip)
}

export function isLoopbackIp(ip: string | Uint8Array): boolean {
  return loopback.contains(asBytes(ip))
}

export function isUnspecifiedIp(ip: string | Uint8Array): boolean {
  return asBytes(ip).every((x) => x === 0)
}

/** Loopback, private (RFC 1918, fc00::/7) or link-local unicast: go-ethereum's `AddrIsLAN`. */
export function isLanIp(ip: string | Uint8Array): boolean {
  const b = asBytes(ip)
  return loopback.contains(b) || privateNets.contains(b) || linkLocal.contains(b)
}

/** Multicast or an IANA special-purpose network (TEST-NET, benchmarking, 6to4 …). */
export function isSpecialIp(ip: string | Uint8Array): boolean {
  const b = asBytes(ip)
  if (multicast.contains(b)) return true
  return b.length === 4 ? special4.contains(b) : special6.contains(b)
}

/**
 * Why `addr`, heard of from `sender`, may not be used (go-ethereum's `CheckRelayAddr`), or
 * `undefined` when it may: not unspecified, not special, not loopback unless the sender is,
 * not LAN unless the sender is.
 */
export function relayIpProblem(
  sender: string | Uint8Array,
  addr: string | Uint8Array,
): string | undefined {
  let a: Uint8Array
  try {
    a = asBytes(addr)
  } catch {
    return 'invalid IP'
  }
  if (a.length !== 4 && a.length !== 16) return 'invalid IP'
  if (isUnspecifiedIp(a)) return 'zero address'
  if (isSpecialIp(a)) return 'special network'
  const s = asBytes(sender)
  if (isLoopbackIp(a) && !isLoopbackIp(s)) return 'loopback address from non-loopback host'
  if (isLanIp(a) && !isLanIp(s)) return 'LAN address from WAN host'
  return undefined
}

/** The key of the `bits`-long network `ip` is in (the family is part of the key). */
export function subnetKey(ip: string | Uint8Array, bits: number): string {
  const b = asBytes(ip)
  const n = Math.min(bits, b.length * 8)
  const out = new Uint8Array(b.length)
  const full = n >> 3
  out.set(b.subarray(0, full))
  const rem = n & 7
  if (rem !== 0) out[full] = b[full]! & ((0xff << (8 - rem)) & 0xff)
  return `${b.length === 4 ? 4 : 6}/${n}/${bytesToIp(out)}`
}

/**
 * Counts addresses per subnet and refuses more than `limit` in one (go-ethereum's
 * `netutil.DistinctNetSet`).
 */
export class DistinctNetSet {
  readonly #members = new Map<string, number>()
  constructor(
    readonly subnetBits: number,
    readonly limit: number,
  ) {}

  /** Adds `ip` when its subnet is under the limit; returns whether it was added. */
  add(ip: string | Uint8Array): boolean {
    const k = subnetKey(ip, this.subnetBits)
    const n = this.#members.get(k) ?? 0
    if (n >= this.limit) return false
    this.#members.set(k, n + 1)
    return true
  }

  remove(ip: string | Uint8Array): void {
    const k = subnetKey(ip, this.subnetBits)
    const n = this.#members.get(k)
    if (n === undefined) return
    if (n <= 1) this.#members.delete(k)
    else this.#members.set(k, n - 1)
  }

  contains(ip: string | Uint8Array): boolean {
    return this.#members.has(subnetKey(ip, this.subnetBits))
  }

  /** Addresses counted, over all subnets. */
  get size(): number {
    let n = 0
    for (const v of this.#members.values()) n += v
    return n
  }
}
