import { execFileSync, spawnSync } from 'node:child_process'
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type Block, type BlockHeader, bytesToHex } from '@ethwire/rlp-wire'
import { afterEach, describe, expect, it } from 'vitest'
import { executedBatchBytes } from '../src/constants.js'
import {
  buildEmptyBlock,
  type Chain,
  type Executor,
  genesisState,
  importChainFile,
  isChainError,
  openChain,
} from '../src/index.js'
import { writeError } from '../src/storage.js'
import { faultyWrites, testGenesis } from '../src/testing.js'

const here = dirname(fileURLToPath(import.meta.url))
const pkg = join(here, '..')
const fx = (f: string) => join(here, 'fixtures', f)
const genesisJson = readFileSync(fx('genesis.json'), 'utf8')
const headBlock = JSON.parse(readFileSync(fx('headblock.json'), 'utf8')) as { hash: string }

const dirs: string[] = []
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'chain-storage-'))
  dirs.push(d)
  return d
}
afterEach(() => {
  for (const d of dirs.splice(0)) {
    chmodTree(d, 0o755)
    rmSync(d, { recursive: true, force: true })
  }
})

function chmodTree(p: string, mode: number): void {
  if (!existsSync(p)) return
  chmodSync(p, mode)
  if (statSync(p).isDirectory()) for (const f of readdirSync(p)) chmodTree(join(p, f), mode)
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p
  } catch (e) {
    return e
  }
  throw new Error('expected a rejection')
}

