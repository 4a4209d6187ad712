/**
 * Test doubles for @ethwire/txsync: fake transactions and a recording fake peer whose sends can be
 * held, resolved or failed by the test. (The fake clock and the seeded random source are
 * `FakeClock` and `seededRandom` from `@ethwire/interface/testing`.)
 */
import { bytesToHex } from '@ethwire/rlp-wire'
import type { TxSyncPeer, TxSyncTx } from './types.js'

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

const key = (h: Uint8Array) => bytesToHex(h)

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
