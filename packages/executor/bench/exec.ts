/**
 * Import with execution vs `@ethereumjs/vm`'s `runBlock`, side by side (not a test):
 *
 *   (a) 2,000 blocks × 3 transfers from one key to a few recipients;
 *   (b) 200 blocks × 100 ERC-20-style transfers among 10,000 accounts.
 *
 * Ours: `@ethwire/chain` importing the chain file into LevelDB with `@ethwire/executor` over
 * `@ethwire/state` (sharing the LevelDB) and the `@ethwire/crypto` recovery pool. Theirs:
 * `runBlock` over the same blocks on a `MerkleStateManager` in memory (the obvious way). Each run is
 * its own child process (peak RSS per run). Chains are generated once and cached in the temp dir.
 *
 *   pnpm --filter @ethwire/executor bench            # or: pnpm --filter @ethwire/node bench -- exec
 *   EXEC_BENCH_ROUNDS=1 EXEC_BENCH_CHAINS=a …        # rounds (default 3 for (a), 1 for (b)), one chain
 *   EXEC_BENCH_HEAP_MB=256 / EXEC_BENCH_CACHE_MB=16   # a V8 old-space cap for ours / state cache budget
 *   EXEC_BENCH_HEAP_GROWTH=0 / EXEC_BENCH_WORKERS=0   # V8's own heap growth / recovery on the main thread
 *   EXEC_BENCH_ONLY=ours EXEC_BENCH_NODE_FLAGS='--trace-gc'  # ours alone, V8 flags for its child
 *   EXEC_BENCH_DEBUG=1 EXEC_BENCH_SNAPSHOT=x.heapsnapshot    # memory split before/after, heap snapshot
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { getHeapSpaceStatistics, writeHeapSnapshot } from 'node:v8'
import { importChainFile, openChain } from '@ethwire/chain'
import { createRecoveryPool, keccak256, privateKeyToAddress } from '@ethwire/crypto'
import {
  Block,
  type BlockHeader,
  bytesToHex,
  concatBytes,
  hexToBytes,
  rlpSplitConcat,
  type Transaction,
} from '@ethwire/rlp-wire'
import { createStateDatabase, genesisCommit } from '@ethwire/state'
import { heapGrowingPercent } from '../src/constants.js'
import { createExecutor, limitHeapGrowth } from '../src/index.js'
import { signTransaction } from '../src/testing.js'

const self = fileURLToPath(import.meta.url)
const chainId = 1337n
const config = {
  chainId: Number(chainId),
  homesteadBlock: 0,
  eip150Block: 0,
  eip155Block: 0,
  eip158Block: 0,
  byzantiumBlock: 0,
  constantinopleBlock: 0,
  petersburgBlock: 0,
  istanbulBlock: 0,
  berlinBlock: 0,
  londonBlock: 0,
  mergeNetsplitBlock: 0,
  shanghaiTime: 0,
  terminalTotalDifficulty: 0,
  terminalTotalDifficultyPassed: true,
}
const gasLimit = 30_000_000n

// ---------------------------------------------------------------- the ERC-20-style contract

/** transfer(address,uint256): balances at keccak(pad(holder) ‖ pad(0)), a Transfer log, returns true. */
const TRANSFER_TOPIC = keccak256(new TextEncoder().encode('Transfer(address,address,uint256)'))
function tokenRuntime(): Uint8Array {
  const hex =
    '60003560e01c63a9059cbb14601357600080fd' + // selector check, else revert
    '5b33600052600060205260406000208054' + // from slot, balance
    '60243580821061ffff57' + // amount; jump to fail if balance < amount (target patched)
    '90039055' + // balance - amount
    '600435600052604060002080546024350190' +
    '55' + // recipient slot += amount
    '602435600052' + // mstore(0, amount)
    `60043533` +
    `7f${bytesToHex(TRANSFER_TOPIC).slice(2)}` +
    '60206000a3' + // log3 Transfer
    '600160005260206000f3' + // return true
    '5b600080fd' // fail: revert
  const code = hexToBytes(hex)
  const fail = code.length - 5
  for (let i = 0; i < code.length - 3; i++) {
    if (code[i] === 0x61 && code[i + 1] === 0xff && code[i + 2] === 0xff && code[i + 3] === 0x57) {
      code[i + 1] = fail >> 8
      code[i + 2] = fail & 0xff
    }
  }
  return code
}

