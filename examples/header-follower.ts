/**
 * Header follower: syncs a chain from one peer with `@ethwire/downloader` into a small
 * in-memory chain (below, `MemoryChain`: headers, total difficulty and a transaction count per
 * block; bodies are checked against their headers by the downloader and then dropped), then
 * follows the peer's new blocks and prints every new head. No `@ethwire/node`, no database.
 *
 * - the transport is `@ethwire/transport-rlpx` for `enode://` URLs or
 *   `@ethwire/transport-libp2p` for libp2p multiaddrs (ethwire's own networks);
 * - `@ethwire/handshake` checks the peer's Status (`chainlessHandshake`);
 * - `@ethwire/peerset`'s `Peer` matches the downloader's requests to the answers;
 * - the downloader finds the common ancestor, fetches the header skeleton and the bodies,
 *   checks them and imports in order.
 *
 * It re-synchronises when the peer announces a block (`NewBlock`, `NewBlockHashes`, eth/69's
 * `BlockRangeUpdate`) and every `--poll` seconds asks the peer for headers above our head (on a
 * merged network peers announce no blocks at all).
 *
 *   node --import tsx examples/header-follower.ts [--genesis genesis.json] [--networkid n]
 *        [--last n] [--poll 12] [--eth 69,68,67,66] <enode://… | /ip4/…/tcp/…/p2p/…>
 *
 * Without `--last` it starts at the genesis block; with `--last n`, at the peer's head minus n
 * (trusting the peer for that block, as a checkpoint; at genesis when that is below block 192).
 * One line per new head on stdout.
 */
import { parseArgs } from 'node:util'
import {
  constants,
  createDownloader,
  type Downloader,
  type DownloaderChain,
} from '@ethwire/downloader'
import { type ChainlessNetwork, chainlessHandshake } from '@ethwire/handshake'
import type { EthConnection, EthTransport } from '@ethwire/interface'
import { errorCode, systemClock } from '@ethwire/interface/runtime'
import { Peer } from '@ethwire/peerset'
import {
  type Block,
  type BlockHeader,
  bytesToHex,
  DisconnectReason,
  decodeMessage,
  disconnectReasonName,
  type EthMessage,
  equalBytes,
  isStatusEth69,
  isWireError,
  type Status,
} from '@ethwire/rlp-wire'
import { createLibp2pTransport } from '@ethwire/transport-libp2p'
import { createRlpxTransport } from '@ethwire/transport-rlpx'
import { answerEmpty, keepConnected, readGenesisFile, shortId } from './lib/chainless-peer.js'

// --- the chain: what the downloader imports into ----------------------------------------------

interface Stored {
  header: BlockHeader
  td: bigint
  txs: number
}

const key = (hash: Uint8Array) => bytesToHex(hash)

/**
 * Every block since `root` in memory (about 600 bytes each). Fork choice: the peer's — the
 * block imported last is the head (the downloader imports towards the peer's head). Headers
 * are not checked beyond what the downloader checks (numbers, parent links, bodies): no seal
 * or difficulty rules, so this trusts the peer for those.
 */
class MemoryChain implements DownloaderChain {
  readonly #blocks = new Map<string, Stored>()
  /** Canonical hashes by number − `base`. */
  readonly #canonical: string[] = []
  readonly base: bigint

  constructor(
    root: BlockHeader,
    readonly onHead: (head: Stored, added: number) => void,
  ) {
    this.base = root.number
    // The root's total difficulty is taken as 0: totals are relative to it.
    this.#blocks.set(key(root.hash), { header: root, td: 0n, txs: 0 })
    this.#canonical.push(key(root.hash))
  }

  get head(): Stored {
    return this.#blocks.get(this.#canonical.at(-1)!)!
  }

  has(hash: Uint8Array): boolean {
    return this.#blocks.has(key(hash))
  }

  currentBlock() {
    const { header, td } = this.head
    return { number: header.number, hash: header.hash, td }
  }

  hasBlock(hash: Uint8Array, number: bigint): boolean {
    return this.#blocks.get(key(hash))?.header.number === number
  }

  getHeaderByNumber(number: bigint): BlockHeader | undefined {
    const hash = this.#canonical[Number(number - this.base)]
    return number < this.base || hash === undefined ? undefined : this.#blocks.get(hash)?.header
  }

  getTd(hash: Uint8Array): bigint | undefined {
    return this.#blocks.get(key(hash))?.td
  }

  async insertChain(blocks: Block[]): Promise<number> {
    let added = 0
    for (const [index, block] of blocks.entries()) {
      const h = block.header
      if (this.has(h.hash)) continue
      const parent = this.#blocks.get(key(h.parentHash))
      if (parent === undefined || parent.header.number + 1n !== h.number) {
        // `index` tells the downloader which block it was.
        throw Object.assign(new Error(`block #${h.number}: unknown parent`), { index })
      }
      const stored = { header: h, td: parent.td + h.difficulty, txs: block.transactions.length }
      this.#blocks.set(key(h.hash), stored)
      this.#setHead(stored)
      added++
    }
    if (added > 0) this.onHead(this.head, added)
    return added
  }

