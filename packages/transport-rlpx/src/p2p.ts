/**
 * The "p2p" base protocol: Hello, Disconnect, Ping, Pong, and capability matching.
 */
import { fromUtf8, lenientUint, utf8 } from './bytes.js'
import { baseProtocolLength } from './constants.js'
import { isRlpxError, RlpxError } from './errors.js'
import { asBytes, asList, type RlpItem, rlpDecode, rlpEncode } from './wire.js'

const asUint = (item: RlpItem | undefined, what: string): number =>
  lenientUint(asBytes(item, what), what)

export const P2pCode = { Hello: 0x00, Disconnect: 0x01, Ping: 0x02, Pong: 0x03 } as const

/** A capability one side offers: a name (≤ 8 ASCII chars) and a version. */
export interface Capability {
  readonly name: string
  readonly version: number
}

export interface Hello {
  readonly protocolVersion: number
  readonly clientId: string
  readonly capabilities: readonly Capability[]
  readonly listenPort: number
  /** 64-byte node id. */
  readonly nodeId: Uint8Array
}

export function encodeHello(h: Hello): Uint8Array {
  return rlpEncode([
    h.protocolVersion,
    utf8(h.clientId),
    h.capabilities.map((c) => [utf8(c.name), c.version]),
    h.listenPort,
    h.nodeId,
  ])
}

/** Decodes a Hello payload, ignoring extra list elements (EIP-8). Throws `ErrProtocol`. */
export function decodeHello(payload: Uint8Array): Hello {
  try {
    return decodeHelloItems(payload)
  } catch (err) {
    if (isRlpxError(err)) throw err
    // rlp-wire's WireError (malformed RLP, a string where a list belongs, …)
    throw new RlpxError('ErrProtocol', `hello: ${String(err)}`, { cause: err })
  }
}

function decodeHelloItems(payload: Uint8Array): Hello {
  const list = asList(rlpDecode(payload), 'hello')
  if (list.length < 5) throw new RlpxError('ErrProtocol', 'hello: too few elements')
  const caps = asList(list[2], 'hello capabilities').map((c: RlpItem) => {
    const pair = asList(c, 'capability')
    if (pair.length < 2) throw new RlpxError('ErrProtocol', 'hello: bad capability')
    return {
      name: fromUtf8(asBytes(pair[0], 'capability name')),
      version: asUint(pair[1], 'capability version'),
    }
  })
  const nodeId = asBytes(list[4], 'hello node id')
  if (nodeId.length !== 64) throw new RlpxError('ErrProtocol', 'hello: node id must be 64 bytes')
  return {
    protocolVersion: asUint(list[0], 'hello version'),
    clientId: fromUtf8(asBytes(list[1], 'hello client id')),
    capabilities: caps,
    listenPort: asUint(list[3], 'hello listen port'),
    nodeId: nodeId.slice(),
  }
}

/** Our side of a capability: its name, the versions we speak, and how many message ids each needs. */
export interface CapabilitySpec {
  readonly name: string
  readonly versions: readonly number[]
  /** Number of message ids the capability uses at `version`. */
  readonly length: (version: number) => number
}

/** A capability both sides share, with its place in the message-id space. */
export interface SharedCapability {
  readonly name: string
  readonly version: number
  /** First message id of the capability on this connection. */
  readonly offset: number
  readonly length: number
}

/**
 * Shared capabilities: for each name both sides have, the highest version both speak; ordered by
 * name and laid out from id 0x10 on (0x00-0x0f belong to p2p).
 */
export function matchCapabilities(
  ours: readonly CapabilitySpec[],
  theirs: readonly Capability[],
): SharedCapability[] {
  const picked: { name: string; version: number; length: number }[] = []
  for (const spec of ours) {
    let best = -1
    for (const c of theirs) {
      if (c.name === spec.name && spec.versions.includes(c.version) && c.version > best)
        best = c.version
    }
    if (best >= 0) picked.push({ name: spec.name, version: best, length: spec.length(best) })
  }
  picked.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  let offset = baseProtocolLength
  return picked.map((p) => {
    const s = { ...p, offset }
    offset += p.length
    return s
  })
}

/** Disconnect payload as we send it: `[reason]`. */
export function encodeDisconnect(reason: number): Uint8Array {
  return rlpEncode([reason])
}

/**
 * Reads a Disconnect reason. Accepts `[reason]`, a bare `reason` (some clients), and `[]`
 * (no reason: Requested). Returns undefined for anything else.
 */
export function decodeDisconnect(payload: Uint8Array): number | undefined {
  try {
    const item = rlpDecode(payload)
    if (Array.isArray(item)) {
      if (item.length === 0) return 0
      return asUint(item[0], 'reason')
    }
    return asUint(item, 'reason')
  } catch {
    return undefined
  }
}

/** Ping and Pong carry an empty list. */
export const emptyList = Uint8Array.of(0xc0)
