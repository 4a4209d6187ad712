/**
 * Test doubles for discovery: a virtual clock, a seeded random source, deterministic keys, a
 * TEST PEER that speaks the raw discv4 wire on its own UDP socket (hand-built packets, no table,
 * as go-ethereum's `devp2p discv4 test` does), a minimal DNS server answering TXT queries over UDP,
 * and a loopback network of discovery services.
 *
 * @example
 * ```ts
 * import { createDiscv4 } from '@ethwire/discv4'
 * import { TestPeer, testKey } from '@ethwire/discv4/testing'
 *
 * const disc = createDiscv4({}, { privateKey: testKey(1), listen: { host: '127.0.0.1', port: 0 } })
 * await disc.start()
 * const peer = await TestPeer.create()
 * const hash = peer.sendPing(disc.address)
 * const pong = await peer.next({ type: PacketType.Pong })
 * // pong.packet.pingHash equals hash
 * ```
 */
import { createSocket, type Socket } from 'node:dgram'
import type { Clock, RandomSource } from '@ethwire/interface'
import { equalBytes, keccak256 } from '@ethwire/rlp-wire'
import { createDiscv4, type Discv4, type Discv4Deps, type Discv4Options } from './discovery.js'
import type { Enr } from './enr.js'
import { ipToBytes, normalizeIp } from './ip.js'
import { publicKeyOf } from './keys.js'
import { systemClock, type UdpAddress } from './types.js'
import {
  decodePacket,
  type Endpoint,
  encodePacket,
  expirationAfter,
  type Packet,
  PacketType,
  recoverSender,
  type WireNode,
} from './wire.js'

// ---------------------------------------------------------------------------------------------
// Time, randomness, keys

/** A clock that only moves when told. Timers fire in order of due time, then creation. */
export class ManualClock implements Clock {
  #t: number
  #seq = 0
  readonly #timers = new Map<number, { at: number; cb: () => void }>()

  constructor(startMs = Date.now()) {
    this.#t = startMs
  }

  now(): number {
    return this.#t
  }

  setTimeout(callback: () => void, ms: number): unknown {
    const id = ++this.#seq
    this.#timers.set(id, { at: this.#t + Math.max(0, ms), cb: callback })
    return id
  }

  clearTimeout(handle: unknown): void {
    this.#timers.delete(handle as number)
  }

  /** Timers not fired yet. */
  get pendingTimers(): number {
    return this.#timers.size
  }

  /** Moves time forward by `ms`, firing every timer due on the way and letting promises run. */
  async advance(ms: number): Promise<void> {
    const end = this.#t + ms
    for (;;) {
      await flush()
      let bestId: number | undefined
      let best: { at: number; cb: () => void } | undefined
      for (const [id, t] of this.#timers) {
        if (best === undefined || t.at < best.at) {
          best = t
          bestId = id
        }
      }
      if (best === undefined || best.at > end) break
      this.#timers.delete(bestId as number)
      this.#t = Math.max(this.#t, best.at)
      best.cb()
    }
    this.#t = end
    await flush()
  }
}

/** Lets pending promise callbacks and I/O callbacks run. */
export async function flush(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise<void>((r) => setImmediate(r))
}

/** A deterministic random source (mulberry32). */
export function seededRandom(seed = 1): RandomSource {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** A deterministic, valid secp256k1 secret key for index `i` (keccak256 of "discv4-test-<i>"). */
export function testKey(i: number): Uint8Array {
  return keccak256(new TextEncoder().encode(`discv4-test-${i}`))
}

/** Waits (real time, bounded) until `cond` holds; throws with `what` after `timeoutMs`. */
export async function waitFor(
  cond: () => boolean,
  what: string,
  opts: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<void> {
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000)
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 20))
  }
}

// ---------------------------------------------------------------------------------------------
// The raw-wire test peer

/** A packet the test peer received. */
export interface Received {
  readonly packet: Packet
  readonly hash: Uint8Array
  readonly from: UdpAddress
  /** 64-byte public key of the sender. */
  readonly senderKey: Uint8Array
}

/**
 * A discv4 speaker with no table and no logic: it sends what the test builds and queues what
 * it receives. Packet expirations use `clock` (default the real one).
 */
export class TestPeer {
  readonly privateKey: Uint8Array
  readonly publicKey: Uint8Array
  readonly id: Uint8Array
  readonly clock: Clock
  readonly #sock: Socket
  readonly #queue: Received[] = []
  readonly #waiters = new Set<() => void>()
  /** Datagrams that did not decode. */
  readonly garbage: Uint8Array[] = []

