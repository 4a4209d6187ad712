/**
 * What both examples need to be an eth peer without a chain database:
 *
 * - the Status we send. It needs the network id, the genesis hash and a fork id (EIP-2124).
 *   We take the genesis hash from the peer's own Status: computing it from a genesis file needs
 *   the state root of its `alloc`, i.e. a state trie, which these examples leave out. The fork
 *   schedule comes from the genesis file when one is given (then a peer of another network is
 *   refused, and our fork id is the honest one of a node at genesis); without one we adopt the
 *   peer's network and echo its fork id. Either way our head is the genesis block, which
 *   go-ethereum accepts (it is what a node that has just been initialised sends).
 * - empty answers to the peer's requests: we have no blocks, receipts or pooled transactions.
 * - redialing a peer that went away.
 */
import { readFileSync } from 'node:fs'
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
import type { Peer } from '@ethwire/peerset'
import {
  decodeStatus,
  type EthMessage,
  encodeStatus,
  isStatusEth69,
  isWireError,
  MsgCode,
  type Status,
} from '@ethwire/rlp-wire'

/** The network we mean to join, read from a go-ethereum genesis file. */
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

/** Reads a go-ethereum `genesis.json` (what `geth init` or `ethwire init` takes). */
export function readGenesisFile(path: string, networkId?: bigint): Network {
  const g = JSON.parse(readFileSync(path, 'utf8')) as {
    config?: Record<string, unknown>
    timestamp?: unknown
    difficulty?: unknown
  }
  if (typeof g.config !== 'object' || g.config === null) {
    throw new Error(`${path}: no "config" object (is it a go-ethereum genesis file?)`)
  }
  return {
    networkId: networkId ?? quantity(g.config.chainId, 'config.chainId'),
    genesisTime: quantity(g.timestamp, 'timestamp'),
    genesisDifficulty: quantity(g.difficulty, 'difficulty'),
    ...forksFromGethConfig(g.config),
  }
}

/** Our Status, as `@ethwire/handshake` builds it, for a node whose head is the genesis block. */
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

/** Without a fork schedule: the peer's network, its fork id, our head at its genesis. */
function mirrorStatus(remote: Status): Status {
  if (isStatusEth69(remote)) {
    return { ...remote, earliestBlock: 0n, latestBlock: 0n, latestBlockHash: remote.genesis }
  }
  return { ...remote, td: 0n, head: remote.genesis }
}

/** The first message on a fresh connection, with the handshake's timeout and typed errors. */
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
 * The Status exchange of a peer without a chain: read the peer's Status (every client sends it
 * right after the RLPx/libp2p handshake), build ours from it and `network`, check theirs with
 * `@ethwire/handshake`'s `checkStatus` (network id, version, genesis, fork id, block range) and
 * send ours. On a rule broken the connection is closed with the rule's disconnect reason and
 * the `HandshakeError` is thrown.
 */
export async function exchangeStatus(
  conn: EthConnection,
  network: Network | undefined,
  options: { timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<StatusExchange> {
  try {
    const first = await readFirst(conn, options.timeoutMs ?? handshakeTimeoutMs, options.signal)
    const local = localStatus(network, peekStatus(conn.version, first))
    // With a fork schedule, the EIP-2124 filter of a node at genesis; without one, anything.
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

/**
 * Answers a request of the peer with an empty response (we keep no chain and no pool): peers
 * that ask us for something get an answer instead of a timeout. Returns false when `msg` is not
 * a request.
 */
export async function answerEmpty(peer: Peer, msg: EthMessage): Promise<boolean> {
  const requestId = 'requestId' in msg ? msg.requestId : undefined
  const id = requestId === undefined ? {} : { requestId }
  switch (msg.name) {
    case 'GetBlockHeaders':
      await peer.reply({ name: 'BlockHeaders', ...id, headers: [] })
      return true
    case 'GetBlockBodies':
      await peer.reply({ name: 'BlockBodies', ...id, bodies: [] })
      return true
    case 'GetReceipts':
      await peer.reply({ name: 'Receipts', ...id, receipts: [] })
      return true
    case 'GetNodeData':
      await peer.reply({ name: 'NodeData', ...id, data: [] })
      return true
    case 'GetPooledTransactions':
      await peer.reply({ name: 'PooledTransactions', ...id, txs: [] })
      return true
    default:
      return false
  }
}

/** The first 8 hex digits of a peer id (a node id or a libp2p peer id). */
export const shortId = (id: string): string => id.slice(0, 8)

/**
 * Runs `session` for `address` again and again until `signal` aborts: each run dials and serves
 * one connection until it ends. Between runs it waits 1 s, doubling up to 30 s (back to 1 s
 * after a connection that lasted a minute).
 */
export async function keepConnected(
  address: string,
  session: (address: string) => Promise<void>,
  log: (line: string) => void,
  signal: AbortSignal,
): Promise<void> {
  let backoffMs = 1_000
  while (!signal.aborted) {
    const started = Date.now()
    try {
      await session(address)
    } catch (err) {
      if (signal.aborted) return
      log(`${address.slice(0, 24)}…: ${(err as Error).message}`)
    }
    if (signal.aborted) return
    if (Date.now() - started > 60_000) backoffMs = 1_000
    log(`redialing in ${backoffMs / 1000} s`)
    await new Promise<void>((resolve) => {
      const t = setTimeout(done, backoffMs)
      function done() {
        clearTimeout(t)
        signal.removeEventListener('abort', done)
        resolve()
      }
      signal.addEventListener('abort', done, { once: true })
    })
    backoffMs = Math.min(backoffMs * 2, 30_000)
  }
}
