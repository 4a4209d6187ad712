import type { CloseInfo, Direction, EthConnection, Msg } from '@ethwire/interface'
import { maxMessageSizeBytes } from './codes.js'
import { WireError } from './errors.js'
import { DisconnectReason } from './transport.js'

export interface MsgPipeOptions {
  /** Negotiated eth version reported by both ends (default 68). */
  version?: number
  /** Clock for `receivedAt` (default `Date.now`). */
  now?: () => number
  /** Largest payload accepted on write (default {@link maxMessageSizeBytes}). */
  maxMessageSize?: number
}

interface Waiter {
  resolve: (m: Msg) => void
  reject: (e: unknown) => void
  cleanup: () => void
}

interface Shared {
  closed: { reason: number; by: End } | undefined
}

class End implements EthConnection {
  readonly transport = 'pipe' as const
  peer!: End
  readonly #queue: Msg[] = []
  readonly #waiters: Waiter[] = []

  constructor(
    readonly version: number,
    readonly direction: Direction,
    readonly remoteId: string,
    readonly remoteAddress: string,
    private readonly shared: Shared,
    private readonly now: () => number,
    private readonly maxSize: number,
  ) {}

  get closeInfo(): CloseInfo | undefined {
    const c = this.shared.closed
    return c === undefined ? undefined : { reason: c.reason, remote: c.by !== this }
  }

  #closedError(): WireError {
    const c = this.closeInfo!
    return new WireError('ErrClosed', `pipe closed (reason ${c.reason})`, {
      reason: c.reason,
      remote: c.remote,
    })
  }

  deliver(m: Msg): void {
    const w = this.#waiters.shift()
    if (w !== undefined) {
      w.cleanup()
      w.resolve(m)
    } else this.#queue.push(m)
  }

  onClosed(): void {
    this.#queue.length = 0
    const err = this.#closedError()
    for (const w of this.#waiters.splice(0)) {
      w.cleanup()
      w.reject(err)
    }
  }

  readMsg(signal?: AbortSignal): Promise<Msg> {
    if (this.shared.closed !== undefined) return Promise.reject(this.#closedError())
    if (signal?.aborted) return Promise.reject(abortReason(signal))
    const m = this.#queue.shift()
    if (m !== undefined) return Promise.resolve(m)
    return new Promise<Msg>((resolve, reject) => {
      const onAbort = () => {
        const i = this.#waiters.indexOf(waiter)
        if (i >= 0) this.#waiters.splice(i, 1)
        reject(abortReason(signal!))
      }
      const waiter: Waiter = {
        resolve,
        reject,
        cleanup: () => signal?.removeEventListener('abort', onAbort),
      }
      this.#waiters.push(waiter)
      signal?.addEventListener('abort', onAbort, { once: true })
    })
  }

  writeMsg(code: number, payload: Uint8Array): Promise<void> {
    if (this.shared.closed !== undefined) return Promise.reject(this.#closedError())
    if (payload.length > this.maxSize) {
      return Promise.reject(
        new WireError('ErrMsgTooLarge', `payload of ${payload.length} bytes over ${this.maxSize}`),
      )
    }
    this.peer.deliver({ code, size: payload.length, payload, receivedAt: this.now() })
    return Promise.resolve()
  }

  close(reason: number = DisconnectReason.Requested): Promise<void> {
    if (this.shared.closed === undefined) {
      this.shared.closed = { reason, by: this }
      this.onClosed()
      this.peer.onClosed()
    }
    return Promise.resolve()
  }
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('The operation was aborted', 'AbortError')
}

/**
 * An in-memory connected pair of eth connections: the first end is the `outbound` (dialing) one,
 * the second the `inbound` one. It follows the `MsgReadWriter` contract of `@ethwire/interface`
 * (and runs its compliance suite): messages written on one end are read on the other in order;
 * concurrent reads queue and are served first come, first served; an aborted signal rejects the
 * read and takes no message. `close(reason)` on either end closes both: pending and later reads
 * and writes on both sides reject with `WireError('ErrClosed')` carrying `reason` and `remote`
 * (true on the side that did not call close); unread messages are dropped. Writes over
 * `maxMessageSize` reject with `ErrMsgTooLarge`.
 */
export function msgPipe(opts: MsgPipeOptions = {}): [EthConnection, EthConnection] {
  const version = opts.version ?? 68
  const now = opts.now ?? Date.now
  const max = opts.maxMessageSize ?? maxMessageSizeBytes
  const shared: Shared = { closed: undefined }
  const a = new End(version, 'outbound', 'pipe-b', 'pipe://b', shared, now, max)
  const b = new End(version, 'inbound', 'pipe-a', 'pipe://a', shared, now, max)
  a.peer = b
  b.peer = a
  return [a, b]
}
