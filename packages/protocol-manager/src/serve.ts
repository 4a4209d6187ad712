/**
 * Answers to the requests a peer may send, computed from a chain reader. Pure functions of the
 * chain and the request, with go-ethereum's traversal rules and limits, so they can be tested
 * without a network.
 */
import {
  type BlockBody,
  type BlockHeader,
  EMPTY_TRIE_ROOT,
  equalBytes,
  type GetBlockHeadersRequest,
  type ReceiptData,
  receiptToEth69,
  rlpEncode,
  type Transaction,
} from '@ethwire/rlp-wire'
import {
  estHeaderRlpSizeBytes,
  maxBodiesServe,
  maxHeadersServeEth63,
  maxHeadersServeEth66,
  maxNodeDataServe,
  maxNonCanonicalAncestors,
  maxPooledTxsServe,
  maxReceiptsServe,
  maxUint64,
  receiptsPacketLimitBytes,
  softResponseLimitBytes,
} from './constants.js'
import type { PooledTx, ReceiptsAnswer, ServeChain, ServeLimits, ServeTxPool } from './types.js'

export type { ReceiptsAnswer, ServeLimits } from './types.js'

export function serveLimits(version: number): ServeLimits {
  return {
    softResponseLimitBytes,
    maxHeaders: version >= 66 ? maxHeadersServeEth66 : maxHeadersServeEth63,
    ...(version >= 70 ? { maxPacketBytes: receiptsPacketLimitBytes } : {}),
  }
}

/**
 * Filled in by the answer functions when given: how many of the hashes they looked up we do not
 * have (for the `unknownHashRequests` flood limit). Lookups past the answer's caps are not made
 * and not counted.
 */
export interface ServeCounts {
  misses: number
}

export interface HeaderQueryResult {
  headers: BlockHeader[]
  /** Set when the query asked for a skip that overflows uint64 (go-ethereum logs it as an attack). */
  skipOverflow: boolean
}

/**
 * GetBlockHeaders: by hash or number, forward or reverse, with skip. An unknown origin (or a
 * step that leaves the canonical chain) ends the answer; arithmetic is uint64 as on the wire.
 */
export async function answerGetBlockHeaders(
  chain: ServeChain,
  req: GetBlockHeadersRequest,
  limits: ServeLimits,
  counts?: ServeCounts,
): Promise<HeaderQueryResult> {
  const headers: BlockHeader[] = []
  const hashMode = 'hash' in req.origin
  let originHash = 'hash' in req.origin ? req.origin.hash : undefined
  let originNumber = 'number' in req.origin ? req.origin.number : 0n
  const skip = req.skip & maxUint64
  const amount = req.amount
  let bytes = 0
  let first = true
  let unknown = false
  let skipOverflow = false
  const nonCanonical = { left: maxNonCanonicalAncestors }
  const prefetched = new Map<bigint, Promise<BlockHeader | undefined>>()
  while (
    !unknown &&
    BigInt(headers.length) < amount &&
    bytes < limits.softResponseLimitBytes &&
    headers.length < limits.maxHeaders
  ) {
    let origin: BlockHeader | undefined
    if (hashMode) {
      if (first) {
        first = false
        origin = await chain.getHeaderByHash(originHash!)
        if (origin) originNumber = origin.number
        else if (counts !== undefined) counts.misses++
      } else {
        origin = await chain.getHeader(originHash!, originNumber)
      }
    } else {
      if (!prefetched.has(originNumber)) {
        const room = Math.min(
          Number(amount - BigInt(headers.length)),
          limits.maxHeaders - headers.length,
        )
        prefetchNumbers(chain, prefetched, originNumber, skip, req.reverse, room)
      }
      origin = await prefetched.get(originNumber)
      prefetched.delete(originNumber)
    }
    if (!origin) break
    headers.push(origin)
    bytes += origin.encode().length
    const step = (skip + 1n) & maxUint64 // wraps to 0 when skip = 2^64-1
    if (hashMode && req.reverse) {
      if (step === 0n) {
        unknown = true
      } else {
        const anc = await getAncestor(chain, originHash!, originNumber, step, nonCanonical)
        if (!anc) unknown = true
        else [originHash, originNumber] = [anc.hash, anc.number]
      }
    } else if (hashMode) {
      const current = origin.number
      const next = (current + skip + 1n) & maxUint64
      if (next <= current) {
        skipOverflow = true
        unknown = true
      } else {
        const header = await chain.getHeaderByNumber(next)
        if (!header) {
          unknown = true
        } else {
          const nextHash = header.hash
          const back = await getAncestor(chain, nextHash, next, step, nonCanonical)
          if (back && equalBytes(back.hash, originHash!)) {
            originHash = nextHash
            originNumber = next
          } else {
            unknown = true
          }
        }
      }
    } else if (req.reverse) {
      if (step !== 0n && originNumber >= step) originNumber -= step
      else unknown = true
    } else {
      const next = (originNumber + skip + 1n) & maxUint64
      if (next <= originNumber) {
        skipOverflow = true
        unknown = true
      } else {
        originNumber = next
      }
    }
  }
  return { headers, skipOverflow }
}

