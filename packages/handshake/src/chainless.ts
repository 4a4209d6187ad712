/**
 * The Status exchange of a peer that keeps no chain database (a crawler, a mempool watcher, a
 * header follower in a browser page).
 *
 * Our Status is that of a node that has just been initialised: head = genesis, total difficulty
 * = the genesis difficulty, which go-ethereum and ethwire accept. The genesis hash is taken from
 * the peer's own Status, because computing it from a genesis file needs the state root of its
 * `alloc` (a state trie) that such a peer leaves out. With a {@link ChainlessNetwork} (from a
 * genesis file) the network id and the fork schedule are ours, so a peer of another network is
 * refused and our EIP-2124 fork id is the honest one of a node at genesis; without one we adopt
 * the peer's network and echo its fork id.
 */
import type { Clock, MsgReadWriter } from '@ethwire/interface'
import { systemClock } from '@ethwire/interface/runtime'
import { decodeStatus, encodeStatus, isStatusEth69, MsgCode, type Status } from '@ethwire/rlp-wire'
import { handshakeTimeoutMs } from './constants.js'
import { HandshakeError, isHandshakeError } from './errors.js'
import { createForkFilter, type ForkFilter, forksFromGethConfig } from './forkid.js'
import { buildStatus, checkStatus, type LocalStatus, toHandshakeError } from './handshake.js'

/** The network a chainless peer means to join, read from a go-ethereum genesis file. */
export interface ChainlessNetwork {
  networkId: bigint
  genesisTime: bigint
  genesisDifficulty: bigint
  forksByBlock: bigint[]
  forksByTime: bigint[]
}

const quantity = (v: unknown, what: string): bigint => {
  if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v)
  if (typeof v === 'string' && /^(0x[0-9a-f]+|\d+)$/i.test(v)) return BigInt(v)
  if (v === undefined) return 0n
  throw new Error(`genesis: ${what} is not a quantity: ${JSON.stringify(v)}`)
}

/**
 * The network of a parsed go-ethereum `genesis.json` (what `geth init` / `ethwire init` take):
 * network id (default `config.chainId`), genesis time and difficulty, and the fork schedule.
 * Throws a plain `Error` naming the field when the file is not a genesis file.
 */
export function networkFromGenesis(genesis: unknown, networkId?: bigint): ChainlessNetwork {
  const g = genesis as { config?: unknown; timestamp?: unknown; difficulty?: unknown } | null
  if (typeof g?.config !== 'object' || g.config === null) {
    throw new Error('genesis: no "config" object (is it a go-ethereum genesis file?)')
  }
  const config = g.config as Record<string, unknown>
  return {
    networkId: networkId ?? quantity(config.chainId, 'config.chainId'),
    genesisTime: quantity(g.timestamp, 'timestamp'),
    genesisDifficulty: quantity(g.difficulty, 'difficulty'),
    ...forksFromGethConfig(config),
  }
}

function localAtGenesis(network: ChainlessNetwork | undefined, peer?: Status): LocalStatus {
  const genesisHash = peer?.genesis ?? new Uint8Array(32)
  return {
    networkId: network?.networkId ?? peer?.networkId ?? 0n,
    genesisHash,
    head: { hash: genesisHash, number: 0n, time: network?.genesisTime ?? 0n },
    td: network?.genesisDifficulty ?? 0n,
    earliestBlock: 0n,
    forks: {
      genesisHash,
      genesisTime: network?.genesisTime ?? 0n,
      forksByBlock: network?.forksByBlock ?? [],
      forksByTime: network?.forksByTime ?? [],
    },
  }
}

/** Without a fork schedule: the peer's network and fork id, our head at its genesis. */
function mirrorStatus(remote: Status): Status {
  if (isStatusEth69(remote)) {
    return { ...remote, earliestBlock: 0n, latestBlock: 0n, latestBlockHash: remote.genesis }
  }
  return { ...remote, td: 0n, head: remote.genesis }
}

function peekStatus(version: number, code: number, payload: Uint8Array): Status | undefined {
  if (code !== MsgCode.Status) return undefined
  try {
    return decodeStatus(version, payload)
  } catch {
    return undefined // checkStatus reports it as ErrDecode
  }
}

export interface ChainlessHandshakeDeps {
  /** The negotiated stream; its `version` decides the Status shape. */
  conn: MsgReadWriter & { readonly version: number }
  /** Our network; without it we adopt the peer's network and echo its fork id. */
  network?: ChainlessNetwork
  /** Default: the system clock. */
  clock?: Clock
}

export interface ChainlessHandshakeOptions {
  /** Default {@link handshakeTimeoutMs} (5 s). */
  timeoutMs?: number
  signal?: AbortSignal
}

export interface ChainlessHandshakeResult {
  /** The peer's Status, checked by {@link checkStatus}'s rules. */
  remote: Status
  /** The Status we sent. */
  sent: Status
}

/**
 * Reads the peer's Status first (every client sends it as soon as the eth stream is open),
 * builds ours from it and `network`, checks theirs with {@link checkStatus} (network id, version,
 * genesis, fork id, block range) and sends ours. On a broken rule the connection is closed with
 * the rule's disconnect reason and the {@link HandshakeError} is thrown; a peer silent for
 * `timeoutMs` gives `ErrTimeout`.
 *
 * @example
 * ```ts
 * import { chainlessHandshake, networkFromGenesis } from '@ethwire/handshake'
 * const network = networkFromGenesis(JSON.parse(genesisJson))
 * const { remote } = await chainlessHandshake({ conn, network })
 * console.log('peer genesis', remote.genesis)
 * ```
 */
export async function chainlessHandshake(
  deps: ChainlessHandshakeDeps,
  options: ChainlessHandshakeOptions = {},
): Promise<ChainlessHandshakeResult> {
  const { conn, network } = deps
  const clock = deps.clock ?? systemClock
  const timeoutMs = options.timeoutMs ?? handshakeTimeoutMs
  const signal = options.signal
  signal?.throwIfAborted()
  const inner = new AbortController()
  let timedOut = false
  const timer = clock.setTimeout(() => {
    timedOut = true
    inner.abort()
  }, timeoutMs)
  const onAbort = () => inner.abort(signal?.reason)
  signal?.addEventListener('abort', onAbort, { once: true })
  try {
    let first: Awaited<ReturnType<typeof conn.readMsg>>
    try {
      first = await conn.readMsg(inner.signal)
    } finally {
      clock.clearTimeout(timer)
    }
    if (timedOut) throw new HandshakeError('ErrTimeout', `no Status within ${timeoutMs} ms`)
    const local = localAtGenesis(network, peekStatus(conn.version, first.code, first.payload))
    const filter: ForkFilter = network
      ? createForkFilter(local.forks, () => local.head)
      : () => undefined
    const remote = checkStatus(conn.version, local, first, filter)
    const sent = network ? buildStatus(conn.version, local) : mirrorStatus(remote)
    await conn.writeMsg(MsgCode.Status, encodeStatus(sent))
    return { remote, sent }
  } catch (err) {
    const failure = toHandshakeError(err, timedOut, signal)
    if (isHandshakeError(failure) && failure.code !== 'ErrClosed') {
      await conn.close(failure.disconnectReason).catch(() => {})
    }
    throw failure
  } finally {
    signal?.removeEventListener('abort', onAbort)
  }
}
