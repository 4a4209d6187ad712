/** The CLI's one-shot commands: init, import, export, dumpgenesis, devchain. */
import { readFile } from 'node:fs/promises'
import {
  buildEmptyBlock,
  type Chain,
  type Engine,
  exportChain,
  importChainFile,
  parseGenesis,
} from '@ethwire/chain'
import { createRecoveryPool } from '@ethwire/crypto'
import { type Block, type BlockHeader, bytesToHex } from '@ethwire/rlp-wire'
import { defaultRecoveryWorkers, devchainBatchBlocks, importLogIntervalMs } from './constants.js'
import {
  checkEngineSupported,
  openDatadirChain,
  prepareDev,
  readSavedGenesis,
  saveGenesis,
  translateOpenError,
} from './datadir.js'
import { errorMessage, NodeError } from './errors.js'
import type { Logger } from './log.js'

export interface CommandContext {
  datadir: string
  fakePow: boolean
  log: Logger
  /** Where results meant for stdout go (dumpgenesis). */
  out: (text: string) => void
  signal?: AbortSignal
  /** `import`: blocks per database write. */
  importBatchBlocks?: number
}

/** `ethwire init <genesis.json>`: writes the genesis block and config into the data directory. */
export async function initCommand(
  ctx: CommandContext,
  genesisPath: string,
): Promise<{ hash: string }> {
  let text: string
  try {
    text = await readFile(genesisPath, 'utf8')
  } catch (e) {
    throw new NodeError('ErrUsage', `cannot read ${genesisPath}: ${errorMessage(e)}`)
  }
  const g = parseGenesis(text)
  checkEngineSupported(g, ctx.fakePow)
  const chain = await openDatadirChain(ctx.datadir, { genesis: g, fakePow: ctx.fakePow })
  try {
    await saveGenesis(ctx.datadir, text)
    const hash = bytesToHex(chain.genesis.hash)
    ctx.log.info('Successfully wrote genesis state', { database: 'chaindata', hash })
    return { hash }
  } finally {
    await chain.close()
  }
}

/** `ethwire import <file>`: streams blocks in (known ones skipped, so an interrupted import resumes). */
export async function importCommand(
  ctx: CommandContext,
  file: string,
): Promise<{ head: bigint; hash: string; inserted: number }> {
  // blocks are executed: their senders are recovered in a worker thread
  const recoverer = createRecoveryPool({ workers: defaultRecoveryWorkers })
  let chain: Chain
  try {
    chain = await openDatadirChain(ctx.datadir, {
      fakePow: ctx.fakePow,
      recoverer,
      logger: ctx.log,
    })
  } catch (e) {
    await recoverer.close()
    throw e
  }
  try {
    const started = Date.now()
    let lastLog = 0
    ctx.log.info('Importing blockchain', { file, head: chain.currentHeader().number })
    const p = await importChainFile(
      chain,
      file,
      (pr) => {
        const now = Date.now()
        ctx.log.debug('Imported batch', { read: pr.read, inserted: pr.inserted, head: pr.head })
        if (now - lastLog < importLogIntervalMs) return
        lastLog = now
        ctx.log.info('Importing', {
          read: pr.read,
          inserted: pr.inserted,
          head: pr.head,
          'blocks/s': ((pr.inserted * 1000) / Math.max(1, now - started)).toFixed(0),
        })
      },
      { signal: ctx.signal, batchBlocks: ctx.importBatchBlocks },
    )
    const head = chain.currentHeader()
    const hash = bytesToHex(head.hash)
    ctx.log.info('Import done', {
      read: p.read,
      inserted: p.inserted,
      head: head.number,
      hash,
      elapsed: `${((Date.now() - started) / 1000).toFixed(2)}s`,
    })
    return { head: head.number, hash, inserted: p.inserted }
  } finally {
    await chain.close()
    await recoverer.close()
  }
}

