/**
 * The eth `Status` handshake of a page that has no chain yet, with `@ethwire/handshake`'s rules.
 *
 * Our Status is that of a node that has just been initialised (head = genesis, total difficulty
 * = the genesis difficulty), which go-ethereum and ethwire accept. Its genesis hash comes from
 * the peer's own Status: computing it from a genesis file needs the state root of its `alloc`
 * (a state trie), which the page leaves out. With a genesis file (`?genesis=<url>` of the page)
 * the network id and the fork schedule are ours, so a peer of another network is refused and our
 * EIP-2124 fork id is honest; without one we adopt the peer's network and echo its fork id.
 */
import {
  buildStatus,
  checkStatus,
  createForkFilter,
  type ForkFilter,
  forksFromGethConfig,
  HandshakeError,
  handshakeTimeoutMs,
  isHandshakeError,
  type LocalStatus,
} from '@ethwire/handshake'
import type { EthConnection, Msg } from '@ethwire/interface'
import {
  decodeStatus,
  encodeStatus,
  isStatusEth69,
  isWireError,
  MsgCode,
  type Status,
} from '@ethwire/rlp-wire'

/** The network we mean to join, from a go-ethereum genesis file. */
export interface Network {
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

/** The network of a parsed go-ethereum `genesis.json` (what `geth init` / `ethwire init` take). */
export function networkFromGenesis(genesis: unknown, networkId?: bigint): Network {
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

function localStatus(network: Network | undefined, peer: Status | undefined): LocalStatus {
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

async function readFirst(conn: EthConnection, timeoutMs: number, signal?: AbortSignal) {
  const timeout = AbortSignal.timeout(timeoutMs)
  try {
    return await conn.readMsg(signal ? AbortSignal.any([signal, timeout]) : timeout)
  } catch (err) {
    if (timeout.aborted) throw new HandshakeError('ErrTimeout', `no Status within ${timeoutMs} ms`)
    if (isWireError(err, 'ErrClosed')) {
      throw new HandshakeError('ErrClosed', 'closed before its Status', {
        cause: err,
        remoteReason: err.reason,
        remote: err.remote,
      })
    }
    if (isWireError(err, 'ErrMsgTooLarge')) throw new HandshakeError('ErrMsgTooLarge', err.message)
    throw err
  }
}

const peekStatus = (version: number, msg: Msg): Status | undefined => {
  if (msg.code !== MsgCode.Status) return undefined
  try {
    return decodeStatus(version, msg.payload)
  } catch {
    return undefined // checkStatus reports it as ErrDecode
  }
}

export interface StatusExchange {
  /** The peer's Status, checked by `@ethwire/handshake`'s rules. */
  remote: Status
  /** What we sent. */
  sent: Status
}

/**
 * Reads the peer's Status (a node sends it as soon as the eth stream is open), builds ours,
 * checks theirs with `checkStatus` (network id, version, genesis, fork id, block range) and sends
 * ours. On a broken rule the connection is closed with the rule's disconnect reason and the
 * `HandshakeError` is thrown.
 */
export async function exchangeStatus(
  conn: EthConnection,
  network: Network | undefined,
  options: { timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<StatusExchange> {
  try {
    const first = await readFirst(conn, options.timeoutMs ?? handshakeTimeoutMs, options.signal)
    const local = localStatus(network, peekStatus(conn.version, first))
    const filter: ForkFilter = network
      ? createForkFilter(local.forks, () => local.head)
      : () => undefined
    const remote = checkStatus(conn.version, local, first, filter)
    const sent = network ? buildStatus(conn.version, local) : mirrorStatus(remote)
    await conn.writeMsg(MsgCode.Status, encodeStatus(sent))
    return { remote, sent }
  } catch (err) {
    if (isHandshakeError(err) && err.code !== 'ErrClosed') {
      await conn.close(err.disconnectReason).catch(() => {})
    }
    throw err
  }
}
