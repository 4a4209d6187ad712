/**
 * The endpoint-proof records, per node id and IP (go-ethereum keeps them in its node database):
 * when we last received a Ping from the node (it verified our endpoint, so it will answer our
 * FindNode), when we last received a Pong (it answered our Ping from that IP: we may answer its
 * FindNode without amplifying traffic towards a spoofed address), and consecutive FindNode
 * failures. Bounded: the least recently touched records go first.
 */
import { maxBondRecords } from './constants.js'

export interface BondRecord {
  /** Unix ms of the last Ping from the node at this IP (0: never). */
  lastPingReceivedMs: number
  /** Unix ms of the last Pong from the node at this IP that answered our Ping (0: never). */
  lastPongReceivedMs: number
  /** Consecutive FindNode requests that brought nothing. */
  findFails: number
}

export class BondStore {
  readonly #records = new Map<string, BondRecord>()
  constructor(readonly maxRecords = maxBondRecords) {}

  static key(idHex: string, ip: string): string {
    return `${idHex}@${ip}`
  }

  get(idHex: string, ip: string): BondRecord | undefined {
    return this.#records.get(BondStore.key(idHex, ip))
  }

  #touch(idHex: string, ip: string): BondRecord {
    const k = BondStore.key(idHex, ip)
    let r = this.#records.get(k)
    if (r === undefined) {
      r = { lastPingReceivedMs: 0, lastPongReceivedMs: 0, findFails: 0 }
      if (this.#records.size >= this.maxRecords) {
        const oldest = this.#records.keys().next().value
        if (oldest !== undefined) this.#records.delete(oldest)
      }
    } else this.#records.delete(k)
    this.#records.set(k, r)
    return r
  }

  lastPingReceived(idHex: string, ip: string): number {
    return this.get(idHex, ip)?.lastPingReceivedMs ?? 0
  }
  lastPongReceived(idHex: string, ip: string): number {
    return this.get(idHex, ip)?.lastPongReceivedMs ?? 0
  }
  findFails(idHex: string, ip: string): number {
    return this.get(idHex, ip)?.findFails ?? 0
  }

  pingReceived(idHex: string, ip: string, nowMs: number): void {
    this.#touch(idHex, ip).lastPingReceivedMs = nowMs
  }
  pongReceived(idHex: string, ip: string, nowMs: number): void {
    this.#touch(idHex, ip).lastPongReceivedMs = nowMs
  }
  setFindFails(idHex: string, ip: string, fails: number): void {
    this.#touch(idHex, ip).findFails = fails
  }

  /** Restores a persisted record (does not overwrite newer in-memory data). */
  restore(idHex: string, ip: string, r: BondRecord): void {
    const cur = this.#touch(idHex, ip)
    cur.lastPingReceivedMs = Math.max(cur.lastPingReceivedMs, r.lastPingReceivedMs)
    cur.lastPongReceivedMs = Math.max(cur.lastPongReceivedMs, r.lastPongReceivedMs)
    cur.findFails = r.findFails
  }

  get size(): number {
    return this.#records.size
  }
}

/**
 * Our external IP as other nodes report it (the `to` of their Pongs): the IP named by the most
 * distinct nodes in the last `windowMs`, once at least `minStatements` agree. A simple form of
 * go-ethereum's `netutil.IPTracker`.
 */
export class EndpointTracker {
  readonly #statements = new Map<string, { ip: string; atMs: number }>()
  constructor(
    readonly windowMs: number,
    readonly minStatements: number,
    readonly maxReporters = 256,
  ) {}

  add(reporterHex: string, ip: string, nowMs: number): void {
    this.#statements.delete(reporterHex)
    this.#statements.set(reporterHex, { ip, atMs: nowMs })
    if (this.#statements.size > this.maxReporters) {
      const oldest = this.#statements.keys().next().value
      if (oldest !== undefined) this.#statements.delete(oldest)
    }
  }

  predict(nowMs: number): string | undefined {
    const counts = new Map<string, number>()
    for (const [k, s] of this.#statements) {
      if (nowMs - s.atMs > this.windowMs) {
        this.#statements.delete(k)
        continue
      }
      counts.set(s.ip, (counts.get(s.ip) ?? 0) + 1)
    }
    let best: string | undefined
    let bestN = 0
    for (const [ip, n] of counts) {
      if (n > bestN) {
        best = ip
        bestN = n
      }
    }
    return bestN >= this.minStatements ? best : undefined
  }
}