  private constructor(sock: Socket, privateKey: Uint8Array, clock: Clock) {
    this.#sock = sock
    this.privateKey = privateKey
    this.publicKey = publicKeyOf(privateKey)
    this.id = keccak256(this.publicKey)
    this.clock = clock
    sock.on('message', (msg, rinfo) => {
      const from = { ip: normalizeIp(rinfo.address), port: rinfo.port }
      try {
        const d = decodePacket(new Uint8Array(msg))
        this.#queue.push({
          packet: d.packet,
          hash: d.hash.slice(),
          from,
          senderKey: recoverSender(d),
        })
      } catch {
        this.garbage.push(new Uint8Array(msg))
      }
      for (const w of [...this.#waiters]) w()
    })
  }

  /** Binds a test peer on `host` (default 127.0.0.1), port 0. */
  static async create(
    opts: { host?: string; privateKey?: Uint8Array; clock?: Clock } = {},
  ): Promise<TestPeer> {
    const sock = createSocket('udp4')
    await new Promise<void>((resolve, reject) => {
      sock.once('error', reject)
      sock.bind(0, opts.host ?? '127.0.0.1', () => {
        sock.off('error', reject)
        resolve()
      })
    })
    const key = opts.privateKey ?? keccak256(new TextEncoder().encode(`peer-${Math.random()}`))
    return new TestPeer(sock, key, opts.clock ?? systemClock)
  }

  get address(): UdpAddress {
    const a = this.#sock.address()
    return { ip: a.address, port: a.port }
  }

  /** Our endpoint as a Ping's `from`. */
  endpoint(): Endpoint {
    return { ip: ipToBytes(this.address.ip), udpPort: this.address.port, tcpPort: 0 }
  }

  /** An expiration `ms` ahead (default 20 s); negative `ms` gives one in the past. */
  expiration(ms = 20_000): bigint {
    return expirationAfter(this.clock.now(), ms)
  }

  /** Signs and sends a packet; returns its hash. */
  send(
    to: UdpAddress,
    packet: Packet | { type: number; data: Uint8Array },
    opts: { trailing?: Uint8Array } = {},
  ): Uint8Array {
    const { bytes, hash } = encodePacket(packet, this.privateKey, opts)
    this.#sock.send(bytes, to.port, to.ip)
    return hash
  }

  /** Signs with another key (many identities from one socket) and sends; returns the hash. */
  sendAs(privateKey: Uint8Array, to: UdpAddress, packet: Packet): Uint8Array {
    const { bytes, hash } = encodePacket(packet, privateKey)
    this.#sock.send(bytes, to.port, to.ip)
    return hash
  }

  /** Sends raw bytes. */
  sendRaw(to: UdpAddress, bytes: Uint8Array): void {
    this.#sock.send(bytes, to.port, to.ip)
  }

  /** A Ping to `to` (fields overridable). */
  sendPing(to: UdpAddress, fields: Partial<Extract<Packet, { type: 1 }>> = {}): Uint8Array {
    return this.send(to, {
      type: PacketType.Ping,
      version: 4n,
      from: this.endpoint(),
      to: { ip: ipToBytes(to.ip), udpPort: to.port, tcpPort: 0 },
      expiration: this.expiration(),
      ...fields,
    })
  }

  /** Packets received and not taken yet. */
  get pending(): readonly Received[] {
    return this.#queue
  }

  /**
   * The next received packet (of `type`, when given; others stay queued). Rejects after
   * `timeoutMs` (real time, default 10 s): a failure bound, never used to prove absence.
   */
  next(opts: { type?: number; timeoutMs?: number } = {}): Promise<Received> {
    const take = (): Received | undefined => {
      const i = this.#queue.findIndex((r) => opts.type === undefined || r.packet.type === opts.type)
      return i < 0 ? undefined : this.#queue.splice(i, 1)[0]
    }
    const now = take()
    if (now !== undefined) return Promise.resolve(now)
    return new Promise((resolve, reject) => {
      const w = () => {
        const r = take()
        if (r === undefined) return
        this.#waiters.delete(w)
        clearTimeout(t)
        resolve(r)
      }
      const t = setTimeout(() => {
        this.#waiters.delete(w)
        reject(
          new Error(`test peer: no ${opts.type ?? 'packet'} within ${opts.timeoutMs ?? 10_000} ms`),
        )
      }, opts.timeoutMs ?? 10_000)
      this.#waiters.add(w)
    })
  }

  /** Drops every queued packet. */
  clear(): void {
    this.#queue.length = 0
  }

