/**
 * Counting an eth connection from the outside: every message read and written goes to
 * `metrics.observeMessage`, and on eth/66+ each request (GetBlockHeaders, GetBlockBodies,
 * GetReceipts, GetNodeData, GetPooledTransactions) is matched by request id to its answer, its
 * round trip going to `metrics.observeRequest` (go-ethereum's `p2p/tracker` does the same). So a
 * node gets message, byte and request-latency metrics without a hook in the protocol manager,
 * the peer or the transports: `pm.handle(instrumentConnection(metrics, conn))`.
 */
import { MsgCode } from '@ethwire/rlp-wire'
import { maxTrackedRequestsPerKind } from './constants.js'
import { type MetricsRegistry, requestKinds } from './registry.js'
import type { MsgConnection, RequestKind } from './types.js'

/** Request code → kind index, and answer code → kind index. */
const requestKindOf: (number | undefined)[] = []
const answerKindOf: (number | undefined)[] = []
const pairs: ReadonlyArray<readonly [number, number, RequestKind]> = [
  [MsgCode.GetBlockHeaders, MsgCode.BlockHeaders, 'headers'],
  [MsgCode.GetBlockBodies, MsgCode.BlockBodies, 'bodies'],
  [MsgCode.GetReceipts, MsgCode.Receipts, 'receipts'],
  [MsgCode.GetNodeData, MsgCode.NodeData, 'node_data'],
  [MsgCode.GetPooledTransactions, MsgCode.PooledTransactions, 'pooled_txs'],
]
for (const [req, res, kind] of pairs) {
  requestKindOf[req] = requestKinds.indexOf(kind)
  answerKindOf[res] = requestKinds.indexOf(kind)
}
/** eth/66 added request ids; earlier versions' answers cannot be matched. */
const firstVersionWithRequestIds = 66

/**
 * The request id of an eth/66+ message: the first item of its RLP list, an unsigned integer of
 * at most 8 bytes (a number up to 6 bytes, a bigint above). Undefined when the payload has no
 * such item. Reads a few bytes; allocates nothing below 7-byte ids.
 */
export function readRequestId(payload: Uint8Array): number | bigint | undefined {
  const b0 = payload[0]
  if (b0 === undefined || b0 < 0xc0) return undefined
  const at = b0 <= 0xf7 ? 1 : 1 + (b0 - 0xf7)
  const b = payload[at]
  if (b === undefined) return undefined
  if (b < 0x80) return b
  if (b === 0x80) return 0
  const len = b - 0x80
  if (len > 8 || at + 1 + len > payload.length) return undefined
  if (len <= 6) {
    let n = 0
    for (let i = 0; i < len; i++) n = n * 256 + (payload[at + 1 + i] as number)
    return n
  }
  let n = 0n
  for (let i = 0; i < len; i++) n = (n << 8n) | BigInt(payload[at + 1 + i] as number)
  return n
}

/**
 * Wraps a connection so its messages and request round trips are counted; every other property
 * and method reads through to the connection (getters over private fields included; properties
 * added to the connection after wrapping are not seen). A disabled registry gets the connection
 * itself back.
 */
export function instrumentConnection<C extends MsgConnection>(
  metrics: MetricsRegistry,
  conn: C,
): C {
  if (!metrics.enabled) return conn
  const { observeMessage, observeRequest, clock } = metrics
  const track = conn.version >= firstVersionWithRequestIds
  /** Per kind: request id → send time (ms), oldest first. */
  const pending: Array<Map<number | bigint, number> | undefined> = []

  const sent = (kind: number, payload: Uint8Array) => {
    const id = readRequestId(payload)
    if (id === undefined) return
    let m = pending[kind]
    if (m === undefined) {
      m = new Map()
      pending[kind] = m
    }
    if (m.size >= maxTrackedRequestsPerKind && !m.has(id)) {
      const oldest = m.keys().next().value as number | bigint
      m.delete(oldest)
      observeRequest(requestKinds[kind] as RequestKind, 0, false)
    }
    m.set(id, clock.now())
  }
  const answered = (kind: number, payload: Uint8Array) => {
    const m = pending[kind]
    if (m === undefined || m.size === 0) return
    const id = readRequestId(payload)
    if (id === undefined) return
    const at = m.get(id)
    if (at === undefined) return // unrequested or already answered: the protocol manager's business
    m.delete(id)
    observeRequest(requestKinds[kind] as RequestKind, (clock.now() - at) / 1000, true)
  }
  /** The connection ended: whatever is still outstanding was never answered. */
  const lostAll = () => {
    for (let kind = 0; kind < pending.length; kind++) {
      const m = pending[kind]
      if (m === undefined) continue
      for (let i = 0; i < m.size; i++) observeRequest(requestKinds[kind] as RequestKind, 0, false)
      m.clear()
    }
  }

  const onMsg = <M extends { code: number; size: number; payload: Uint8Array }>(msg: M): M => {
    observeMessage('in', msg.code, msg.size)
    if (track) {
      const kind = answerKindOf[msg.code]
      if (kind !== undefined) answered(kind, msg.payload)
    }
    return msg
  }
  const onReadError = (err: unknown): never => {
    if ((conn as { closeInfo?: unknown }).closeInfo !== undefined) lostAll()
    throw err
  }
  const readMsg: C['readMsg'] = (signal) => conn.readMsg(signal).then(onMsg, onReadError)
  const writeMsg: C['writeMsg'] = (code, payload) => {
    observeMessage('out', code, payload.length)
    if (track) {
      const kind = requestKindOf[code]
      if (kind !== undefined) sent(kind, payload)
    }
    return conn.writeMsg(code, payload)
  }

  return forwarder(conn, { readMsg, writeMsg })
}

/**
 * An object whose `overrides` are its own and whose every other property (own or inherited, as
 * found at creation) reads through to `target`, methods bound to it: getters over private fields
 * keep working. Plain getters, not a Proxy, so the hot `readMsg` / `writeMsg` are ordinary calls.
 */
function forwarder<C extends object>(target: C, overrides: Record<string, unknown>): C {
  const out = Object.create(null) as Record<PropertyKey, unknown>
  const seen = new Set<PropertyKey>(Object.keys(overrides))
  for (
    let o: object | null = target;
    o !== null && o !== Object.prototype;
    o = Object.getPrototypeOf(o)
  ) {
    for (const key of Reflect.ownKeys(o)) {
      if (seen.has(key) || key === 'constructor') continue
      seen.add(key)
      let bound: { fn: unknown; as: unknown } | undefined
      Object.defineProperty(out, key, {
        enumerable: true,
        get() {
          const v: unknown = Reflect.get(target, key, target)
          if (typeof v !== 'function') return v
          if (bound?.fn !== v)
            bound = { fn: v, as: (v as (...a: unknown[]) => unknown).bind(target) }
          return bound.as
        },
      })
    }
  }
  Object.assign(out, overrides)
  return out as C
}
