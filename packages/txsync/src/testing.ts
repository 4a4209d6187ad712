/**
 * Test doubles for @ethwire/txsync: a fake clock, a seeded random source, fake transactions and
 * a recording fake peer whose sends can be held, resolved or failed by the test.
 */
import type { Clock, RandomSource, TxSyncPeer, TxSyncTx } from './types.js'

/** A manual clock: timers fire only from `advance(ms)`. */
export class FakeClock implements Clock {
  #now = 0
  #timers = new Map<number, { at: number; fn: () => void }>()
  #next = 1
  now(): number {
    return this.#now
  }
  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.#next++
    this.#timers.set(id, { at: this.#now + ms, fn })
    return id
  }
  clearTimeout(handle: unknown): void {
    this.#timers.delete(handle as number)
  }
  /** Number of armed timers. */
  get pending(): number {
    return this.#timers.size
  }
  advance(ms: number): void {
    const until = this.#now + ms
    for (;;) {
      let first: [number, { at: number; fn: () => void }] | undefined
      for (const e of this.#timers)
        if (e[1].at <= until && (first === undefined || e[1].at < first[1].at)) first = e
      if (first === undefined) break
      this.#timers.delete(first[0])
      this.#now = first[1].at
      first[1].fn()
    }
    this.#now = until
  }
}

/** mulberry32: a small seeded PRNG in [0, 1). */
export function seededRandom(seed: number): RandomSource {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** A transaction stand-in: hash from the index, given type and size. */
export interface FakeTx extends TxSyncTx {
  readonly index: number
}
export function fakeTx(index: number, size = 100, type = 2): FakeTx {
  const hash = new Uint8Array(32)
  new DataView(hash.buffer).setUint32(0, index)
  hash[31] = 0xaa
  return { index, hash, size, type }
}

const key = (h: Uint8Array) => Buffer.from(h).toString('hex')

type Mode = 'resolve' | 'hold' | 'fail'

/**
 * Records what it is sent. `mode`: 'resolve' (sends succeed at once), 'hold' (each send waits
 * until `release()`/`fail()`), 'fail' (sends reject).
 */
export class FakePeer<T extends TxSyncTx = FakeTx> implements TxSyncPeer<T> {
  readonly known = new Set<string>()
  readonly full: T[][] = []
  readonly announced: T[][] = []
  mode: Mode
  #held: Array<{ resolve(): void; reject(e: unknown): void }> = []
  constructor(
    readonly id: string,
    readonly version: number,
    mode: Mode = 'resolve',
  ) {
    this.mode = mode
  }
  knowsTx(hash: Uint8Array): boolean {
    return this.known.has(key(hash))
  }
  markTransaction(hash: Uint8Array): void {
    this.known.add(key(hash))
  }
  sendTransactions(txs: T[]): Promise<void> {
    this.full.push(txs)
    return this.#result()
  }
  sendPooledTransactionHashes(txs: readonly T[]): Promise<void> {
    this.announced.push([...txs])
    return this.#result()
  }
  /** Sends waiting in 'hold' mode. */
  get held(): number {
    return this.#held.length
  }
  release(): void {
    this.#held.shift()?.resolve()
  }
  failHeld(err: unknown = new Error('peer gone')): void {
    this.#held.shift()?.reject(err)
  }
  #result(): Promise<void> {
    if (this.mode === 'fail') return Promise.reject(new Error(`peer ${this.id} is gone`))
    if (this.mode === 'resolve') return Promise.resolve()
    return new Promise((resolve, reject) => this.#held.push({ resolve, reject }))
  }
}

/** Lets pending promise callbacks run. */
export async function flushMicrotasks(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve()
}
