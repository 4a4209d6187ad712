/**
 * Test helpers for the protocol manager: connect two managers over an in-memory `msgPipe()`
 * with distinct peer ids, a logger that records what it is told, and a manual clock.
 *
 * @example
 * ```ts
 * import { connectManagers } from '@ethwire/protocol-manager/testing'
 * const link = connectManagers(pmA, pmB, { version: 68 })
 * await waitFor(() => pmA.peerCount === 1)
 * await link.close()
 * ```
 */
import { handshake, type LocalStatus } from '@ethwire/handshake'
import {
  decodeMessage,
  type EthConnection,
  type EthMessage,
  encodeMessage,
  type MsgName,
  type Status,
} from '@ethwire/rlp-wire'
import { type MsgPipeOptions, msgPipe } from '@ethwire/rlp-wire/testing'
import type { Logger } from './types.js'

/** `conn` with another remote id (msgPipe ends are all called pipe-a / pipe-b). */
export function withRemoteId(conn: EthConnection, remoteId: string): EthConnection {
  return new Proxy(conn, {
    get(target, prop) {
      if (prop === 'remoteId') return remoteId
      if (prop === 'remoteAddress') return `pipe://${remoteId}`
      const v = Reflect.get(target, prop, target)
      return typeof v === 'function' ? v.bind(target) : v
    },
  })
}

let pairCounter = 0

/** A connected pair whose ends report the given ids as their remote (default unique ids). */
export function pipePair(
  opts: MsgPipeOptions & { idA?: string; idB?: string } = {},
): [EthConnection, EthConnection] {
  const n = ++pairCounter
  const [a, b] = msgPipe(opts)
  // End `a` talks to B, so its remote id is B's.
  return [withRemoteId(a, opts.idB ?? `node-b${n}`), withRemoteId(b, opts.idA ?? `node-a${n}`)]
}

interface Handles {
  handle(conn: EthConnection): Promise<void>
}

/**
 * Connects two managers: `a` handles one end (its peer is `b`, named `nameB`), `b` the other.
 * `done` resolves when both handlers have returned; `close()` closes the pipe and waits for that.
 */
export function connectManagers(
  a: Handles,
  b: Handles,
  opts: MsgPipeOptions & { nameA?: string; nameB?: string } = {},
): {
  done: Promise<void>
  close(reason?: number): Promise<void>
  ends: [EthConnection, EthConnection]
} {
  const [ea, eb] = pipePair({ ...opts, idA: opts.nameA, idB: opts.nameB })
  const done = Promise.all([a.handle(ea), b.handle(eb)]).then(() => {})
  return {
    done,
    ends: [ea, eb],
    async close(reason) {
      await ea.close(reason)
      await done
    },
  }
}

/** A logger that keeps every entry (and optionally prints). */
export function recordingLogger(print = false): Logger & {
  entries: { level: string; message: string; context?: Record<string, unknown> }[]
} {
  const entries: { level: string; message: string; context?: Record<string, unknown> }[] = []
  const at =
    (level: string) =>
    (message: string, context?: Record<string, unknown>): void => {
      entries.push({ level, message, ...(context !== undefined ? { context } : {}) })
      if (print) console.log(level, message, context ?? '')
    }
  return { entries, debug: at('debug'), info: at('info'), warn: at('warn') }
}

/** Polls `cond` every 5 ms (real time) until it holds; throws after `timeoutMs`. */
export async function waitFor(
  cond: () => boolean | Promise<boolean>,
  timeoutMs = 5_000,
  what = 'condition',
): Promise<void> {
  const end = Date.now() + timeoutMs
  for (;;) {
    if (await cond()) return
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 5))
  }
}

/** The far end of a connection to a manager, played by a test: raw sends and decoded reads. */
export interface RemotePeer {
  /** Our end of the pipe. */
  readonly conn: EthConnection
  /** The Status the manager sent. */
  readonly status: Status
  /** Resolves when the manager's `handle` returned. */
  readonly done: Promise<void>
  send(msg: EthMessage): Promise<void>
  sendRaw(code: number, payload: Uint8Array): Promise<void>
  /** The next message from the manager (throws after `timeoutMs`, default 2 s). */
  read(timeoutMs?: number): Promise<EthMessage>
  /** Reads until a message named `name` (others are kept in `seen`). */
  readUntil<N extends MsgName>(
    name: N,
    timeoutMs?: number,
  ): Promise<Extract<EthMessage, { name: N }>>
  readonly seen: EthMessage[]
  close(reason?: number): Promise<void>
}

/**
 * Connects a test-played peer to `pm` over a msgPipe: `pm.handle` runs on one end, this side
 * handshakes with `local` and returns helpers to talk to the manager.
 */
export async function attachRemote(
  pm: Handles,
  opts: { version: number; local: LocalStatus; id?: string; maxMessageSize?: number },
): Promise<RemotePeer> {
  const [mine, theirs] = pipePair({
    version: opts.version,
    ...(opts.id !== undefined ? { idA: opts.id } : {}),
    ...(opts.maxMessageSize !== undefined ? { maxMessageSize: opts.maxMessageSize } : {}),
  })
  // `theirs` is the manager's end: its remote id is ours.
  const done = pm.handle(theirs)
  const { remote } = await handshake({ conn: mine, local: opts.local })
  const seen: EthMessage[] = []
  const read = async (timeoutMs = 2_000): Promise<EthMessage> => {
    const msg = await mine.readMsg(AbortSignal.timeout(timeoutMs))
    return decodeMessage(opts.version, msg)
  }
  return {
    conn: mine,
    status: remote,
    done,
    seen,
    async send(msg) {
      const { code, payload } = encodeMessage(opts.version, msg)
      await mine.writeMsg(code, payload)
    },
    sendRaw: (code, payload) => mine.writeMsg(code, payload),
    read,
    async readUntil(name, timeoutMs = 2_000) {
      const end = Date.now() + timeoutMs
      for (;;) {
        const m = await read(Math.max(1, end - Date.now()))
        if (m.name === name) return m as never
        seen.push(m)
      }
    },
    async close(reason) {
      await mine.close(reason)
      await done
    },
  }
}