const slotOf = (holder: Uint8Array) =>
  keccak256(concatBytes(new Uint8Array(12), holder, new Uint8Array(32)))

// ---------------------------------------------------------------- chain generation

/** Deterministic PRNG (mulberry32). */
function rng(seed: number) {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

interface Generated {
  genesis: {
    config: typeof config
    gasLimit: string
    difficulty: string
    alloc: Record<string, { balance?: string; code?: string; storage?: Record<string, string> }>
  }
  file: string
  blocks: number
  txs: number
}

async function generate(kind: 'a' | 'b', dir: string): Promise<Generated> {
  const file = join(dir, `chain-${kind}.rlp`)
  const gfile = join(dir, `genesis-${kind}.json`)
  const mfile = join(dir, `counts-${kind}.json`)
  if (existsSync(file) && existsSync(gfile)) {
    const genesis = JSON.parse(readFileSync(gfile, 'utf8'))
    // counts kept beside the chain, so a run's child never decodes the whole chain up front
    if (existsSync(mfile)) return { genesis, file, ...JSON.parse(readFileSync(mfile, 'utf8')) }
    const blocks = rlpSplitConcat(readFileSync(file)).map((b) => Block.decode(b))
    const counts = {
      blocks: blocks.length,
      txs: blocks.reduce((s, b) => s + b.transactions.length, 0),
    }
    writeFileSync(mfile, JSON.stringify(counts))
    return { genesis, file, ...counts }
  }
  const rand = rng(kind === 'a' ? 1 : 2)
  const alloc: Generated['genesis']['alloc'] = {}
  const keys: Uint8Array[] = []
  const addrs: Uint8Array[] = []
  const nAccounts = kind === 'a' ? 1 : 10_000
  for (let i = 0; i < nAccounts; i++) {
    const k = keccak256(new TextEncoder().encode(`bench key ${kind} ${i}`))
    keys.push(k)
    const a = privateKeyToAddress(k)
    addrs.push(a)
    alloc[bytesToHex(a)] = { balance: '0xd3c21bcecceda1000000' }
  }
  const token = hexToBytes('0x00000000000000000000000000000000000c0de2')
  if (kind === 'b') {
    const storage: Record<string, string> = {}
    for (const a of addrs) storage[bytesToHex(slotOf(a))] = '0x0f4240'
    alloc[bytesToHex(token)] = { balance: '0x0', code: bytesToHex(tokenRuntime()), storage }
  }
  const recipients = Array.from({ length: 5 }, (_, i) => {
    const r = new Uint8Array(20)
    r[0] = 0xee
    r[19] = i + 1
    return r
  })
  const genesis: Generated['genesis'] = {
    config,
    gasLimit: `0x${gasLimit.toString(16)}`,
    difficulty: '0x0',
    alloc,
  }
  // Build with the executor itself over an in-memory @ethwire/state.
  const kv = new Map<string, Uint8Array>()
  const hk = (b: Uint8Array) => Buffer.from(b).toString('hex')
  const state = createStateDatabase(
    { db: { get: async (k) => kv.get(hk(k)) } },
    { cacheBytes: 256 << 20 },
  )
  const write = (ops: { key: Uint8Array; value: Uint8Array }[]) => {
    for (const o of ops) kv.set(hk(o.key), o.value)
    state.written(ops as never)
  }
  const g = await genesisCommit(alloc)
  write(g.ops)
  const { genesisHeader } = await import('@ethwire/chain')
  let parent: BlockHeader = genesisHeader(genesis as never, g.root)
  const ex = await createExecutor({ state }, { config })
  const nonces = new Array<bigint>(nAccounts).fill(0n)
  const out: Uint8Array[] = []
  const nBlocks = kind === 'a' ? 2000 : 200
  const perBlock = kind === 'a' ? 3 : 100
  const { calcBaseFee } = await import('@ethwire/chain')
  let txCount = 0
  for (let n = 0; n < nBlocks; n++) {
    const txs: { tx: Transaction; sender: Uint8Array }[] = []
    for (let j = 0; j < perBlock; j++) {
      if (kind === 'a') {
        const tx = signTransaction(
          {
            type: 2,
            chainId,
            nonce: nonces[0]!++,
            maxPriorityFeePerGas: 1n,
            maxFeePerGas: 100_000_000_000n,
            gasLimit: 21000n,
            to: recipients[j % recipients.length]!,
            value: 1000n + BigInt(n),
            data: new Uint8Array(0),
            accessList: [],
          },
          keys[0]!,
        )
        txs.push({ tx, sender: addrs[0]! })
      } else {
        const s = Math.floor(rand() * nAccounts)
        let r = Math.floor(rand() * nAccounts)
        if (r === s) r = (r + 1) % nAccounts
        const data = concatBytes(
          hexToBytes('0xa9059cbb'),
          new Uint8Array(12),
          addrs[r]!,
          new Uint8Array(31),
          Uint8Array.of(1 + (j % 7)),
        )
        const tx = signTransaction(
          {
            type: 2,
            chainId,
            nonce: nonces[s]!++,
            maxPriorityFeePerGas: 1n,
            maxFeePerGas: 100_000_000_000n,
            gasLimit: 100_000n,
            to: token,
            value: 0n,
            data,
            accessList: [],
          },
          keys[s]!,
        )
        txs.push({ tx, sender: addrs[s]! })
      }
    }
    const built = await ex.buildBlock({
      parent,
      header: {
        coinbase: new Uint8Array(20).fill(0xcb),
        time: parent.time + 12n,
        gasLimit,
        baseFee: calcBaseFee(config, parent),
      },
      transactions: txs,
      withdrawals: [],
    })
    if (built.skipped.length) throw new Error(`generation: skipped ${built.skipped[0]?.reason}`)
    if (built.execution.receipts.some((r) => r.postStateOrStatus.length === 0))
      throw new Error('generation: a tx failed')
    write(built.execution.ops)
    out.push(built.block.encode())
    parent = built.block.header
    txCount += built.block.transactions.length
  }
  writeFileSync(file, concatBytes(...out))
  writeFileSync(gfile, JSON.stringify(genesis))
  writeFileSync(mfile, JSON.stringify({ blocks: nBlocks, txs: txCount }))
  return { genesis, file, blocks: nBlocks, txs: txCount }
}

// ---------------------------------------------------------------- one run (child process)

interface RunResult {
  ms: number
  blocks: number
  txs: number
  gas: number
  maxRssMb: number
  split?: Record<string, number>
  /** MB at the highest RSS sampled during the import (see `memorySampler`). */
  memory?: Record<string, number>
}

/**
 * Samples memory every 50 ms during the import and keeps the split at the highest RSS seen: V8
 * young generation (new space), old generation (old + code + large objects), V8 heap committed in
 * all, `external` / `arrayBuffers` (Buffers and typed arrays outside the heap, LevelDB's values
 * included), and RSS outside the V8 heap (LevelDB's block cache and memtables, the recovery
 * worker's isolate, the addon, malloc) as anonymous RSS minus the heap and array buffers.
 */
const mb = (x: number) => Math.round(x / 2 ** 20)

function anonMb(): number {
  try {
    const m = /RssAnon:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))
    return m ? Math.round(Number(m[1]) / 1024) : Number.NaN
  } catch {
    return Number.NaN
  }
}