/** `ethwire export <file> [first] [last]`. */
export async function exportCommand(
  ctx: CommandContext,
  file: string,
  first?: bigint,
  last?: bigint,
): Promise<void> {
  const chain = await openDatadirChain(ctx.datadir, { fakePow: ctx.fakePow })
  try {
    const to = last ?? chain.currentHeader().number
    const from = first ?? 0n
    if (from > to) throw new NodeError('ErrUsage', `export: first (${from}) is after last (${to})`)
    ctx.log.info('Exporting blockchain', { file, first: from, last: to })
    await exportChain(chain, file, from, to)
    ctx.log.info('Exported blockchain', { file, blocks: to - from + 1n })
  } finally {
    await chain.close()
  }
}

/** `ethwire dumpgenesis`: prints the genesis JSON the data directory was made with. */
export async function dumpGenesisCommand(ctx: CommandContext): Promise<string> {
  const text = await readSavedGenesis(ctx.datadir)
  if (text === undefined)
    throw new NodeError(
      'ErrNoGenesis',
      `no genesis in ${ctx.datadir}: run \`ethwire init <genesis.json>\` or start it once with --dev`,
    )
  const pretty = `${JSON.stringify(JSON.parse(text), null, 2)}\n`
  ctx.out(pretty)
  return pretty
}

/**
 * `ethwire devchain <n>`: seals n empty clique blocks on the head of a `--dev` data directory
 * (made on first use; n = 0 only makes it) as fast as it can, `devchainBatchBlocks` per database
 * write. Timestamps are one second apart and end no later than now, so the chain is valid for a
 * node started right after; if the head is too recent for that, it refuses (ErrDevchainFuture).
 */
export async function devchainCommand(
  ctx: CommandContext,
  n: number,
): Promise<{ head: bigint; hash: string; ms: number }> {
  const dev = await prepareDev(ctx.datadir)
  let chain: Awaited<ReturnType<typeof openDatadirChain>>
  try {
    chain = await openDatadirChain(ctx.datadir, { genesis: dev.genesis, signerKey: dev.key })
  } catch (e) {
    throw translateOpenError(e, ctx.datadir)
  }
  try {
    const started = Date.now()
    const now = BigInt(Math.floor(Date.now() / 1000))
    let parent = chain.currentHeader()
    const count = BigInt(n)
    if (parent.time + count > now)
      throw new NodeError(
        'ErrDevchainFuture',
        `head #${parent.number} has timestamp ${parent.time}; ${n} blocks one second apart would end in the future`,
      )
    // block i (1..n) gets max(parent.time + i, now - n + i): the last one lands exactly on now
    const base = now - count
    // The clique engine looks up ancestors (its checkpoint) through a reader; blocks of the batch
    // being built are not in the database yet, so the reader also sees them.
    const unwritten = new Map<string, BlockHeader>()
    const reader = {
      config: chain.config,
      getHeader: async (h: Uint8Array, num: bigint) =>
        unwritten.get(bytesToHex(h)) ?? chain.getHeader(h, num),
    }
    const real = chain.engine
    const engine: Engine = {
      ...real,
      verifyHeader: (_c, h, p) => real.verifyHeader(reader, h, p),
      prepare: (_c, h, p) => real.prepare(reader, h, p),
      seal: (_c, h) => real.seal(reader, h),
    }
    let lastLog = started
    let done = 0
    while (done < n) {
      if (ctx.signal?.aborted) break
      const batch: Block[] = []
      const size = Math.min(devchainBatchBlocks, n - done)
      for (let i = 0; i < size; i++) {
        const k = BigInt(done + i + 1)
        const t = base + k > parent.time ? base + k : parent.time + 1n
        const block = await buildEmptyBlock(chain, parent, t, engine)
        unwritten.set(bytesToHex(block.hash), block.header)
        batch.push(block)
        parent = block.header
      }
      await chain.insertChain(batch)
      unwritten.clear()
      done += size
      if (Date.now() - lastLog >= importLogIntervalMs) {
        lastLog = Date.now()
        ctx.log.info('Sealing dev chain', { sealed: done, of: n, head: parent.number })
      }
    }
    const head = chain.currentHeader()
    const ms = Date.now() - started
    ctx.log.info('Dev chain sealed', {
      blocks: done,
      head: head.number,
      hash: bytesToHex(head.hash),
      elapsed: `${(ms / 1000).toFixed(2)}s`,
    })
    return { head: head.number, hash: bytesToHex(head.hash), ms }
  } finally {
    await chain.close()
  }
}
