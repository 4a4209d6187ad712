/**
 * Test doubles for code built on @ethwire/peerset: a connected pair of peers over an in-memory
 * pipe, and a connection whose writes stall. (The fake clock is `FakeClock` from
 * `@ethwire/interface/testing`.)
 *
 * @example
 * ```ts
 * import { FakeClock } from '@ethwire/interface/testing'
 * import { peerPair } from '@ethwire/peerset/testing'
 * const clock = new FakeClock()
 * const { peer, remote } = peerPair({ version: 68, clock })
 * const headers = peer.requestHeadersByNumber({ number: 1n, amount: 1 })
 * ```
 */
import type { Clock, CloseInfo, EthConnection, Msg } from '@ethwire/interface'
import type { Status } from '@ethwire/rlp-wire'
import { msgPipe } from '@ethwire/rlp-wire/testing'
import { Peer, type PeerOptions } from './peer.js'

/** A Status for tests: eth/69 shape for version 69, else with head and TD. */
export function testStatus(
  version: number,
  head: { hash?: Uint8Array; td?: bigint; number?: bigint } = {},
): Status {
  const genesis = new Uint8Array(32).fill(0x11)
  const hash = head.hash ?? new Uint8Array(32).fill(0x22)
  const forkId = { hash: Uint8Array.of(1, 2, 3, 4), next: 0n }
  if (version >= 69) {
    return {
      version,
      networkId: 1337n,
      genesis,
      forkId,
      earliestBlock: 0n,
      latestBlock: head.number ?? 10n,
      latestBlockHash: hash,
    }
  }
  return { version, networkId: 1337n, td: head.td ?? 1000n, head: hash, genesis, forkId }
}

/**
 * A peer over an in-memory pipe: `peer` wraps our end; `remote` is the other end, where a test
 * reads what the peer sent and writes responses.
 */
export function peerPair(
  opts: {
    version?: number
    clock?: Clock
    status?: Status
    id?: string
    options?: PeerOptions
  } = {},
): { peer: Peer; remote: EthConnection; conn: EthConnection } {
  const version = opts.version ?? 68
  const [a, b] = msgPipe({ version })
  const conn = opts.id === undefined ? a : withId(a, opts.id)
  const peer = new Peer(
    { conn, status: opts.status ?? testStatus(version), clock: opts.clock, random: () => 0.5 },
    opts.options,
  )
  return { peer, remote: b, conn }
}

/** `conn` under another remote id. */
export function withId(conn: EthConnection, remoteId: string): EthConnection {
  return {
    version: conn.version,
    direction: conn.direction,
    remoteId,
    remoteAddress: conn.remoteAddress,
    transport: conn.transport,
    get closeInfo(): CloseInfo | undefined {
      return conn.closeInfo
    },
    readMsg: (signal?: AbortSignal): Promise<Msg> => conn.readMsg(signal),
    writeMsg: (code: number, payload: Uint8Array) => conn.writeMsg(code, payload),
    close: (reason?: number) => conn.close(reason),
  }
}

/**
 * A connection whose writes never complete until `release()` (a peer that stopped reading):
 * every write stays pending; `release()` lets them all through.
 */
export function stalledConnection(
  version = 68,
  remoteId = 'stalled',
): {
  conn: EthConnection
  writesStarted: () => number
  release: () => void
} {
  const [a] = msgPipe({ version })
  let started = 0
  let gate: { promise: Promise<void>; resolve: () => void } | undefined
  const open = () => {
    let resolve!: () => void
    const promise = new Promise<void>((r) => {
      resolve = r
    })
    gate = { promise, resolve }
  }
  open()
  const conn: EthConnection = {
    ...withId(a, remoteId),
    writeMsg: async (code, payload) => {
      started++
      await gate!.promise
      return a.writeMsg(code, payload)
    },
  }
  return {
    conn,
    writesStarted: () => started,
    release: () => gate!.resolve(),
  }
}
