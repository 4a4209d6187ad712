/**
 * What the page does, without the page: dial one peer, shake hands, download the last `last`
 * blocks with `@ethwire/downloader` into a {@link MemoryChain}, then follow the peer's new blocks
 * (re-sync on `NewBlock` / `NewBlockHashes` / eth/69 `BlockRangeUpdate`, and every `pollMs` ask
 * for headers above our head: on a merged network peers announce nothing). Everything it learns
 * is an event; `main.ts` draws them.
 */
import { constants, createDownloader, type Downloader } from '@ethwire/downloader'
import { type ChainlessNetwork, chainlessHandshake } from '@ethwire/handshake'
import type { EthConnection, EthTransport } from '@ethwire/interface'
import { errorCode, systemClock, TypedEmitter } from '@ethwire/interface/runtime'
import { Peer } from '@ethwire/peerset'
import {
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
import { MemoryChain, type StoredBlock } from './memory-chain.js'

export interface HandshakeInfo {
  version: number
  remoteId: string
  remoteAddress: string
  networkId: bigint
  genesis: string
  /** The peer's head hash in its Status. */
  head: string
  /** What checked the peer's fork id: our genesis file's schedule, or nothing (mirrored). */
  forkCheck: 'genesis file' | 'mirrored'
}

export interface HeadInfo {
  number: bigint
  hash: string
  /** Seconds since the epoch (the header's timestamp). */
  time: bigint
  txs: number
  /** Blocks this import added. */
  added: number
  /** Headers downloaded since the root. */
  headers: number
  /** True once the first sync reached the peer's head: this head is a new block. */
  live: boolean
}

export interface FollowerEvents {
  log: string
  connected: { remoteAddress: string; version: number }
  handshake: HandshakeInfo
  root: { number: bigint; hash: string }
  head: HeadInfo
  /** The first sync reached the peer's head. */
  synced: { headers: number; head: bigint; ms: number }
  closed: { error: string }
}

export interface FollowerOptions {
  /** The peer's multiaddr (`/ip4/127.0.0.1/tcp/8546/ws/p2p/…`). */
  peer: string
  /** Blocks below the peer's head to start at (at genesis when that is below block 192). */
  last: bigint
  /** How often to ask for headers above our head; 0 = never. */
  pollMs: number
  /** Our network (from a genesis file); without it the peer's is adopted. */
  network?: ChainlessNetwork
}

export interface FollowerDeps {
  /** Dials the peer (a libp2p transport with WebSockets in the page); `stop()` closes it. */
  transport: EthTransport
  /** Milliseconds, for the "synced in" figure. Default `Date.now`. */
  now?: () => number
}

export class Follower {
  readonly events = new TypedEmitter<FollowerEvents>()
  chain: MemoryChain | undefined
  readonly #transport: EthTransport
  readonly #options: FollowerOptions
  readonly #now: () => number
  readonly #stopping = new AbortController()
  #downloader: Downloader | undefined
  #target: { peer: Peer; hash: Uint8Array } | undefined
  #syncing = false
  #live = false
  #started = 0
  #running: Promise<void> | undefined

  constructor(deps: FollowerDeps, options: FollowerOptions) {
    this.#transport = deps.transport
    this.#options = options
    this.#now = deps.now ?? Date.now
  }

  /** Dials and serves the peer until it goes away or `stop()`; resolves then. */
  start(): Promise<void> {
    this.#running ??= this.#session().catch((err: unknown) => {
      const error = err instanceof Error ? err.message : String(err)
      if (!this.#stopping.signal.aborted) this.events.emit('closed', { error })
    })
    return this.#running
  }

  async stop(): Promise<void> {
    this.#stopping.abort()
    await this.#downloader?.stop()
    await this.#transport.close()
    await this.#running
  }

  #log(line: string): void {
    this.events.emit('log', line)
  }

  async #session(): Promise<void> {
    const signal = this.#stopping.signal
    const { peer: address } = this.#options
    this.#log(`dialing ${address}`)
    const conn: EthConnection = await this.#transport.dial(address, { signal })
    this.events.emit('connected', { remoteAddress: conn.remoteAddress, version: conn.version })
    const { remote } = await chainlessHandshake(
      { conn, network: this.#options.network },
      { signal },
    )
    const peer = new Peer({ conn, status: remote })
    this.events.emit('handshake', {
      version: conn.version,
      remoteId: conn.remoteId,
      remoteAddress: conn.remoteAddress,
      networkId: remote.networkId,
      genesis: bytesToHex(remote.genesis),
      head: bytesToHex(isStatusEth69(remote) ? remote.latestBlockHash : remote.head),
      forkCheck: this.#options.network ? 'genesis file' : 'mirrored',
    })
    let pollTimer: ReturnType<typeof setTimeout> | undefined
    const reading = this.#readLoop(conn, peer)
    try {
      const root = await Promise.race([this.#rootHeader(peer, remote), reading])
      this.#begin(root)
      this.#downloader!.registerPeer({
        id: peer.id,
        head: () => ({ hash: peer.headHash }),
        requestHeadersByNumber: (origin, amount, skip, reverse, s) =>
          peer.requestHeadersByNumber({ number: origin, amount, skip, reverse }, { signal: s }),
        requestHeadersByHash: (hash, amount, skip, reverse, s) =>
          peer.requestHeadersByHash({ hash, amount, skip, reverse }, { signal: s }),
        requestBodies: (hashes, s) => peer.requestBodies(hashes, { signal: s }),
        drop: (error) => {
          this.#log(`the downloader drops the peer: ${error.message}`)
          void peer.disconnect(DisconnectReason.SubprotocolError)
        },
      })
      this.#started = this.#now()
      this.#syncTo(peer, isStatusEth69(remote) ? remote.latestBlockHash : remote.head)
      const pollMs = this.#options.pollMs
      if (pollMs > 0) {
        const tick = () => {
          this.#poll(peer)
            .catch((err) => this.#log(`poll: ${errorCode(err) ?? err}`))
            .finally(() => {
              if (!peer.closed && !signal.aborted) pollTimer = setTimeout(tick, pollMs)
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
      if (this.#downloader?.peerIds().includes(peer.id)) this.#downloader.unregisterPeer(peer.id)
      peer.close()
      await conn.close(DisconnectReason.ClientQuitting).catch(() => {})
    }
  }

  /** Answers go to the peer's request matching, the rest to `#handle`. */
  async #readLoop(conn: EthConnection, peer: Peer): Promise<never> {
    for (;;) {
      const raw = await conn.readMsg()
      let msg: EthMessage
      try {
        msg = decodeMessage(conn.version, raw)
      } catch (err) {
        await peer.disconnect(DisconnectReason.SubprotocolError)
        throw new Error(`undecodable message 0x${raw.code.toString(16)}: ${err}`)
      }
      await this.#handle(peer, msg)
    }
  }

  /** The block we start from: head − `last` (trusted, as a checkpoint) or the genesis. */
  async #rootHeader(peer: Peer, remote: Status): Promise<BlockHeader> {
    const opts = { timeoutMs: 10_000 }
    const headHash = isStatusEth69(remote) ? remote.latestBlockHash : remote.head
    const [head] = await peer.requestHeadersByHash({ hash: headHash, amount: 1 }, opts)
    if (!head) throw new Error('the peer does not serve its own head header')
    // The downloader looks for the common ancestor among one header every 16 of the 192 below
    // our head: a root below 192 would not be among them, so then we start at genesis.
    const last = this.#options.last
    const number = head.number - last >= BigInt(constants.maxHeaderFetch) ? head.number - last : 0n
    const [root] = await peer.requestHeadersByNumber({ number, amount: 1 }, opts)
    if (!root || root.number !== number) throw new Error(`the peer does not serve block #${number}`)
    if (number === 0n && !equalBytes(root.hash, remote.genesis)) {
      throw new Error('the peer sent a block 0 that is not the genesis of its Status')
    }
    return root
  }

  #begin(root: BlockHeader): void {
    if (this.chain !== undefined) return
    this.chain = new MemoryChain(root, (head, added) => this.#onHead(head, added))
    this.events.emit('root', { number: root.number, hash: bytesToHex(root.hash) })
    this.#downloader = createDownloader({
      chain: this.chain,
      clock: systemClock,
      random: Math.random,
    })
  }

  #onHead(head: StoredBlock, added: number): void {
    this.events.emit('head', {
      number: head.header.number,
      hash: bytesToHex(head.header.hash),
      time: head.header.time,
      txs: head.txs,
      added,
      headers: this.chain?.imported ?? 0,
      live: this.#live,
    })
  }

  // One sync at a time; a target that arrives meanwhile is synced to next (only the newest).
  #syncTo(peer: Peer, hash: Uint8Array): void {
    this.#target = { peer, hash }
    void this.#drain()
  }

  async #drain(): Promise<void> {
    if (this.#syncing) return
    this.#syncing = true
    try {
      while (this.#target !== undefined && this.#downloader && this.chain) {
        const { peer, hash } = this.#target
        this.#target = undefined
        if (this.chain.has(hash) || peer.closed) continue
        try {
          await this.#downloader.synchronise(peer.id, hash) // no TD: ours are relative to the root
          // The first sync reached the head the peer announced: from now on heads are live.
          if (!this.#live && this.chain.has(hash)) {
            this.#live = true
            this.events.emit('synced', {
              headers: this.chain.imported,
              head: this.chain.head.header.number,
              ms: this.#now() - this.#started,
            })
          }
        } catch (err) {
          if (!this.#stopping.signal.aborted) this.#log(`sync failed: ${errorCode(err) ?? err}`)
        }
      }
    } finally {
      this.#syncing = false
    }
  }

  async #poll(peer: Peer): Promise<void> {
    if (this.chain === undefined) return
    const from = this.chain.head.header.number + 1n
    const headers = await peer.requestHeadersByNumber(
      { number: from, amount: 64 },
      { timeoutMs: 10_000 },
    )
    const top = headers.at(-1)
    if (top !== undefined) this.#syncTo(peer, top.hash)
  }

  async #handle(peer: Peer, msg: EthMessage): Promise<void> {
    switch (msg.name) {
      case 'NewBlock': // eth/62–68: a whole block
        peer.observe(msg)
        if (!this.chain?.has(msg.block.hash)) this.#syncTo(peer, msg.block.hash)
        return
      case 'NewBlockHashes': {
        peer.observe(msg)
        const top = msg.entries.reduce((a, b) => (b.number > a.number ? b : a), msg.entries[0]!)
        if (top && !this.chain?.has(top.hash)) this.#syncTo(peer, top.hash)
        return
      }
      case 'BlockRangeUpdate': // eth/69
        peer.observe(msg)
        if (!this.chain?.has(msg.range.latestBlockHash))
          this.#syncTo(peer, msg.range.latestBlockHash)
        return
      default:
        if (peer.deliver(msg) !== 'not-a-response') return // answers (and late ones) end here
        await answerEmpty(peer, msg)
    }
  }
}

/** Empty answers to the peer's requests: the page keeps no bodies, receipts or pool. */
async function answerEmpty(peer: Peer, msg: EthMessage): Promise<void> {
  const requestId = 'requestId' in msg ? msg.requestId : undefined
  const id = requestId === undefined ? {} : { requestId }
  switch (msg.name) {
    case 'GetBlockHeaders':
      return peer.reply({ name: 'BlockHeaders', ...id, headers: [] })
    case 'GetBlockBodies':
      return peer.reply({ name: 'BlockBodies', ...id, bodies: [] })
    case 'GetReceipts':
      return peer.reply({ name: 'Receipts', ...id, receipts: [] })
    case 'GetNodeData':
      return peer.reply({ name: 'NodeData', ...id, data: [] })
    case 'GetPooledTransactions':
      return peer.reply({ name: 'PooledTransactions', ...id, txs: [] })
    default:
      return // transactions and their announcements are ignored
  }
}