/** Reads that many at once: LevelDB answers concurrent gets from its thread pool. */
const readAheadItems = 32

/**
 * Starts reading the canonical headers a number-mode query will visit next (up to
 * {@link readAheadItems}), so the answer does not wait for one database read after another.
 */
function prefetchNumbers(
  chain: ServeChain,
  into: Map<bigint, Promise<BlockHeader | undefined>>,
  from: bigint,
  skip: bigint,
  reverse: boolean,
  room: number,
): void {
  const step = skip + 1n
  let n = from
  for (let i = 0; i < Math.min(room, readAheadItems); i++) {
    const read = chain.getHeaderByNumber(n)
    read.catch(() => {}) // a read nobody awaits (the answer ended first) must not go unhandled
    into.set(n, read)
    if (reverse ? n < step : n + step > maxUint64) break
    n = reverse ? n - step : n + step
  }
}

/** `read` for every item, `readAheadItems` at a time, handed to `take` in order until it says stop. */
async function readInOrder<K, V>(
  keys: readonly K[],
  read: (key: K) => Promise<V>,
  take: (value: V) => boolean,
): Promise<void> {
  for (let i = 0; i < keys.length; i += readAheadItems) {
    const values = await Promise.all(keys.slice(i, i + readAheadItems).map(read))
    for (const v of values) if (!take(v)) return
  }
}

/**
 * The ancestor `distance` blocks below (hash, number), as go-ethereum's `GetAncestor`: while the
 * block is not canonical, step to its parent (at most `nonCanonical.left` such steps in the whole
 * query); as soon as it is canonical, jump through the canonical index.
 */
async function getAncestor(
  chain: ServeChain,
  hash: Uint8Array,
  number: bigint,
  distance: bigint,
  nonCanonical: { left: bigint },
): Promise<{ hash: Uint8Array; number: bigint } | undefined> {
  if (distance > number) return undefined
  if (distance === 1n) {
    const header = await chain.getHeader(hash, number)
    return header ? { hash: header.parentHash, number: number - 1n } : undefined
  }
  let h = hash
  let n = number
  let left = distance
  while (left > 0n) {
    const canonical = await chain.getCanonicalHash(n)
    if (canonical && equalBytes(canonical, h)) {
      const target = n - left
      const ancHash = await chain.getCanonicalHash(target)
      // The canonical index may have moved under us: the block must still be canonical.
      const again = await chain.getCanonicalHash(n)
      if (ancHash && again && equalBytes(again, h)) return { hash: ancHash, number: target }
    }
    if (nonCanonical.left <= 0n) return undefined
    nonCanonical.left--
    const header = await chain.getHeader(h, n)
    if (!header) return undefined
    h = header.parentHash
    n -= 1n
    left -= 1n
  }
  return { hash: h, number: n }
}