/** The memory split now (see {@link memorySampler}). */
function memoryNow(): Record<string, number> {
  const m = process.memoryUsage()
  const spaces = getHeapSpaceStatistics()
  const space = (re: RegExp) =>
    mb(spaces.filter((x) => re.test(x.space_name)).reduce((t, x) => t + x.space_size, 0))
  const anon = anonMb()
  return {
    rss: mb(m.rss),
    heapTotal: mb(m.heapTotal),
    heapUsed: mb(m.heapUsed),
    young: space(/^new_space$/),
    old: space(/^(old|code|large_object|new_large_object|code_large_object)_space$/),
    external: mb(m.external),
    arrayBuffers: mb(m.arrayBuffers),
    anon,
    outsideHeap: anon - mb(m.heapTotal) - mb(m.arrayBuffers),
  }
}

/**
 * EXEC_BENCH_DEBUG: resident memory by mapping kind from /proc/self/smaps (MB): the brk heap
 * (main-thread malloc), malloc arenas of other threads (anonymous maps at 64 MiB-aligned
 * addresses), other anonymous maps (V8's heap among them) and files.
 */
function smapsSplit(): Record<string, number> {
  const out: Record<string, number> = { brk: 0, arenas: 0, otherAnon: 0, files: 0 }
  try {
    let kind = 'otherAnon'
    for (const line of readFileSync('/proc/self/smaps', 'utf8').split('\n')) {
      const head = /^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ \S+\s*(.*)$/.exec(line)
      if (head) {
        const size = Number.parseInt(head[2]!, 16) - Number.parseInt(head[1]!, 16)
        const name = head[3]!
        kind =
          name === '[heap]'
            ? 'brk'
            : name.startsWith('/')
              ? 'files'
              : name === '' && size <= 64 << 20 && Number.parseInt(head[1]!, 16) % (64 << 20) === 0
                ? 'arenas'
                : 'otherAnon'
        continue
      }
      const rss = /^Rss:\s+(\d+) kB/.exec(line)
      if (rss) out[kind] = (out[kind] as number) + Number(rss[1]) / 1024
    }
  } catch {}
  for (const k of Object.keys(out)) out[k] = Math.round(out[k] as number)
  return out
}

