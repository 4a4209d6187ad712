/**
 * Mempool watcher: connects to Ethereum nodes over RLPx and prints their pending transactions
 * as they are announced. No chain database, no transaction pool, no `@ethwire/node`: only
 *
 * - `@ethwire/transport-rlpx` — dial `enode://` URLs (ECIES, frames, Hello, snappy);
 * - `@ethwire/handshake` — the Status rules and the fork id (`chainlessHandshake`);
 * - `@ethwire/peerset` — the live peer (request ids, known transactions) and the peer set;
 * - the tx fetcher of `@ethwire/fetcher` — eth/65+ `NewPooledTransactionHashes` announcements
 *   become `GetPooledTransactions` requests, batched per peer, with timeouts, retries at other
 *   announcers and the eth/68 type and size checks;
 * - `@ethwire/rlp-wire` for the messages.
 *
 * Full `Transactions` broadcasts (every version) are printed too. Each transaction is printed
 * once, however many peers send or announce it.
 *
 *   node --import tsx examples/mempool-watcher.ts [--genesis genesis.json] [--networkid n]
 *        [--eth 69,68,67,66] enode://<node id>@<host>:<port> [enode://… …]
 *
 * One line per transaction on stdout; connection events on stderr. Ctrl-C stops it.
 */
import { parseArgs } from 'node:util'
import { createTxFetcher } from '@ethwire/fetcher'
import { type ChainlessNetwork, chainlessHandshake, isHandshakeError } from '@ethwire/handshake'
import type { EthConnection } from '@ethwire/interface'
import { errorCode } from '@ethwire/interface/runtime'
import { KnownSet, Peer, PeerSet } from '@ethwire/peerset'
import {
  bytesToHex,
  DisconnectReason,
  decodeMessage,
  disconnectReasonName,
  type EthMessage,
  isWireError,
  type Transaction,
} from '@ethwire/rlp-wire'
import { createRlpxTransport } from '@ethwire/transport-rlpx'
import { answerEmpty, keepConnected, readGenesisFile, shortId } from './lib/chainless-peer.js'

const usage = `usage: mempool-watcher [--genesis genesis.json] [--networkid n] [--eth 69,68,67,66] enode://… […]`
const { values, positionals } = parseArgs({
  options: {
    genesis: { type: 'string' },
    networkid: { type: 'string' },
    eth: { type: 'string', default: '69,68,67,66' },
    help: { type: 'boolean', short: 'h' },
  },
  allowPositionals: true,
})
if (values.help || positionals.length === 0) {
  console.error(usage)
  process.exit(values.help ? 0 : 2)
}
const log = (line: string) => console.error(`[watcher] ${line}`)

// The network: from the genesis file when given, else the peer's (`chainlessHandshake`).
const network: ChainlessNetwork | undefined = values.genesis
  ? readGenesisFile(
      values.genesis,
      values.networkid === undefined ? undefined : BigInt(values.networkid),
    )
  : undefined
if (!network) log('no --genesis: adopting the network, genesis and fork id of each peer')
// eth/65+ announces transactions by hash; of those, rlp-wire speaks 66 to 69.
const ethVersions = values.eth.split(',').map(Number)

// --- the "pool": the hashes we have printed (bounded; the oldest are forgotten first) --------
const seen = new KnownSet(100_000)

function print(tx: Transaction, via: string, peer: Peer): void {
  if (seen.has(tx.hash)) return
  seen.add(tx.hash)
  const fee = tx.maxFeePerGas ?? tx.gasPrice
  const to = tx.to ? bytesToHex(tx.to) : 'create'
  console.log(
    `tx ${bytesToHex(tx.hash)} type=${tx.type} nonce=${tx.nonce} to=${to} value=${tx.value} ` +
      `gas=${tx.gasLimit} fee=${fee} size=${tx.size} via=${via} peer=${shortId(peer.id)}`,
  )
}