  /**
   * The endpoint proof both ways (go-ethereum's `bond`): Ping the remote, answer its Ping with a
   * Pong echoing the hash, and wait for its Pong to ours.
   */
  async bond(remote: UdpAddress, opts: { pongHash?: (pingHash: Uint8Array) => Uint8Array } = {}) {
    const pingHash = this.sendPing(remote)
    let gotPing = false
    let gotPong = false
    while (!gotPing || !gotPong) {
      const r = await this.next()
      if (r.packet.type === PacketType.Ping) {
        this.send(remote, {
          type: PacketType.Pong,
          to: { ip: ipToBytes(remote.ip), udpPort: remote.port, tcpPort: 0 },
          pingHash: opts.pongHash?.(r.hash) ?? r.hash,
          expiration: this.expiration(),
        })
        gotPing = true
      } else if (r.packet.type === PacketType.Pong) {
        if (!equalBytes(r.packet.pingHash, pingHash)) throw new Error('Pong with the wrong hash')
        gotPong = true
      }
    }
    return pingHash
  }

  /**
   * Answers like a minimal node until `stop()`: Ping → Pong (and a Ping back the first time),
   * FindNode → `neighbors()`, ENRRequest → `enr`. Other packets stay queued for the test.
   */
  serve(opts: { neighbors?: () => WireNode[]; enr?: Enr; enrSeq?: bigint } = {}): () => void {
    let stopped = false
    const pinged = new Set<string>()
    const loop = async () => {
      while (!stopped) {
        const i = this.#queue.findIndex((r) =>
          [PacketType.Ping, PacketType.FindNode, PacketType.EnrRequest].includes(
            r.packet.type as 1 | 3 | 5,
          ),
        )
        if (i < 0) {
          await new Promise<void>((resolve) => {
            const w = () => {
              this.#waiters.delete(w)
              resolve()
            }
            this.#waiters.add(w)
            stopWaiters.add(w)
          })
          continue
        }
        const r = this.#queue.splice(i, 1)[0]!
        const to = r.from
        const key = `${to.ip}:${to.port}`
        if (r.packet.type === PacketType.Ping) {
          this.send(to, {
            type: PacketType.Pong,
            to: { ip: ipToBytes(to.ip), udpPort: to.port, tcpPort: 0 },
            pingHash: r.hash,
            expiration: this.expiration(),
            ...(opts.enrSeq === undefined ? {} : { enrSeq: opts.enrSeq }),
          })
          if (!pinged.has(key)) {
            pinged.add(key)
            this.sendPing(to)
          }
        } else if (r.packet.type === PacketType.FindNode) {
          const nodes = opts.neighbors?.() ?? []
          for (let j = 0; j < nodes.length || j === 0; j += 12) {
            this.send(to, {
              type: PacketType.Neighbors,
              nodes: nodes.slice(j, j + 12),
              expiration: this.expiration(),
            })
            if (nodes.length === 0) break
          }
        } else if (r.packet.type === PacketType.EnrRequest && opts.enr !== undefined) {
          this.send(to, { type: PacketType.EnrResponse, requestHash: r.hash, record: opts.enr.raw })
        }
      }
    }
    const stopWaiters = new Set<() => void>()
    void loop()
    return () => {
      stopped = true
      for (const w of stopWaiters) w()
    }
  }

  /** This peer as a Neighbors entry. */
  asWireNode(tcpPort = 30303): WireNode {
    return {
      ip: ipToBytes(this.address.ip),
      udpPort: this.address.port,
      tcpPort,
      publicKey: this.publicKey,
    }
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.#sock.close(() => resolve()))
  }
}

// ---------------------------------------------------------------------------------------------
// A minimal DNS server (UDP, TXT only)

/** A DNS server on 127.0.0.1 answering TXT queries from a record map; NXDOMAIN otherwise. */
export interface TestDnsServer {
  /** `127.0.0.1:<port>`, for `systemTxtResolver({ servers: [server.address] })`. */
  readonly address: string
  readonly port: number
  /** Queries answered (all names). */
  readonly queries: string[]
  /** Replaces the records (name → TXT content). */
  setRecords(records: ReadonlyMap<string, string> | Record<string, string>): void
  close(): Promise<void>
}