function memorySampler(): { stop(): Record<string, number> } {
  let best: Record<string, number> = { rss: 0 }
  const sample = () => {
    if (mb(process.memoryUsage.rss()) <= (best.rss as number)) return
    best = process.env.EXEC_BENCH_DEBUG ? { ...memoryNow(), ...smapsSplit() } : memoryNow()
  }
  sample()
  const timer = setInterval(sample, 50)
  return {
    stop() {
      clearInterval(timer)
      sample()
      return best
    },
  }
}

async function runOurs(g: Generated): Promise<RunResult> {
  // what the `ethwire` CLI does at startup (EXEC_BENCH_HEAP_GROWTH=0: V8's own heap growth)
  limitHeapGrowth(Number(process.env.EXEC_BENCH_HEAP_GROWTH ?? heapGrowingPercent))
  const debug = (when: string) => {
    if (!process.env.EXEC_BENCH_DEBUG) return
    const split = { ...memoryNow(), ...smapsSplit() }
    process.stderr.write(
      `${when}: max RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB; ${Object.entries(
        split,
      )
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}\n`,
    )
  }
  debug('before open')
  const dir = mkdtempSync(join(tmpdir(), 'exec-bench-ours-'))
  const pool = createRecoveryPool({ workers: Number(process.env.EXEC_BENCH_WORKERS ?? 1) })
  let ex: Awaited<ReturnType<typeof createExecutor>> | undefined
  let kvMs = 0
  const chain = await openChain(
    {
      location: dir,
      executor: async ({ db, config: c, engine }) => {
        const timed = {
          get: async (k: Uint8Array) => {
            const t0 = performance.now()
            const v = await db.get(k)
            kvMs += performance.now() - t0
            return v
          },
          getMany: async (ks: Uint8Array[]) => {
            const t0 = performance.now()
            const v = await db.getMany(ks)
            kvMs += performance.now() - t0
            return v
          },
        }
        // the node's default state cache (`stateCacheBytes` of @ethwire/node, 16 MiB) unless told
        const state = createStateDatabase(
          { db: timed },
          { cacheBytes: Number(process.env.EXEC_BENCH_CACHE_MB ?? 16) << 20 },
        )
        ex = await createExecutor(
          { state, recoverer: pool, author: (h) => engine.author(h) },
          { config: c },
        )
        return ex
      },
    },
    { genesis: g.genesis as never },
  )
  debug('after open')
  let batchMs = 0
  const batch = chain.db.batch.bind(chain.db) as (ops: never) => Promise<void>
  ;(chain.db as unknown as { batch: (ops: never) => Promise<void> }).batch = async (ops: never) => {
    const t0 = performance.now()
    await batch(ops)
    batchMs += performance.now() - t0
  }
  ex?.resetTimings()
  kvMs = 0
  const mem = memorySampler()
  const t0 = performance.now()
  await importChainFile(chain, g.file)
  const ms = performance.now() - t0
  const memory = mem.stop()
  debug('after import')
  if (process.env.EXEC_BENCH_SNAPSHOT) writeHeapSnapshot(process.env.EXEC_BENCH_SNAPSHOT)
  if (chain.currentHeader().number !== BigInt(g.blocks))
    throw new Error('import did not reach the head')
  const t = (ex as NonNullable<typeof ex>).timings()
  await chain.close()
  await pool.close()
  rmSync(dir, { recursive: true, force: true })
  const evm = t.evmMs - kvMs
  return {
    ms,
    blocks: g.blocks,
    txs: g.txs,
    gas: Number(t.gas),
    maxRssMb: process.resourceUsage().maxRSS / 1024,
    memory,
    split: {
      senderRecovery: t.senderRecoveryMs,
      evm: evm > 0 ? evm : t.evmMs,
      trieHashing: t.stateRootMs,
      receiptsBloom: t.receiptsMs,
      leveldbReads: kvMs,
      // batches are written behind execution (one in flight), so this is wall time alongside the rest
      leveldbWritesBehind: batchMs,
      chainOther: ms - t.senderRecoveryMs - t.evmMs - t.stateRootMs - t.receiptsMs,
    },
  }
}

