/**
 * The interfaces the downloader consumes. They are deliberately narrow: anything with these
 * methods can be synced into (a chain) or synced from (a peer). Nothing here imports another
 * ethwire package except the wire types of `@ethwire/rlp-wire`.
 */
import type { Block, BlockBody, BlockHeader } from '@ethwire/rlp-wire'
import type { DownloaderError } from './errors.js'

export type MaybePromise<T> = T | Promise<T>

/** Head of the local chain as the downloader sees it. */
export interface ChainHead {
  number: bigint
  hash: Uint8Array
  /** Total difficulty of the head block. */
  td: bigint
}

/**
 * The local chain the downloader imports into. Methods may be synchronous or return promises
 * (a LevelDB-backed chain returns promises).
 */
export interface DownloaderChain {
  /** The current head block (full sync imports on top of it). */
  currentBlock(): MaybePromise<ChainHead>
  /** Whether the full block (header and body) with this hash is stored locally. */
  hasBlock(hash: Uint8Array, number: bigint): MaybePromise<boolean>
  /** The canonical header at `number`, if any. */
  getHeaderByNumber(number: bigint): MaybePromise<BlockHeader | undefined>
  /** Total difficulty of the stored block, if known. */
  getTd(hash: Uint8Array, number: bigint): MaybePromise<bigint | undefined>
  /**
   * Import blocks, in order, each the child of the previous (the first a child of a stored
   * block). Resolves to how many blocks were newly imported (already known blocks may be
   * skipped). Rejects when a block is invalid; the error may carry `index`, the position of the
   * first rejected block in `blocks`. A rejection ends the sync with `ErrInvalidChain`.
   */
  insertChain(blocks: Block[]): Promise<number>
}

/** What a peer announced as its head (from its Status or a later announcement). */
export interface PeerHead {
  hash: Uint8Array
  /** Total difficulty; absent on eth/69 peers. */
  td?: bigint
  /** Head number, when known (eth/69 Status carries it). */
  number?: bigint
}

/**
 * A remote peer as the downloader needs it. Requests are promise based: the peer layer matches
 * responses to requests (request ids) and resolves the promise with the response's items; it
 * rejects when the connection closes or when `signal` aborts (the downloader aborts a request
 * when its time-to-live expires, and ignores anything that arrives later).
 *
 * The downloader checks everything it receives: a response with items it did not ask for, or
 * headers/bodies that do not fit what was asked, gets the peer dropped.
 */
export interface DownloaderPeer {
  readonly id: string
  /** The peer's advertised head. */
  head(): PeerHead
  /** `GetBlockHeaders` with a number origin. */
  requestHeadersByNumber(
    origin: bigint,
    amount: number,
    skip: number,
    reverse: boolean,
    signal: AbortSignal,
  ): Promise<BlockHeader[]>
  /** `GetBlockHeaders` with a hash origin. */
  requestHeadersByHash(
    origin: Uint8Array,
    amount: number,
    skip: number,
    reverse: boolean,
    signal: AbortSignal,
  ): Promise<BlockHeader[]>
  /** `GetBlockBodies`: bodies in the order of `hashes`; may stop early, never reorders. */
  requestBodies(hashes: Uint8Array[], signal: AbortSignal): Promise<BlockBody[]>
  /**
   * Called once when the downloader gives up on this peer (misbehaviour or repeated timeouts).
   * The peer layer should disconnect it; the downloader has already forgotten it.
   */
  drop(error: DownloaderError): void
}

/** Timers and time, injected so tests run on virtual time. */
export interface Clock {
  /** Milliseconds, monotonic enough for measuring round trips. */
  now(): number
  setTimeout(callback: () => void, ms: number): unknown
  clearTimeout(handle: unknown): void
}

/** A random source returning a float in [0, 1). Used for tie-breaks between equal peers. */
export type RandomSource = () => number

/** Optional structured logger. */
export interface Logger {
  debug(message: string, context?: Record<string, unknown>): void
  info?(message: string, context?: Record<string, unknown>): void
  warn?(message: string, context?: Record<string, unknown>): void
}
