/**
 * Recently read canonical headers by number, so that readers asking for the same ones again (peers
 * sending GetBlockHeaders for the same range every few hundred milliseconds, the RPC) are answered
 * from memory. A cached `BlockHeader` keeps its RLP encoding, so serving it re-encodes nothing.
 *
 * The chain keeps it right through its one write path: every batch that touches a canonical index
 * entry or a header drops those numbers before the write and again after it, and bumps an epoch
 * each time; a read fills the cache only when no such write began or ended while it read.
 */
import type { BlockHeader } from '@ethwire/rlp-wire'

/** Where a batch op's key names a block number: a canonical index entry or a header. */
export function headerNumberOfKey(key: Uint8Array): bigint | undefined {
  // 'h' + num8 + 'n' (canonical) or 'h' + num8 + hash32 (header); td keys end in 't' (42 bytes).
  if (key[0] !== 0x68) return undefined
  if (!((key.length === 10 && key[9] === 0x6e) || key.length === 41)) return undefined
  return new DataView(key.buffer, key.byteOffset + 1, 8).getBigUint64(0)
}

export class CanonicalHeaderCache {
  private readonly entries = new Map<bigint, BlockHeader>()
  private epoch = 0

  constructor(readonly capacity: number) {}

  get size(): number {
    return this.entries.size
  }

  /** The cached canonical header at `n` (and marks it recently used). */
  get(n: bigint): BlockHeader | undefined {
    const h = this.entries.get(n)
    if (h !== undefined) {
      this.entries.delete(n)
      this.entries.set(n, h)
    }
    return h
  }

  /** Taken before a read; `fill` with it stores the header only if no write overlapped the read. */
  token(): number {
    return this.epoch
  }

  fill(token: number, header: BlockHeader): void {
    if (token !== this.epoch || this.capacity <= 0) return
    this.entries.delete(header.number)
    this.entries.set(header.number, header)
    if (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value as bigint
      this.entries.delete(oldest)
    }
  }

  /** Drops these numbers and voids every read in flight. */
  invalidate(numbers: Iterable<bigint>): void {
    this.epoch++
    for (const n of numbers) this.entries.delete(n)
  }

  clear(): void {
    this.epoch++
    this.entries.clear()
  }
}