async function runEthereumJs(g: Generated): Promise<RunResult> {
  const { createCommonFromGethGenesis } = await import('@ethereumjs/common')
  const { createVM, runBlock } = await import('@ethereumjs/vm')
  const { MerkleStateManager } = await import('@ethereumjs/statemanager')
  const { createBlockFromRLP } = await import('@ethereumjs/block')
  const { Account, Address, hexToBytes: h2b } = await import('@ethereumjs/util')
  const common = createCommonFromGethGenesis(
    {
      ...g.genesis,
      nonce: '0x0',
      timestamp: '0x0',
      extraData: '0x',
      mixHash: `0x${'00'.repeat(32)}`,
      coinbase: `0x${'00'.repeat(20)}`,
    } as never,
    { chain: 'bench' },
  )
  const stateManager = new MerkleStateManager({ common })
  const vm = await createVM({ common, stateManager })
  for (const [a, acc] of Object.entries(g.genesis.alloc)) {
    const address = new Address(h2b(a as `0x${string}`))
    await stateManager.putAccount(address, new Account(0n, BigInt(acc.balance ?? 0)))
    if (acc.code) await stateManager.putCode(address, h2b(acc.code as `0x${string}`))
    for (const [k, v] of Object.entries(acc.storage ?? {}))
      await stateManager.putStorage(
        address,
        h2b(k as `0x${string}`),
        h2b(v.length % 2 ? `0x0${v.slice(2)}` : (v as `0x${string}`)),
      )
  }
  await stateManager.checkpoint()
  await stateManager.commit()
  const raws = rlpSplitConcat(readFileSync(g.file))
  let gas = 0
  const t0 = performance.now()
  for (const raw of raws) {
    const block = createBlockFromRLP(raw, { common, setHardfork: true })
    const r = await runBlock(vm, { block, skipBlockValidation: true, skipHeaderValidation: true })
    gas += Number(r.gasUsed)
  }
  const ms = performance.now() - t0
  return {
    ms,
    blocks: raws.length,
    txs: g.txs,
    gas,
    maxRssMb: process.resourceUsage().maxRSS / 1024,
  }
}

// ---------------------------------------------------------------- driver

const g0blocks = (rs: RunResult[]) => (rs[0] as RunResult).blocks
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)] as number
}

