/** Streaming import of concatenated RLP blocks (go-ethereum `export` format) and export. */

import { createReadStream, createWriteStream } from 'node:fs'
import { Block } from '@ethwire/rlp-wire'
import type { Chain } from './chain.js'
import { importBatchBlocks } from './constants.js'
import { ChainError } from './errors.js'

export interface ImportProgress {
  /** Blocks read from the file so far. */
  read: number
  /** Blocks newly inserted so far. */
  inserted: number
  /** Number of the current head. */
  head: bigint
}

/** Length of the RLP item at the start of `buf` (header + payload), or undefined if incomplete. */
function itemLength(buf: Uint8Array, off: number, end: number): number | undefined {
  if (off >= end) return undefined
  const b = buf[off] as number
  if (b < 0xc0)
    throw new ChainError('ErrInvalidBody', `chain file: expected a block list at byte ${off}`)
  if (b <= 0xf7) return 1 + (b - 0xc0)
  const ll = b - 0xf7
  if (off + 1 + ll > end) return undefined
  let len = 0
  for (let i = 0; i < ll; i++) len = len * 256 + (buf[off + 1 + i] as number)
  return 1 + ll + len
}

/**
 * Imports a file of concatenated RLP blocks, streaming it in chunks and inserting `batchBlocks` at
 * a time (each batch is one atomic write). Already-known blocks are skipped, so an interrupted import
 * can simply be run again.
 */
export async function importChainFile(
  chain: Chain,
  path: string,
  onProgress?: (p: ImportProgress) => void,
  options: { batchBlocks?: number; signal?: AbortSignal } = {},
): Promise<ImportProgress> {
  const batchSize = options.batchBlocks ?? importBatchBlocks
  const progress: ImportProgress = { read: 0, inserted: 0, head: chain.currentHeader().number }
  let buf = new Uint8Array(0)
  let batch: Block[] = []
  const flush = async () => {
    if (!batch.length) return
    const r = await chain.insertChain(batch, undefined, options.signal)
    progress.inserted += r.inserted
    progress.head = chain.currentHeader().number
    batch = []
    onProgress?.({ ...progress })
  }
  for await (const chunk of createReadStream(path, {
    highWaterMark: 1 << 20,
    signal: options.signal,
  })) {
    const c = chunk as Buffer
    const merged = new Uint8Array(buf.length + c.length)
    merged.set(buf)
    merged.set(c, buf.length)
    let off = 0
    for (;;) {
      const len = itemLength(merged, off, merged.length)
      if (len === undefined || off + len > merged.length) break
      batch.push(Block.decode(merged.slice(off, off + len)))
      progress.read++
      off += len
      if (batch.length >= batchSize) await flush()
    }
    buf = merged.slice(off)
  }
  if (buf.length)
    throw new ChainError(
      'ErrInvalidBody',
      `chain file ends inside a block (${buf.length} bytes left)`,
    )
  await flush()
  return progress
}

/** Writes canonical blocks `first..last` (default: genesis..head) as concatenated RLP. Returns the count. */
export async function exportChain(
  chain: Chain,
  path: string,
  first = 0n,
  last?: bigint,
): Promise<number> {
  const end = last ?? chain.currentHeader().number
  const out = createWriteStream(path)
  let count = 0
  try {
    for (let n = first; n <= end; n++) {
      const b = await chain.getBlockByNumber(n)
      if (!b) throw new ChainError('ErrUnknownBlock', `no canonical block ${n}`)
      if (!out.write(b.encode())) await new Promise<void>((r) => out.once('drain', () => r()))
      count++
    }
  } finally {
    await new Promise<void>((res, rej) => out.end((e?: Error | null) => (e ? rej(e) : res())))
  }
  return count
}