export async function answerGetBlockBodies(
  chain: ServeChain,
  hashes: readonly Uint8Array[],
  counts?: ServeCounts,
): Promise<BlockBody[]> {
  const bodies: BlockBody[] = []
  let bytes = 0
  const full = () => bodies.length >= maxBodiesServe || bytes >= softResponseLimitBytes
  await readInOrder(
    hashes.slice(0, maxBodiesServe * 2),
    (hash) => chain.getBody(hash),
    (body) => {
      if (full()) return false
      if (body) {
        bodies.push(body)
        bytes += bodySizeEstimate(body)
      } else if (counts !== undefined) counts.misses++
      return true
    },
  )
  return bodies
}

/**
 * GetBlockBodies from the stored RLP of each body (a chain's `getBodyRlp`), sent as it is: the same
 * caps as {@link answerGetBlockBodies} ({@link maxBodiesServe} bodies, about
 * {@link softResponseLimitBytes}, counted in the bodies' exact sizes), unknown hashes skipped.
 */
export async function answerGetBlockBodiesRaw(
  getBodyRlp: (hash: Uint8Array) => Promise<Uint8Array | undefined>,
  hashes: readonly Uint8Array[],
  counts?: ServeCounts,
): Promise<Uint8Array[]> {
  const bodies: Uint8Array[] = []
  let bytes = 0
  const full = () => bodies.length >= maxBodiesServe || bytes >= softResponseLimitBytes
  await readInOrder(
    hashes.slice(0, maxBodiesServe * 2),
    (hash) => getBodyRlp(hash),
    (body) => {
      if (full()) return false
      if (body) {
        bodies.push(body)
        bytes += body.length
      } else if (counts !== undefined) counts.misses++
      return true
    },
  )
  return bodies
}

export async function answerGetReceipts(
  chain: ServeChain,
  hashes: readonly Uint8Array[],
  counts?: ServeCounts,
): Promise<ReceiptData[][]> {
  const out: ReceiptData[][] = []
  let bytes = 0
  const full = () => out.length >= maxReceiptsServe || bytes >= softResponseLimitBytes
  await readInOrder(
    hashes.slice(0, maxReceiptsServe * 2),
    // Unknown blocks (and blocks whose receipts we do not keep) are skipped.
    (hash) => receiptsOf(chain, hash),
    (receipts) => {
      if (full()) return false
      if (receipts) {
        out.push(receipts)
        bytes += receiptsSizeEstimate(receipts)
      } else if (counts !== undefined) counts.misses++
      return true
    },
  )
  return out
}

/** The receipts a block has: stored ones, or none for a known block with the empty receipts root. */
async function receiptsOf(chain: ServeChain, hash: Uint8Array): Promise<ReceiptData[] | undefined> {
  const receipts = await chain.getReceipts(hash)
  if (receipts) return receipts
  // go-ethereum: a known block whose receipt root is empty has an empty list; unknown blocks
  // (and blocks whose receipts we do not keep) have none.
  const header = await chain.getHeaderByHash(hash)
  return header && equalBytes(header.receiptRoot, EMPTY_TRIE_ROOT) ? [] : undefined
}

/**
 * eth/70 (EIP-7975) GetReceipts, as go-ethereum's `serviceGetReceiptsQuery70`: the first block's
 * list starts at `firstBlockReceiptIndex`; whole lists follow while under the soft limit (2 MiB,
 * checked before each block) and {@link maxReceiptsServe} lists; a block whose receipts would take
 * the answer past `maxPacketBytes` is cut after the last receipt that fits and
 * `lastBlockIncomplete` is set (when not even its first receipt fits, the answer ends before it).
 * The answer ends at the first block whose receipts we do not have (the spec: lists must follow
 * the request's order), or whose receipts start before `firstBlockReceiptIndex` runs out (an
 * index past the first block's receipts ends the answer empty). Sizes are the exact eth/69-shape
 * encodings.
 */