  /** Makes `s` the head: rewrites the canonical index back to where it agrees. */
  #setHead(s: Stored): void {
    let i = Number(s.header.number - this.base)
    this.#canonical.length = i + 1
    for (let cur: Stored | undefined = s; cur && this.#canonical[i] !== key(cur.header.hash); i--) {
      this.#canonical[i] = key(cur.header.hash)
      cur = this.#blocks.get(key(cur.header.parentHash))
    }
  }
}

// --- options -----------------------------------------------------------------------------------

const usage = `usage: header-follower [--genesis genesis.json] [--networkid n] [--last n] [--poll 12]
                       [--eth 69,68,67,66] <enode://… | /ip4/…/tcp/…/p2p/…>`
const { values, positionals } = parseArgs({
  options: {
    genesis: { type: 'string' },
    networkid: { type: 'string' },
    last: { type: 'string' },
    poll: { type: 'string', default: '12' },
    eth: { type: 'string', default: '69,68,67,66' },
    help: { type: 'boolean', short: 'h' },
  },
  allowPositionals: true,
})
if (values.help || positionals.length !== 1) {
  console.error(usage)
  process.exit(values.help ? 0 : 2)
}
const address = positionals[0]!
const log = (line: string) => console.error(`[follower] ${line}`)
const network: ChainlessNetwork | undefined = values.genesis
  ? readGenesisFile(
      values.genesis,
      values.networkid === undefined ? undefined : BigInt(values.networkid),
    )
  : undefined
const last = values.last === undefined ? undefined : BigInt(values.last)
const pollMs = Number(values.poll) * 1000
const ethVersions = values.eth.split(',').map(Number)

// --- transports: RLPx for enode URLs, libp2p for multiaddrs -------------------------------------

const rlpx = createRlpxTransport({
  nodeKey: crypto.getRandomValues(new Uint8Array(32)),
  clientId: 'ethwire-header-follower',
  ethVersions,
})
let libp2p: EthTransport | undefined // made on first use
function transportFor(addr: string): EthTransport {
  if (rlpx.canDial(addr)) return rlpx
  libp2p ??= createLibp2pTransport({}, { versions: ethVersions })
  if (libp2p.canDial(addr)) return libp2p
  throw new Error(`cannot dial ${addr}: neither an enode URL nor a TCP multiaddr`)
}

// --- the chain and the downloader, made once the first peer gave us the root block -------------

let chain: MemoryChain | undefined
let downloader: Downloader | undefined

function printHead(head: Stored, added: number): void {
  const { number, hash } = head.header
  console.log(`head #${number} ${bytesToHex(hash)} (+${added} blocks, ${head.txs} txs)`)
}

/** The block we start from: the peer's genesis (checked against its Status), or head − n. */
async function rootHeader(peer: Peer, remote: Status): Promise<BlockHeader> {
  const opts = { timeoutMs: 10_000 }
  let number = 0n
  if (last !== undefined) {
    const headHash = isStatusEth69(remote) ? remote.latestBlockHash : remote.head
    const [head] = await peer.requestHeadersByHash({ hash: headHash, amount: 1 }, opts)
    if (!head) throw new Error('the peer does not serve its own head header')
    // The downloader looks for the common ancestor among one header every 16 of the 192 below
    // our head (from block 0 when the head is lower). A root below 192 would not be among them:
    // then we start at genesis.
    if (head.number - last >= BigInt(constants.maxHeaderFetch)) number = head.number - last
  }
  const [root] = await peer.requestHeadersByNumber({ number, amount: 1 }, opts)
  if (!root || root.number !== number) throw new Error(`the peer does not serve block #${number}`)
  if (number === 0n && !equalBytes(root.hash, remote.genesis)) {
    throw new Error('the peer sent a block 0 that is not the genesis of its Status')
  }
  return root
}

// One sync at a time; a target that arrives meanwhile is synced to next (only the newest).
let target: { peer: Peer; hash: Uint8Array } | undefined
let syncing = false
function syncTo(peer: Peer, hash: Uint8Array): void {
  target = { peer, hash }
  void drain()
}
async function drain(): Promise<void> {
  if (syncing) return
  syncing = true
  try {
    while (target !== undefined && downloader !== undefined && chain !== undefined) {
      const { peer, hash } = target
      target = undefined
      if (chain.has(hash) || peer.closed) continue
      try {
        await downloader.synchronise(peer.id, hash) // no TD: ours are relative to the root
      } catch (err) {
        if (!stopping.signal.aborted) log(`sync with ${shortId(peer.id)} failed: ${errorCode(err)}`)
      }
    }
  } finally {
    syncing = false
  }
}

