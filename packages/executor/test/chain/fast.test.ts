// Fast sync, chain side: blocks stored with their receipts and no execution (insertReceiptChain),
// the pivot's state copied in by the trie-sync scheduler, the pivot made the head
// (commitFastSyncHead), the rest executed on top; a restart in the middle; a replaced fast branch;
// wrong receipts; and blocks stored without state executed by insertChain.
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type Chain, importChainFile, isChainError } from '@ethwire/chain'
import {
  Block,
  BlockHeader,
  bytesToHex,
  encodeReceipt,
  type ReceiptData,
  rlpSplitConcat,
} from '@ethwire/rlp-wire'
import { createStateSync, type StateDatabase } from '@ethwire/state'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openExecutedChain } from './executed.js'

const here = import.meta.dirname
const fx = (f: string) => join(here, '..', 'fixtures', `ethtest-${f}`)
const genesisJson = readFileSync(fx('genesis.json'), 'utf8')
const headBlock = JSON.parse(readFileSync(fx('headblock.json'), 'utf8')) as {
  hash: string
  stateRoot: string
}
const blocks = rlpSplitConcat(readFileSync(fx('chain.rlp'))).map((b) => Block.decode(b))
const dirs: string[] = []
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'chain-fast-'))
  dirs.push(d)
  return d
}

type Executed = Chain & { state: StateDatabase }
let source: Executed
/** receipts[i] belongs to blocks[i] (block i + 1). */
let receipts: ReceiptData[][]