export async function answerGetReceiptsEth70(
  chain: ServeChain,
  hashes: readonly Uint8Array[],
  firstBlockReceiptIndex: bigint,
  limits: Partial<Pick<ServeLimits, 'softResponseLimitBytes' | 'maxPacketBytes'>> = {},
  counts?: ServeCounts,
): Promise<ReceiptsAnswer> {
  const soft = limits.softResponseLimitBytes ?? softResponseLimitBytes
  const packet = limits.maxPacketBytes ?? receiptsPacketLimitBytes
  const out: ReceiptData[][] = []
  let bytes = 0
  for (let i = 0; i < hashes.length; i++) {
    if (bytes >= soft || out.length >= maxReceiptsServe) break
    const all = await receiptsOf(chain, hashes[i]!)
    if (all === undefined) {
      if (counts !== undefined) counts.misses++
      break
    }
    const from = i === 0 ? firstBlockReceiptIndex : 0n
    if (from > BigInt(all.length)) break
    const list: ReceiptData[] = []
    let listBytes = 0
    let cut = false
    for (let j = Number(from); j < all.length; j++) {
      const size = rlpEncode(receiptToEth69(all[j]!)).length
      // Each list has a header of at most 9 bytes.
      if (bytes + listBytes + size + 9 > packet) {
        cut = true
        break
      }
      list.push(all[j]!)
      listBytes += size
    }
    if (cut && list.length === 0) break // not even the first receipt fits: end before this block
    out.push(list)
    bytes += listBytes + 9
    if (cut) return { receipts: out, lastBlockIncomplete: true }
  }
  return { receipts: out, lastBlockIncomplete: false }
}

export async function answerGetNodeData(
  chain: ServeChain,
  hashes: readonly Uint8Array[],
  counts?: ServeCounts,
): Promise<Uint8Array[]> {
  const out: Uint8Array[] = []
  let bytes = 0
  const full = () => out.length >= maxNodeDataServe || bytes >= softResponseLimitBytes
  const take = (data: Uint8Array | undefined) => {
    if (full()) return false
    if (data) {
      out.push(data)
      bytes += data.length
    } else if (counts !== undefined) counts.misses++
    return true
  }
  const asked = hashes.slice(0, maxNodeDataServe * 2)
  if (chain.getNodeDataMany !== undefined) {
    // one batched read per chunk of what one answer can hold
    for (let i = 0; i < asked.length && !full(); i += maxNodeDataServe) {
      const values = await chain.getNodeDataMany(asked.slice(i, i + maxNodeDataServe))
      for (const v of values) if (!take(v)) break
    }
    return out
  }
  const getNodeData = chain.getNodeData?.bind(chain)
  if (!getNodeData) return out
  await readInOrder(asked, (hash) => getNodeData(hash), take)
  return out
}

/**
 * GetPooledTransactions: the pool's transactions for the hashes, unknown ones skipped, at most
 * {@link maxPooledTxsServe} and about {@link softResponseLimitBytes}. A hash the pool does not
 * hold counts as a miss unless `expected(hash)` says the peer had reason to ask for it (the
 * transaction was gossiped to or by that peer and has left the pool since: mined or replaced).
 */
export function answerGetPooledTransactions(
  pool: ServeTxPool | undefined,
  hashes: readonly Uint8Array[],
  counts?: ServeCounts,
  expected?: (hash: Uint8Array) => boolean,
): Transaction[] {
  const out: Transaction[] = []
  if (!pool) return out
  let bytes = 0
  for (const hash of hashes) {
    if (out.length >= maxPooledTxsServe || bytes >= softResponseLimitBytes) break
    const entry = pool.get(hash)
    if (!entry) {
      if (counts !== undefined && expected?.(hash) !== true) counts.misses++
      continue
    }
    const tx = txOf(entry)
    out.push(tx)
    bytes += tx.size
  }
  return out
}

/** Size of a body on the wire, from its parts' cached encodings (no re-encoding). */
function bodySizeEstimate(body: BlockBody): number {
  let n = body.uncles.length * estHeaderRlpSizeBytes + (body.withdrawals?.length ?? 0) * 50
  for (const tx of body.transactions) n += tx.size
  return n
}

/** Receipt sizes: 256-byte bloom, gas and status, and the logs' payloads. */
function receiptsSizeEstimate(receipts: readonly ReceiptData[]): number {
  let n = 0
  for (const r of receipts) {
    n += 300
    for (const log of r.logs) n += 30 + log.topics.length * 33 + log.data.length
  }
  return n
}

/** The unwrapped wire transaction of a pool entry. */
export function txOf(p: PooledTx): Transaction {
  return 'tx' in p ? p.tx : p
}