/** Asks the peer for headers above our head; if it has any, syncs to the highest. */
async function poll(peer: Peer): Promise<void> {
  if (chain === undefined) return
  const from = chain.head.header.number + 1n
  const headers = await peer.requestHeadersByNumber(
    { number: from, amount: 64 },
    { timeoutMs: 10_000 },
  )
  const top = headers.at(-1)
  if (top !== undefined) syncTo(peer, top.hash)
}

/** Messages the peer sends us that are not answers to our requests. */
async function handle(peer: Peer, msg: EthMessage): Promise<void> {
  switch (msg.name) {
    case 'NewBlock': // eth/62–68: a whole block
      peer.observe(msg)
      if (!chain?.has(msg.block.hash)) syncTo(peer, msg.block.hash)
      return
    case 'NewBlockHashes': {
      peer.observe(msg)
      const top = msg.entries.reduce((a, b) => (b.number > a.number ? b : a), msg.entries[0]!)
      if (top && !chain?.has(top.hash)) syncTo(peer, top.hash)
      return
    }
    case 'BlockRangeUpdate': // eth/69
      peer.observe(msg)
      if (!chain?.has(msg.range.latestBlockHash)) syncTo(peer, msg.range.latestBlockHash)
      return
    default:
      if (peer.deliver(msg) !== 'not-a-response') return // answers (and late ones) end here
      await answerEmpty(peer, msg) // requests get empty answers; transactions are ignored
  }
}

// --- one connection ----------------------------------------------------------------------------

const stopping = new AbortController()

async function session(addr: string): Promise<void> {
  const conn: EthConnection = await transportFor(addr).dial(addr, { signal: stopping.signal })
  const { remote } = await chainlessHandshake({ conn, network }, { signal: stopping.signal })
  const peer = new Peer({ conn, status: remote })
  log(`connected to ${shortId(peer.id)} (${conn.remoteAddress}) on eth/${conn.version}`)
  let pollTimer: ReturnType<typeof setTimeout> | undefined
  // The read loop hands answers to the peer (request matching) and the rest to `handle`.
  const reading = (async () => {
    for (;;) {
      const raw = await conn.readMsg()
      let msg: EthMessage
      try {
        msg = decodeMessage(conn.version, raw)
      } catch (err) {
        await peer.disconnect(DisconnectReason.SubprotocolError)
        throw new Error(`undecodable message 0x${raw.code.toString(16)}: ${err}`)
      }
      await handle(peer, msg)
    }
  })()
  try {
    const root = await Promise.race([rootHeader(peer, remote), reading])
    if (chain === undefined) {
      chain = new MemoryChain(root, printHead)
      log(`starting at #${root.number} ${bytesToHex(root.hash)}`)
      downloader = createDownloader({ chain, clock: systemClock, random: Math.random })
      downloader.on('syncDone', ({ result }) => {
        if (!result.upToDate) log(`synced ${result.imported} blocks, head #${result.highest}`)
      })
    }
    downloader!.registerPeer({
      id: peer.id,
      head: () => ({ hash: peer.headHash }),
      requestHeadersByNumber: (origin, amount, skip, reverse, signal) =>
        peer.requestHeadersByNumber({ number: origin, amount, skip, reverse }, { signal }),
      requestHeadersByHash: (hash, amount, skip, reverse, signal) =>
        peer.requestHeadersByHash({ hash, amount, skip, reverse }, { signal }),
      requestBodies: (hashes, signal) => peer.requestBodies(hashes, { signal }),
      drop: (error) => {
        log(`the downloader drops ${shortId(peer.id)}: ${error.message}`)
        void peer.disconnect(DisconnectReason.SubprotocolError)
      },
    })
    syncTo(peer, isStatusEth69(remote) ? remote.latestBlockHash : remote.head)
    if (pollMs > 0) {
      const tick = () => {
        poll(peer)
          .catch((err) => log(`poll: ${errorCode(err) ?? err}`))
          .finally(() => {
            if (!peer.closed) pollTimer = setTimeout(tick, pollMs)
          })
      }
      pollTimer = setTimeout(tick, pollMs)
    }
    await reading
  } catch (err) {
    if (isWireError(err, 'ErrClosed')) {
      const reason = disconnectReasonName(err.reason ?? DisconnectReason.NetworkError)
      throw new Error(`disconnected (${reason}, by ${err.remote ? 'the peer' : 'us'})`)
    }
    throw err
  } finally {
    clearTimeout(pollTimer)
    if (downloader?.peerIds().includes(peer.id)) downloader.unregisterPeer(peer.id)
    peer.close()
    await conn.close(DisconnectReason.ClientQuitting).catch(() => {})
  }
}

const running = keepConnected(address, session, log, stopping.signal)

async function shutdown(): Promise<void> {
  if (stopping.signal.aborted) return
  log('stopping')
  stopping.abort()
  await downloader?.stop()
  await Promise.all([rlpx.close(), libp2p?.close()])
  await running
  log('stopped') // nothing keeps the process alive now: it exits by itself
}
process.once('SIGINT', () => void shutdown())
process.once('SIGTERM', () => void shutdown())