beforeAll(async () => {
  source = await openExecutedChain({ location: tmp() }, { genesis: genesisJson })
  await importChainFile(source, fx('chain.rlp'), undefined, { batchBlocks: 100 })
  receipts = []
  for (const b of blocks) receipts.push((await source.getReceipts(b.hash)) as ReceiptData[])
}, 120_000)
afterAll(async () => {
  await source?.close()
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

const range = (from: number, to: number) => ({
  blocks: blocks.slice(from - 1, to),
  receipts: receipts.slice(from - 1, to),
})

/** Copies the state at `root` from the source into `chain`'s database with the trie-sync scheduler. */
async function syncState(chain: Executed, root: Uint8Array): Promise<number> {
  const sync = createStateSync(root, {
    db: chain.kvReader(),
    write: (ops) => chain.db.batch(ops),
  })
  let rounds = 0
  while (!sync.done()) {
    if (++rounds > 10_000) throw new Error('state sync did not finish')
    const want = sync.missing(384)
    if (want.length === 0) {
      await new Promise((r) => setImmediate(r))
      continue
    }
    // Served the way GetNodeData is: the chain reads trie nodes and code from its database.
    const nodes = (await Promise.all(want.map((h) => source.getNodeData(h)))).filter(
      (n): n is Uint8Array => n !== undefined,
    )
    const r = await sync.deliver('source', want, nodes)
    expect(r.rejected).toBeUndefined()
  }
  await sync.close()
  return sync.progress().pulled
}

describe('fast sync on the chain', () => {
  it('stores blocks with receipts without executing them, takes the pivot state, commits the pivot and executes the rest', async () => {
    const chain = await openExecutedChain({ location: tmp() }, { genesis: genesisJson })
    const { blocks: below, receipts: rs } = range(1, 500)
    for (let i = 0; i < below.length; i += 128) {
      const r = await chain.insertReceiptChain(below.slice(i, i + 128), rs.slice(i, i + 128))
      expect(r.headChanged).toBe(false)
    }
    // Stored and canonical, head unmoved, no state above genesis.
    expect(chain.currentHeader().number).toBe(0n)
    expect(chain.currentFastHeader().number).toBe(500n)
    const pivot = blocks[499] as Block
    expect(bytesToHex((await chain.getHeaderByNumber(500n))!.hash)).toBe(bytesToHex(pivot.hash))
    expect(await chain.hasBlock(pivot.hash)).toBe(true)
    expect(await chain.getTd(pivot.hash)).toBe(await source.getTd(pivot.hash))
    expect((await chain.getReceipts(blocks[6]!.hash))?.map(encodeReceipt)).toEqual(
      receipts[6]!.map(encodeReceipt),
    )
    expect(await chain.getTransactionBlock(blocks[6]!.transactions[0]!.hash)).toBe(7n)
    expect(await chain.hasState(pivot.header.stateRoot)).toBe(false)
    await chain.verifyIntegrity()
    // Known blocks are skipped.
    expect((await chain.insertReceiptChain(below.slice(0, 10), rs.slice(0, 10))).known).toBe(10)

    // The pivot cannot become the head before its state is complete.
    const early = await chain.commitFastSyncHead(pivot.hash).catch((e) => e)
    expect(isChainError(early, 'ErrMissingState'), String(early)).toBe(true)

    expect(await syncState(chain, pivot.header.stateRoot)).toBeGreaterThan(100)
    await chain.commitFastSyncHead(pivot.hash)
    expect(chain.currentHeader().number).toBe(500n)
    await chain.verifyIntegrity()

    // The blocks after the pivot are executed on its state.
    const r = await chain.insertChain(blocks.slice(500))
    expect(r.inserted).toBe(100)
    expect(bytesToHex(chain.currentHeader().hash)).toBe(headBlock.hash)
    expect(await chain.hasState(chain.currentHeader().stateRoot)).toBe(true)
    expect(chain.currentFastHeader().number).toBe(600n)
    await chain.verifyIntegrity()
    await chain.close()
  }, 120_000)

  it('a restart in the middle keeps the fast head; insertChain then executes the blocks stored without state', async () => {
    const dir = tmp()
    let chain = await openExecutedChain({ location: dir }, { genesis: genesisJson })
    const { blocks: part, receipts: rs } = range(1, 300)
    await chain.insertReceiptChain(part, rs)
    await chain.close()
    chain = await openExecutedChain({ location: dir })
    expect(chain.currentHeader().number).toBe(0n)
    expect(chain.currentFastHeader().number).toBe(300n)
    await chain.verifyIntegrity()
    // Without a pivot state, importing the same blocks executes them (they are not "known").
    const r = await chain.insertChain(blocks)
    expect(r.inserted).toBe(600)
    expect(bytesToHex(chain.currentHeader().hash)).toBe(headBlock.hash)
    expect(bytesToHex(chain.currentHeader().stateRoot)).toBe(headBlock.stateRoot)
    expect(chain.currentFastHeader().number).toBe(600n)
    await chain.verifyIntegrity()
    await chain.close()
  }, 120_000)

  it('receipts that do not hash to the receipts root are refused; the blocks before them are kept', async () => {
    const chain = await openExecutedChain({ location: tmp() }, { genesis: genesisJson })
    const { blocks: part, receipts: rs } = range(1, 20)
    const withTxs = part.findIndex((b, i) => i > 0 && b.transactions.length > 0)
    expect(withTxs).toBeGreaterThan(0)
    const bad = rs.map((x, i) =>
      i === withTxs ? x.map((r) => ({ ...r, cumulativeGasUsed: r.cumulativeGasUsed + 1n })) : x,
    )
    const err = await chain.insertReceiptChain(part, bad).catch((e) => e)
    expect(isChainError(err, 'ErrInvalidReceipts'), String(err)).toBe(true)
    expect(err.blockNumber).toBe(BigInt(withTxs + 1))
    expect(chain.currentFastHeader().number).toBe(BigInt(withTxs))
    expect(await chain.getHeaderByNumber(BigInt(withTxs + 1))).toBeUndefined()
    await chain.verifyIntegrity()
    await chain.close()
  }, 60_000)

  it('a branch from a canonical block below the fast head replaces the fast chain above it', async () => {
    const chain = await openExecutedChain({ location: tmp() }, { genesis: genesisJson })
    const { blocks: part, receipts: rs } = range(1, 300)
    await chain.insertReceiptChain(part, rs)
    // Blocks 201-203 again with another extra-data (so other hashes), each on the previous one.
    const branch: Block[] = []
    let parent = blocks[199] as Block
    for (let n = 201; n <= 203; n++) {
      const b = blocks[n - 1] as Block
      const h = BlockHeader.fromData({
        ...b.header.toData(),
        parentHash: parent.hash,
        extra: new TextEncoder().encode(`branch ${n}`),
      })
      parent = new Block(h, b.body())
      branch.push(parent)
    }
    const r = await chain.insertReceiptChain(branch, receipts.slice(200, 203))
    expect(r.inserted).toBe(3)
    expect(bytesToHex(chain.currentFastHeader().hash)).toBe(bytesToHex(branch[2]!.hash))
    expect(bytesToHex((await chain.getHeaderByNumber(201n))!.hash)).toBe(
      bytesToHex(branch[0]!.hash),
    )
    expect(await chain.getHeaderByNumber(204n)).toBeUndefined()
    // A transaction only the dropped blocks had has no lookup any more.
    const dropped = blocks.slice(203, 300).find((b) => b.transactions.length > 0) as Block
    expect(await chain.getTransactionBlock(dropped.transactions[0]!.hash)).toBeUndefined()
    await chain.verifyIntegrity()
    // Not from below the head, and not from a block that is not canonical.
    const stray = await chain
      .insertReceiptChain(blocks.slice(250, 251), receipts.slice(250, 251))
      .catch((e) => e)
    expect(isChainError(stray, 'ErrNotLinked'), String(stray)).toBe(true)
    await chain.close()
  }, 60_000)

  it('kill -9 right before a chosen receipt-chain batch is written: the fast head is the last whole batch and the store resumes', async () => {
    const dir = tmp()
    const init = await openExecutedChain({ location: dir }, { genesis: genesisJson })
    await init.close()
    const file = join(dir, '..', `${dir.split('/').pop()}-receipts.json`)
    writeFileSync(
      file,
      JSON.stringify(receipts.map((rs) => rs.map((r) => bytesToHex(encodeReceipt(r))))),
    )
    dirs.push(file)
    const killAt = 333
    const out = await new Promise<{ signal: NodeJS.Signals | null; out: string }>((resolve) => {
      let text = ''
      const child = spawn(
        process.execPath,
        [
          '--conditions=@ethwire/source',
          '--import',
          'tsx',
          join(here, 'fast-kill-child.ts'),
          dir,
          fx('chain.rlp'),
          file,
          String(killAt),
        ],
        { stdio: ['ignore', 'pipe', 'inherit'] },
      )
      child.stdout.on('data', (d: Buffer) => {
        text += d.toString()
      })
      child.on('close', (_code, signal) => resolve({ signal, out: text }))
    })
    expect(out.signal).toBe('SIGKILL')
    const m = /^batch (\d+) (\d+)$/m.exec(out.out)
    expect(m, out.out).not.toBeNull()
    const first = BigInt(m![1]!)
    const chain = await openExecutedChain({ location: dir })
    expect(chain.currentHeader().number).toBe(0n)
    expect(chain.currentFastHeader().number).toBe(first - 1n)
    expect(await chain.getHeaderByNumber(first)).toBeUndefined()
    await chain.verifyIntegrity()
    const from = Number(first)
    const rest = range(from, 600)
    const r = await chain.insertReceiptChain(rest.blocks, rest.receipts)
    expect(r.inserted).toBe(600 - from + 1)
    expect(bytesToHex(chain.currentFastHeader().hash)).toBe(headBlock.hash)
    await chain.verifyIntegrity()
    await chain.close()
  }, 120_000)
})