describe('disk full while writing', () => {
  it('an import whose 5th batch hits ENOSPC: ErrDiskFull, head at the last whole batch, writes refused until reopened, reopen verifies and resumes', async () => {
    const dir = tmp()
    const faults = faultyWrites()
    const warnings: [string, Record<string, unknown>][] = []
    const logger = {
      info: () => {},
      warn: (msg: string, ctx?: Record<string, unknown>) => warnings.push([msg, ctx ?? {}]),
    }
    const chain = await openChain(
      { location: dir, wrapDb: faults.wrap, logger },
      { genesis: genesisJson },
    )
    faults.failFrom(5) // batches 1..10, 11..20, 21..30, 31..40 are written; 41..50 is not
    const err = await rejection(
      importChainFile(chain, fx('chain.rlp'), undefined, { batchBlocks: 10 }),
    )
    expect(isChainError(err, 'ErrDiskFull'), String(err)).toBe(true)
    const message = (err as Error).message
    expect(message).toContain('blocks 41..50')
    expect(message).toContain('No space left on device')
    expect(message).toContain(dir)
    expect((err as Error).cause).toBeDefined()
    expect(chain.currentHeader().number).toBe(40n)
    expect(chain.writeError).toBe(err)
    expect(warnings).toHaveLength(1)
    expect(warnings[0]?.[1]).toMatchObject({ code: 'ErrDiskFull', what: 'blocks 41..50' })
    // The disk has room again, but the chain still refuses to write until it is reopened.
    faults.heal()
    const writes = faults.writes
    const blocks = await readBlocks()
    const refused = await rejection(chain.insertChain([blocks[40] as Block]))
    expect(isChainError(refused, 'ErrDiskFull')).toBe(true)
    expect((refused as Error).message).toContain('refuses writes')
    expect(isChainError(await rejection(chain.setHead(10n)), 'ErrDiskFull')).toBe(true)
    expect(faults.writes).toBe(writes) // refused before reaching the database
    // Reads go on from what is stored.
    expect((await chain.getBlockByNumber(40n))?.header.number).toBe(40n)
    expect(await chain.getHeaderByNumber(41n)).toBeUndefined()
    await chain.close()

    const re = await openChain({ location: dir })
    expect(re.currentHeader().number).toBe(40n)
    expect(re.writeError).toBeUndefined()
    await re.verifyIntegrity()
    const p = await importChainFile(re, fx('chain.rlp'))
    expect(p.inserted).toBe(560)
    expect(bytesToHex(re.currentHeader().hash)).toBe(headBlock.hash)
    await re.verifyIntegrity()
    await re.close()
  }, 60_000)

  it('other failures are typed too: EIO is ErrWrite, EROFS is ErrDatadirReadOnly', async () => {
    for (const [fault, code] of [
      ['EIO', 'ErrWrite'],
      ['EROFS', 'ErrDatadirReadOnly'],
    ] as const) {
      const dir = tmp()
      const faults = faultyWrites()
      const chain = await openChain(
        { location: dir, wrapDb: faults.wrap },
        { genesis: genesisJson },
      )
      const blocks = await readBlocks()
      await chain.insertChain(blocks.slice(0, 5))
      faults.failFrom(1, fault)
      const err = await rejection(chain.insertChain(blocks.slice(5, 10)))
      expect(isChainError(err, code), `${fault}: ${String(err)}`).toBe(true)
      expect(chain.currentHeader().number).toBe(5n)
      await chain.close()
      const re = await openChain({ location: dir })
      expect(re.currentHeader().number).toBe(5n)
      await re.verifyIntegrity()
      await re.close()
    }
  })

  it('with an executor: the failed group of a long insert is not stored, nor any group after it', async () => {
    const dir = tmp()
    const faults = faultyWrites()
    const written: number[] = []
    const chain = await openChain(
      { location: dir, wrapDb: faults.wrap, executor: fakeExecutor(written) },
      { genesis: testGenesis() },
    )
    const blocks = await buildChain(chain, 300)
    // Execution writes groups of 64 blocks: 1..64, 65..128, then 129..192 fails.
    faults.failFrom(3)
    const err = await rejection(chain.insertChain(blocks))
    expect(isChainError(err, 'ErrDiskFull'), String(err)).toBe(true)
    expect((err as Error).message).toContain('blocks 129..192')
    expect(chain.currentHeader().number).toBe(128n)
    expect(written).toEqual([64, 128]) // the executor heard only of the groups on disk
    for (const n of [129, 192, 193, 256, 300])
      expect(await chain.hasBlock((blocks[n - 1] as Block).header.hash), `block ${n}`).toBe(false)
    await chain.close()

    const re = await openChain({ location: dir, executor: fakeExecutor([]) })
    expect(re.currentHeader().number).toBe(128n)
    await re.verifyIntegrity()
    const r = await re.insertChain(blocks)
    expect(r).toMatchObject({ inserted: 172, known: 128 })
    expect(re.currentHeader().number).toBe(300n)
    await re.verifyIntegrity()
    await re.close()
  }, 60_000)

  it('with an executor: blocks with large state ops are written a few at a time (executedBatchBytes)', async () => {
    const batches: [bigint, bigint][] = []
    const ex = fakeExecutor([])
    const big: Executor = {
      ...ex,
      // 1 MiB of state per block: the 4 MiB bound closes a batch every 4 blocks, not every 64
      async executeBlock(input) {
        const r = await ex.executeBlock(input)
        const key = Uint8Array.of(0xfd, ...input.block.header.hash)
        return { ...r, ops: [...r.ops, { type: 'put', key, value: new Uint8Array(1 << 20) }] }
      },
    }
    const chain = await openChain(
      {
        location: tmp(),
        executor: big,
        beforeBatchWrite: ({ firstBlock, blockNumber }) => {
          batches.push([firstBlock, blockNumber])
        },
      },
      { genesis: testGenesis() },
    )
    const blocks = await buildChain(chain, 10)
    batches.length = 0
    expect(executedBatchBytes).toBe(4 << 20)
    expect(await chain.insertChain(blocks)).toMatchObject({ inserted: 10 })
    expect(batches).toEqual([
      [1n, 4n],
      [5n, 8n],
      [9n, 10n],
    ])
    expect(chain.currentHeader().number).toBe(10n)
    await chain.verifyIntegrity()
    await chain.close()
  }, 60_000)

  it('a first open that cannot write its genesis fails with ErrDiskFull and leaves no files', async () => {
    const parent = tmp()
    const fresh = join(parent, 'a', 'chaindata')
    const faults = faultyWrites()
    faults.failFrom(1)
    const err = await rejection(
      openChain({ location: fresh, wrapDb: faults.wrap }, { genesis: genesisJson }),
    )
    expect(isChainError(err, 'ErrDiskFull'), String(err)).toBe(true)
    expect((err as Error).message).toContain('the genesis block')
    expect(readdirSync(parent)).toEqual([]) // `a` was made by the open and is gone again
    const empty = join(parent, 'empty')
    mkdirSync(empty)
    const f2 = faultyWrites()
    f2.failFrom(1)
    await rejection(openChain({ location: empty, wrapDb: f2.wrap }, { genesis: genesisJson }))
    expect(readdirSync(empty)).toEqual([])
    // and then it opens fine
    const ok = await openChain({ location: empty }, { genesis: genesisJson })
    expect(ok.currentHeader().number).toBe(0n)
    await ok.close()
  })

  it('maps errno codes and OS messages down the cause chain', () => {
    const nested = new Error('Database is not open', {
      cause: Object.assign(new Error('write failed'), { code: 'ENOSPC' }),
    })
    expect(writeError(nested, '/d', 'x').code).toBe('ErrDiskFull')
    expect(writeError(new Error('IO error: /d/1.log: Disk quota exceeded'), '/d', 'x').code).toBe(
      'ErrDiskFull',
    )
    expect(writeError(Object.assign(new Error('x'), { code: 'EACCES' }), '/d', 'x').code).toBe(
      'ErrDatadirReadOnly',
    )
    expect(writeError(new Error('something else'), '/d', 'x').code).toBe('ErrWrite')
  })
})

// ---------------------------------------------------------------- read-only data directories

const isRoot = process.getuid?.() === 0
/**
 * Root writes anywhere: the child then runs without capabilities (`setpriv`, still uid 0, so it
 * can read the checkout wherever it is; without CAP_DAC_OVERRIDE the permission bits apply).
 */