export async function runExecBench(): Promise<void> {
  const dir = join(tmpdir(), 'ethwire-exec-bench-v1')
  mkdirSync(dir, { recursive: true })
  const heapMb = Number(process.env.EXEC_BENCH_HEAP_MB ?? 0)
  process.stdout.write(
    `node ${process.version}, load average ${loadavg()
      .map((x) => x.toFixed(2))
      .join(
        ' ',
      )}, ours with --max-old-space-size=${heapMb || 'default'}, heap growth ${process.env.EXEC_BENCH_HEAP_GROWTH ?? heapGrowingPercent} % (as the CLI), state cache ${process.env.EXEC_BENCH_CACHE_MB ?? 16} MB, recovery workers ${process.env.EXEC_BENCH_WORKERS ?? 1}\n`,
  )
  const chains = (process.env.EXEC_BENCH_CHAINS ?? 'a,b').split(',') as ('a' | 'b')[]
  for (const kind of chains) {
    const t0 = performance.now()
    const g = await generate(kind, dir)
    process.stdout.write(
      `chain (${kind}): ${g.blocks} blocks, ${g.txs} txs (ready in ${((performance.now() - t0) / 1000).toFixed(1)} s)\n`,
    )
    const rounds = Number(process.env.EXEC_BENCH_ROUNDS ?? (kind === 'a' ? 3 : 1))
    const res: Record<'ours' | 'ejs', RunResult[]> = { ours: [], ejs: [] }
    for (let r = 0; r < rounds; r++) {
      for (const who of (process.env.EXEC_BENCH_ONLY === 'ours' ? ['ours'] : ['ours', 'ejs']) as (
        | 'ours'
        | 'ejs'
      )[]) {
        // No V8 flags by default: ours bounds heap growth at run time as the `ethwire` CLI does
        // (limitHeapGrowth). EXEC_BENCH_HEAP_MB adds a --max-old-space-size cap, for comparison.
        const heap = who === 'ours' ? heapMb : 0
        const flags = heap > 0 ? [`--max-old-space-size=${heap}`] : []
        if (who === 'ours' && process.env.EXEC_BENCH_NODE_FLAGS)
          flags.push(...process.env.EXEC_BENCH_NODE_FLAGS.split(' ').filter(Boolean))
        const out = spawnSync(
          process.execPath,
          [
            ...flags,
            '--conditions=@ethwire/source',
            '--import',
            'tsx',
            self,
            '--child',
            who,
            kind,
            dir,
          ],
          {
            encoding: 'utf8',
            maxBuffer: 1 << 24,
          },
        )
        if (out.status !== 0) throw new Error(`${who} run failed: ${out.stderr}`)
        if (process.env.EXEC_BENCH_DEBUG) process.stderr.write(out.stderr)
        const line = out.stdout.trim().split('\n').pop() as string
        const rr = JSON.parse(line) as RunResult
        res[who].push(rr)
        const s = rr.ms / 1000
        process.stdout.write(
          `  round ${r} ${who === 'ours' ? 'ethwire import ' : 'ejs runBlock   '} ${(rr.blocks / s).toFixed(0).padStart(6)} blocks/s ${(rr.txs / s).toFixed(0).padStart(7)} tx/s ${(rr.gas / 1e6 / s).toFixed(1).padStart(6)} Mgas/s  peak RSS ${rr.maxRssMb.toFixed(0)} MB  (load ${loadavg()
            .map((x) => x.toFixed(2))
            .join(' ')})\n`,
        )
        if (rr.memory)
          process.stdout.write(
            `      memory MB at peak RSS: ${Object.entries(rr.memory)
              .map(([k, v]) => `${k} ${v}`)
              .join(', ')}\n`,
          )
        if (rr.split)
          process.stdout.write(
            `      split ms: ${Object.entries(rr.split)
              .map(([k, v]) => `${k} ${v.toFixed(0)}`)
              .join(', ')}\n`,
          )
      }
    }
    const mo = median(res.ours.map((r) => r.ms))
    if (res.ejs.length === 0) {
      process.stdout.write(
        `chain (${kind}) ethwire median ${(g0blocks(res.ours) / (mo / 1000)).toFixed(0)} blocks/s, peak RSS ${median(res.ours.map((r) => r.maxRssMb)).toFixed(0)} MB\n`,
      )
      continue
    }
    const me = median(res.ejs.map((r) => r.ms))
    const g0 = res.ours[0] as RunResult
    process.stdout.write(
      `chain (${kind}) medians: ethwire ${(g0.blocks / (mo / 1000)).toFixed(0)} blocks/s, ${(g0.txs / (mo / 1000)).toFixed(0)} tx/s, ${(g0.gas / 1e6 / (mo / 1000)).toFixed(1)} Mgas/s, peak RSS ${median(res.ours.map((r) => r.maxRssMb)).toFixed(0)} MB | runBlock ${(g0.blocks / (me / 1000)).toFixed(0)} blocks/s, peak RSS ${median(res.ejs.map((r) => r.maxRssMb)).toFixed(0)} MB | speed-up ${(me / mo).toFixed(2)}x\n`,
    )
  }
}

if (process.argv[2] === '--child') {
  const [who, kind, dir] = process.argv.slice(3) as ['ours' | 'ejs', 'a' | 'b', string]
  const g = await generate(kind, dir)
  const r = who === 'ours' ? await runOurs(g) : await runEthereumJs(g)
  process.stdout.write(`${JSON.stringify(r)}\n`)
  process.exit(0)
} else if (process.argv[1] === self) {
  await runExecBench()
}