/** Starts a {@link TestDnsServer} on 127.0.0.1, port 0. */
export async function startDnsServer(
  records: ReadonlyMap<string, string> | Record<string, string> = {},
): Promise<TestDnsServer> {
  let table = toMap(records)
  const queries: string[] = []
  const sock = createSocket('udp4')
  sock.on('message', (msg, rinfo) => {
    const reply = answer(new Uint8Array(msg), table, queries)
    if (reply !== undefined) sock.send(reply, rinfo.port, rinfo.address)
  })
  await new Promise<void>((resolve) => sock.bind(0, '127.0.0.1', () => resolve()))
  const port = sock.address().port
  return {
    address: `127.0.0.1:${port}`,
    port,
    queries,
    setRecords(r) {
      table = toMap(r)
    },
    close: () => new Promise((resolve) => sock.close(() => resolve())),
  }
}

function toMap(r: ReadonlyMap<string, string> | Record<string, string>): Map<string, string> {
  const entries = r instanceof Map ? [...r.entries()] : Object.entries(r)
  return new Map(entries.map(([k, v]) => [k.toLowerCase().replace(/\.$/, ''), v]))
}

/** Builds the response to one query, or undefined when it is not a query we can parse. */
function answer(q: Uint8Array, table: Map<string, string>, log: string[]): Uint8Array | undefined {
  if (q.length < 12) return undefined
  const qdcount = (q[4]! << 8) | q[5]!
  if (qdcount !== 1) return undefined
  let pos = 12
  const labels: string[] = []
  while (pos < q.length && q[pos] !== 0) {
    const len = q[pos]!
    if (len > 63 || pos + 1 + len > q.length) return undefined
    labels.push(Buffer.from(q.subarray(pos + 1, pos + 1 + len)).toString('latin1'))
    pos += 1 + len
  }
  pos++ // the root label
  if (pos + 4 > q.length) return undefined
  const qtype = (q[pos]! << 8) | q[pos + 1]!
  const questionEnd = pos + 4
  const name = labels.join('.').toLowerCase()
  log.push(name)
  const txt = table.get(name)
  const found = txt !== undefined && (qtype === 16 || qtype === 255)
  const header = new Uint8Array(12)
  header[0] = q[0]!
  header[1] = q[1]!
  header[2] = 0x84 | (q[2]! & 0x01) // QR, AA, RD copied
  header[3] = txt === undefined ? 3 : 0 // NXDOMAIN or NOERROR
  header[5] = 1
  header[7] = found ? 1 : 0
  const question = q.subarray(12, questionEnd)
  if (!found) return concat([header, question])
  // TXT RDATA: character-strings of at most 255 bytes each.
  const data = Buffer.from(txt, 'utf8')
  const parts: Uint8Array[] = []
  for (let i = 0; i < data.length || i === 0; i += 255) {
    const chunk = data.subarray(i, i + 255)
    parts.push(Uint8Array.of(chunk.length), chunk)
    if (data.length === 0) break
  }
  const rdata = concat(parts)
  const rr = new Uint8Array(12)
  rr[0] = 0xc0 // pointer to the name in the question
  rr[1] = 12
  rr[3] = 16 // TXT
  rr[5] = 1 // IN
  rr[9] = 60 // TTL 60 s
  rr[10] = rdata.length >> 8
  rr[11] = rdata.length & 0xff
  return concat([header, question, rr, rdata])
}

function concat(parts: Uint8Array[]): Uint8Array {
  let n = 0
  for (const p of parts) n += p.length
  const out = new Uint8Array(n)
  let o = 0
  for (const p of parts) {
    out.set(p, o)
    o += p.length
  }
  return out
}

// ---------------------------------------------------------------------------------------------
// A loopback network

/**
 * Starts `count` discovery services on 127.0.0.1 (port 0); node 0 is the bootnode of every
 * other. Keys are `testKey(keyOffset + i)`.
 */
export async function startLoopbackNetwork(opts: {
  count: number
  keyOffset?: number
  deps?: (i: number) => Discv4Deps
  options?: (i: number) => Partial<Discv4Options>
}): Promise<{ nodes: Discv4[]; stop: () => Promise<void> }> {
  const nodes: Discv4[] = []
  const make = (i: number, bootnodes: string[]) =>
    createDiscv4(opts.deps?.(i) ?? {}, {
      privateKey: testKey((opts.keyOffset ?? 0) + i),
      listen: { host: '127.0.0.1', port: 0 },
      tcpPort: 30303,
      bootnodes,
      ...opts.options?.(i),
    })
  const boot = make(0, [])
  await boot.start()
  nodes.push(boot)
  for (let i = 1; i < opts.count; i++) {
    const n = make(i, [boot.enode])
    await n.start()
    nodes.push(n)
  }
  return {
    nodes,
    stop: async () => {
      await Promise.all(nodes.map((n) => n.stop()))
    },
  }
}