const dropCaps = isRoot ? ['setpriv', '--bounding-set=-all', '--inh-caps=-all', '--'] : []
const canDropRoot =
  !isRoot ||
  spawnSync(dropCaps[0] as string, [...dropCaps.slice(1), process.execPath, '-e', ''], {
    stdio: 'ignore',
  }).status === 0

function openAsUser(
  location: string,
  genesis = true,
): { ok: boolean; code?: string; message?: string } {
  const argv = [
    ...dropCaps,
    process.execPath,
    '--conditions=@ethwire/source',
    '--import',
    'tsx',
    join(here, 'open-child.ts'),
    location,
    ...(genesis ? [fx('genesis.json')] : []),
  ]
  const out = execFileSync(argv[0] as string, argv.slice(1), {
    cwd: pkg,
    encoding: 'utf8',
    timeout: 30_000,
  })
  return JSON.parse(out.trim().split('\n').at(-1) as string)
}

/** Names, sizes and modification times of the files under `dir`. */
function snapshot(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .map((f) => {
      const st = statSync(join(dir, f))
      return `${f} ${st.size} ${st.mtimeMs}`
    })
}

describe.skipIf(!canDropRoot)('read-only data directory', () => {
  /** A temporary directory the child (maybe without capabilities) can enter. */
  const base = () => {
    const d = tmp()
    chmodSync(d, 0o755)
    return d
  }

  it('an existing read-only directory: ErrDatadirReadOnly, nothing created', () => {
    const dir = join(base(), 'ro')
    mkdirSync(dir)
    chmodSync(dir, 0o555)
    const r = openAsUser(dir)
    expect(r).toMatchObject({ ok: false, code: 'ErrDatadirReadOnly' })
    expect(r.message).toContain(dir)
    expect(r.message).toContain('not writable')
    expect(readdirSync(dir)).toEqual([])
  })

  it('a missing directory under a read-only parent: ErrDatadirReadOnly, not created', () => {
    const parent = join(base(), 'parent')
    mkdirSync(parent)
    chmodSync(parent, 0o555)
    const r = openAsUser(join(parent, 'chaindata'))
    expect(r).toMatchObject({ ok: false, code: 'ErrDatadirReadOnly' })
    expect(readdirSync(parent)).toEqual([])
  })

  it('an initialised database made read-only: refused before LevelDB changes a file', async () => {
    const dir = join(base(), 'db')
    const c: Chain = await openChain({ location: dir }, { genesis: genesisJson })
    await c.close()
    // read-only files in a writable directory: LevelDB would rename LOG and create a new one
    chmodTree(dir, 0o444)
    chmodSync(dir, 0o777)
    const before = snapshot(dir)
    const r1 = openAsUser(dir, false)
    expect(r1).toMatchObject({ ok: false, code: 'ErrDatadirReadOnly' })
    expect(r1.message).toMatch(/LOCK|CURRENT|LOG/)
    expect(snapshot(dir)).toEqual(before)
    // and a read-only directory
    chmodSync(dir, 0o555)
    const r2 = openAsUser(dir, false)
    expect(r2).toMatchObject({ ok: false, code: 'ErrDatadirReadOnly' })
    expect(snapshot(dir)).toEqual(before)
  }, 30_000)

  it('the same directories made writable again open fine (the child itself works)', () => {
    const dir = join(base(), 'rw')
    mkdirSync(dir)
    chmodSync(dir, 0o777)
    expect(openAsUser(dir)).toEqual({ ok: true })
  }, 30_000)
})

// ---------------------------------------------------------------- helpers

async function readBlocks(): Promise<Block[]> {
  const { Block: B, rlpSplitConcat } = await import('@ethwire/rlp-wire')
  return rlpSplitConcat(readFileSync(fx('chain.rlp'))).map((b) => B.decode(b))
}

/** Builds `count` empty blocks on the genesis (not inserted). */
async function buildChain(chain: Chain, count: number): Promise<Block[]> {
  const out: Block[] = []
  let parent: BlockHeader = chain.genesis
  for (let i = 0; i < count; i++) {
    const b = await buildEmptyBlock(chain, parent, parent.time + 12n)
    out.push(b)
    parent = b.header
  }
  return out
}

/** An executor for empty blocks: the state root stays the parent's; one state op per block. */
function fakeExecutor(written: number[]): Executor {
  return {
    async executeBlock({ block, parent }) {
      return {
        stateRoot: parent.stateRoot,
        receipts: [],
        gasUsed: 0n,
        logsBloom: new Uint8Array(256),
        ops: [
          { type: 'put', key: Uint8Array.of(0xfe, ...block.header.hash), value: Uint8Array.of(1) },
        ],
      }
    },
    async genesisState(alloc) {
      return { root: genesisState(alloc as never).stateRoot, ops: [] }
    },
    async hasState() {
      return true
    },
    written(ops) {
      // one op per block: the running count is the last block number on disk (genesis has none)
      if (ops.length) written.push((written.at(-1) ?? 0) + ops.length)
    },
  }
}