// --- peers and the tx fetcher ------------------------------------------------------------------
const peers = new PeerSet<Peer>({ maxPeers: 50 })
const txFetcher = createTxFetcher({
  hasTx: (hash) => seen.has(hash),
  // Fire and forget: the fetcher owns the timeout and aborts `signal` when it gives up.
  requestTxs: (peerId, hashes, signal) => {
    const peer = peers.get(peerId)
    if (!peer) throw new Error(`peer ${peerId} gone`)
    peer.requestPooledTransactions(hashes, { signal }).then(
      (txs) => take(peer, txs, true),
      () => {}, // aborted, or the peer closed: the fetcher asks another announcer
    )
  },
  addTxs: () => {}, // `take` prints what the fetcher accepts
  penalize: (peerId, err) => {
    log(`peer ${shortId(peerId)} broke a rule: ${errorCode(err)}; disconnecting`)
    void peers.get(peerId)?.disconnect(DisconnectReason.SubprotocolError)
  },
})

/** Transactions from a peer: checked by the fetcher against the announcements, then printed. */
function take(peer: Peer, txs: Transaction[], direct: boolean): void {
  const via = direct ? 'GetPooledTransactions' : 'Transactions'
  for (const tx of txFetcher.enqueue(peer.id, txs, direct)) print(tx, via, peer)
}

async function handle(peer: Peer, msg: EthMessage): Promise<void> {
  switch (msg.name) {
    case 'NewPooledTransactionHashes': // eth/65+ (eth/68 with types and sizes)
      peer.observe(msg)
      txFetcher.notify(peer.id, msg.hashes, msg.types, msg.sizes)
      return
    case 'Transactions':
      peer.observe(msg)
      take(peer, msg.txs, false)
      return
    case 'PooledTransactions':
      peer.observe(msg)
      // A matched answer resolves its request (see requestTxs); a late one goes to the fetcher.
      if (peer.deliver(msg) === 'unsolicited') take(peer, msg.txs, true)
      return
    default:
      if (peer.deliver(msg) !== 'not-a-response') return // a response to one of our requests
      if (await answerEmpty(peer, msg)) return // a request: we have nothing to serve
      peer.observe(msg) // block announcements: nothing to do for a watcher
  }
}

// --- one connection, from dial to close --------------------------------------------------------
const rlpx = createRlpxTransport({
  nodeKey: crypto.getRandomValues(new Uint8Array(32)), // a fresh identity per run
  clientId: 'ethwire-mempool-watcher',
  ethVersions,
})
const stopping = new AbortController()

async function session(enode: string): Promise<void> {
  const conn: EthConnection = await rlpx.dial(enode, { signal: stopping.signal })
  let peer: Peer | undefined
  try {
    const { remote } = await chainlessHandshake({ conn, network }, { signal: stopping.signal })
    peer = new Peer({ conn, status: remote })
    peers.register(peer)
    log(`connected to ${shortId(peer.id)} (${conn.remoteAddress}) on eth/${conn.version}`)
    for (;;) {
      const raw = await conn.readMsg()
      let msg: EthMessage
      try {
        msg = decodeMessage(conn.version, raw)
      } catch (err) {
        log(`undecodable message 0x${raw.code.toString(16)} from ${shortId(peer.id)}: ${err}`)
        await peer.disconnect(DisconnectReason.SubprotocolError)
        return
      }
      await handle(peer, msg)
    }
  } catch (err) {
    if (isHandshakeError(err)) throw new Error(`handshake refused: ${err.message}`)
    if (isWireError(err, 'ErrClosed')) {
      const reason = disconnectReasonName(err.reason ?? DisconnectReason.NetworkError)
      throw new Error(`disconnected (${reason}, by ${err.remote ? 'the peer' : 'us'})`)
    }
    throw err
  } finally {
    if (peer) {
      if (peers.has(peer.id)) peers.unregister(peer.id)
      txFetcher.removePeer(peer.id)
      peer.close()
    }
    await conn.close(DisconnectReason.ClientQuitting).catch(() => {})
  }
}

await txFetcher.start()
const sessions = positionals.map((enode) => keepConnected(enode, session, log, stopping.signal))

async function shutdown(): Promise<void> {
  if (stopping.signal.aborted) return
  log('stopping')
  stopping.abort()
  await peers.close(DisconnectReason.ClientQuitting)
  await rlpx.close()
  await Promise.allSettled(sessions)
  await txFetcher.stop()
  log('stopped') // nothing keeps the process alive now: it exits by itself
}
process.once('SIGINT', () => void shutdown())
process.once('SIGTERM', () => void shutdown())
