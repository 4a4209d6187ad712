/**
 * Test doubles for code that uses the RLPx transport:
 *
 * - `memorySocketPair()` — two connected in-memory sockets (the `RlpxSocket` shape), with an
 *   optional `tap` that can look at or change bytes in flight (to inject corruption);
 * - `rlpxSessionPair()` — a full RLPx handshake over such a pair (real crypto, real frames),
 *   returning both sessions and their eth streams: an `EthConnection` pair with `transport: 'rlpx'`.
 */
import { EventEmitter } from 'node:events'
import type { Clock } from '@ethwire/interface'
import { systemClock } from '@ethwire/interface/runtime'
import {
  defaultMaxFrameSizeBytes,
  disconnectGraceMs,
  handshakeTimeoutMs,
  pingIntervalMs,
  pongTimeoutMs,
} from './constants.js'
import { type CryptoBackend, loadCryptoBackend } from './crypto.js'
import { publicKeyOf, randomSecretKey } from './ecies.js'
import { handshake, type RlpxSession, type RlpxStream, type SessionOptions } from './session.js'
import { ethCapability } from './transport.js'
import { type RlpxSocket, systemRandom } from './types.js'
import { maxMessageSizeBytes } from './wire.js'

/** Direction of bytes in a memory pair: 'a->b' is what `a.write()` sends. */
export type Direction = 'a->b' | 'b->a'

class MemorySocket extends EventEmitter implements RlpxSocket {
  peer!: MemorySocket
  destroyed = false
  private ended = false
  private paused = false
  private readonly inbox: Uint8Array[] = []
  constructor(
    private readonly dir: Direction,
    private readonly tap?: (dir: Direction, chunk: Uint8Array) => Uint8Array,
    readonly remoteAddress = '127.0.0.1',
    readonly remotePort = 0,
  ) {
    super()
  }
  write(data: Uint8Array, cb?: (err?: Error | null) => void): boolean {
    if (this.destroyed || this.ended) {
      queueMicrotask(() => cb?.(new Error('write after end')))
      return false
    }
    const chunk = this.tap ? this.tap(this.dir, data.slice()) : data.slice()
    setImmediate(() => {
      this.peer.receive(chunk)
      cb?.(null)
    })
    return true
  }
  private receive(chunk: Uint8Array): void {
    if (this.destroyed) return
    if (this.paused) this.inbox.push(chunk)
    else this.emit('data', chunk)
  }
  pause(): void {
    this.paused = true
  }
  resume(): void {
    this.paused = false
    while (!this.paused && this.inbox.length > 0) this.emit('data', this.inbox.shift()!)
  }
  end(): void {
    if (this.ended || this.destroyed) return
    this.ended = true
    setImmediate(() => {
      this.peer.emit('end')
      if (this.peer.ended) {
        this.destroy()
      }
    })
  }
  destroy(): void {
    if (this.destroyed) return
    this.destroyed = true
    setImmediate(() => this.emit('close'))
    if (!this.peer.destroyed) {
      setImmediate(() => {
        if (!this.peer.ended) this.peer.emit('end')
        this.peer.destroy()
      })
    }
  }
}

/** Two connected in-memory sockets. `tap(dir, chunk)` may return a modified chunk. */
export function memorySocketPair(
  opts: { tap?: (dir: Direction, chunk: Uint8Array) => Uint8Array } = {},
): [RlpxSocket, RlpxSocket] {
  const a = new MemorySocket('a->b', opts.tap)
  const b = new MemorySocket('b->a', opts.tap)
  a.peer = b
  b.peer = a
  return [a, b]
}

export interface SessionPairOptions {
  /** eth versions on each side (default [68]). */
  readonly versionsA?: readonly number[]
  readonly versionsB?: readonly number[]
  readonly tap?: (dir: Direction, chunk: Uint8Array) => Uint8Array
  readonly clock?: Clock
  readonly backend?: CryptoBackend
  readonly session?: Partial<Omit<SessionOptions, 'nodeKey' | 'capabilities' | 'backend' | 'clock'>>
}

export interface SessionPair {
  readonly a: RlpxSession
  readonly b: RlpxSession
  /** The eth streams (EthConnections) of both sides. */
  readonly ethA: RlpxStream
  readonly ethB: RlpxStream
  /** Closes both sessions. */
  close(): Promise<void>
}

/** A complete RLPx handshake between two fresh keys over `memorySocketPair()`. */
export async function rlpxSessionPair(opts: SessionPairOptions = {}): Promise<SessionPair> {
  const [sa, sb] = memorySocketPair(opts.tap ? { tap: opts.tap } : {})
  const keyA = randomSecretKey(systemRandom)
  const keyB = randomSecretKey(systemRandom)
  const backend = opts.backend ?? (await loadCryptoBackend('auto'))
  const base = (nodeKey: Uint8Array, versions: readonly number[]): SessionOptions => ({
    nodeKey,
    clientId: 'ethwire-test',
    listenPort: 0,
    capabilities: [ethCapability(versions)],
    backend,
    clock: opts.clock ?? systemClock,
    random: systemRandom,
    handshakeTimeoutMs,
    pingIntervalMs,
    pongTimeoutMs,
    disconnectGraceMs,
    maxMessageSizeBytes,
    maxFrameSizeBytes: defaultMaxFrameSizeBytes,
    ...opts.session,
  })
  const [a, b] = await Promise.all([
    handshake(sa, {
      ...base(keyA, opts.versionsA ?? [68]),
      role: 'initiator',
      remoteId: publicKeyOf(keyB),
    }),
    handshake(sb, { ...base(keyB, opts.versionsB ?? [68]), role: 'recipient' }),
  ])
  if (!a.eth || !b.eth) throw new Error('rlpxSessionPair: no shared eth version')
  return {
    a,
    b,
    ethA: a.eth,
    ethB: b.eth,
    close: async () => {
      await Promise.all([a.close(), b.close()])
    },
  }
}
