/**
 * One bench run in its own process (so peak RSS is its own): `run-one.ts <ours|mpt> <a|b>`.
 * Prints one JSON line of figures. Driven by state.ts, which runs both implementations in turn.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { keccak256 } from '@ethwire/rlp-wire'
import { Level } from 'level'
import { type Account, EMPTY_CODE_HASH, EMPTY_ROOT } from '../src/index.js'
import { type Backend, type BenchWorld, mpt, ours } from './backends.js'

const [impl, workload] = process.argv.slice(2) as ['ours' | 'mpt', 'a' | 'b']

const addrOf = (i: number) =>
  keccak256(Uint8Array.of(i >> 24, i >> 16, i >> 8, i, 0xad)).subarray(0, 20)
// made before timing, so the harness hashes nothing while measured
const addrs = new Map<number, Uint8Array>()
const addr = (i: number) => {
  let a = addrs.get(i)
  if (a === undefined) {
    a = addrOf(i)
    addrs.set(i, a)
  }
  return a
}
const word = (n: bigint) => {
  const w = new Uint8Array(32)
  for (let i = 31; n > 0n; i--, n >>= 8n) w[i] = Number(n & 0xffn)
  return w
}
const big = (w: Uint8Array) => BigInt(`0x${Buffer.from(w).toString('hex') || '0'}`)
const fund = (nonce: bigint, balance: bigint): Account => ({
  nonce,
  balance,
  storageRoot: EMPTY_ROOT,
  codeHash: EMPTY_CODE_HASH,
})

/** A seeded xorshift so both implementations see the same blocks. */
let seed = 0x9e3779b9
const rnd = (n: number) => {
  seed ^= seed << 13
  seed ^= seed >>> 17
  seed ^= seed << 5
  return (seed >>> 0) % n
}

const location = mkdtempSync(join(tmpdir(), `ethwire-state-bench-${impl}-`))
const level = new Level<Uint8Array, Uint8Array>(location, {
  keyEncoding: 'view',
  valueEncoding: 'view',
})
await level.open()

let writeMs = 0
let opsWritten = 0
let bytesWritten = 0
let hashMs = 0
async function commit(b: Backend, w: BenchWorld): Promise<Uint8Array> {
  const t0 = performance.now()
  const c = await w.commit()
  hashMs += performance.now() - t0
  const t1 = performance.now()
  await level.batch(c.ops)
  b.written(c.ops)
  writeMs += performance.now() - t1
  opsWritten += c.ops.length
  for (const op of c.ops) bytesWritten += op.key.length + op.value.length
  return c.root
}

const backend = impl === 'ours' ? ours(level) : await mpt(level)
const out: Record<string, number | string> = { impl, workload }

if (workload === 'a') {
  // (a) a small private chain: one funded key sends 3 transfers a block to a few recipients.
  const blocks = 2000
  const sender = addr(0)
  const recipients = Array.from({ length: 8 }, (_, i) => addr(i + 1))
  let w = await backend.open(EMPTY_ROOT)
  await w.setAccount(sender, fund(0n, 10n ** 24n))
  let root = await commit(backend, w)
  const t0 = performance.now()
  let updates = 0
  for (let b = 0; b < blocks; b++) {
    w = await backend.open(root)
    for (let tx = 0; tx < 3; tx++) {
      const to = recipients[rnd(recipients.length)]!
      const s = (await w.getAccount(sender))!
      await w.setAccount(sender, {
        ...s,
        nonce: s.nonce + 1n,
        balance: s.balance - 21000n * 7n - 1000n,
      })
      const r = (await w.getAccount(to)) ?? fund(0n, 0n)
      await w.setAccount(to, { ...r, balance: r.balance + 1000n })
      updates += 2
    }
    const cb = addr(99)
    const c = (await w.getAccount(cb)) ?? fund(0n, 0n)
    await w.setAccount(cb, { ...c, balance: c.balance + 3n * 21000n * 7n })
    updates++
    root = await commit(backend, w)
  }
  const ms = performance.now() - t0
  out.blocks = blocks
  out.blocksPerSec = (blocks * 1000) / ms
  out.updatesPerSec = (updates * 1000) / ms
  out.hashCommitMsPerBlock = hashMs / blocks
  out.writeMsPerBlock = writeMs / blocks
  out.opsPerBlock = opsWritten / (blocks + 1)
  out.bytesPerBlock = bytesWritten / (blocks + 1)
  out.storeReadsPerBlock = backend.storeReads() / blocks
  // reads at the head
  const t2 = performance.now()
  const reads = 20_000
  for (let i = 0; i < reads; i++) await backend.read(root, recipients[i % recipients.length]!)
  out.readsPerSec = (reads * 1000) / (performance.now() - t2)
} else {
  // (b) 10,000 accounts and one ERC-20 with a balance slot for each; 100 transfers a block.
  const holders = 10_000
  const blocks = Number(process.env.BENCH_BLOCKS ?? 200)
  const perBlock = 100
  const token = addr(1_000_000)
  const slots = Array.from({ length: holders }, (_, i) => keccak256(word(BigInt(i) + (1n << 200n))))
  const slotOf = (i: number) => slots[i]!
  for (let i = 0; i < holders; i++) addr(i)
  let w = await backend.open(EMPTY_ROOT)
  const t0 = performance.now()
  for (let i = 0; i < holders; i++) {
    await w.setAccount(addr(i), fund(0n, 10n ** 20n))
    await w.setStorage(token, slotOf(i), word(1_000_000n))
  }
  await w.setAccount(token, { ...fund(1n, 0n), codeHash: keccak256(Uint8Array.of(0x60)) })
  let root = await commit(backend, w)
  const setupMs = performance.now() - t0
  out.setupInserts = holders * 2
  out.insertsPerSec = (holders * 2 * 1000) / setupMs
  hashMs = 0
  writeMs = 0
  const reads0 = backend.storeReads()
  opsWritten = 0
  bytesWritten = 0
  const t1 = performance.now()
  let updates = 0
  for (let b = 0; b < blocks; b++) {
    w = await backend.open(root)
    for (let tx = 0; tx < perBlock; tx++) {
      const from = rnd(holders)
      const to = rnd(holders)
      const s = (await w.getAccount(addr(from)))!
      await w.setAccount(addr(from), {
        ...s,
        nonce: s.nonce + 1n,
        balance: s.balance - 50_000n * 7n,
      })
      const fb = big(await w.getStorage(token, slotOf(from)))
      const tb = big(await w.getStorage(token, slotOf(to)))
      const amount = fb > 0n ? 1n : 0n
      await w.setStorage(token, slotOf(from), word(fb - amount))
      await w.setStorage(token, slotOf(to), word(tb + amount))
      updates += 3
    }
    const tok = (await w.getAccount(token))!
    await w.setAccount(token, tok)
    const cb = addr(2_000_000)
    const c = (await w.getAccount(cb)) ?? fund(0n, 0n)
    await w.setAccount(cb, { ...c, balance: c.balance + 100n * 50_000n * 7n })
    updates += 2
    root = await commit(backend, w)
  }
  const ms = performance.now() - t1
  out.blocks = blocks
  out.blocksPerSec = (blocks * 1000) / ms
  out.updatesPerSec = (updates * 1000) / ms
  out.hashCommitMsPerBlock = hashMs / blocks
  out.writeMsPerBlock = writeMs / blocks
  out.opsPerBlock = opsWritten / blocks
  out.bytesPerBlock = bytesWritten / blocks
  out.storeReadsPerBlock = (backend.storeReads() - reads0) / blocks
  const t2 = performance.now()
  const reads = 20_000
  for (let i = 0; i < reads; i++) {
    const h = rnd(holders)
    await backend.read(root, i % 2 ? addr(h) : token, i % 2 ? undefined : slotOf(h))
  }
  out.readsPerSec = (reads * 1000) / (performance.now() - t2)
}

out.peakRssMB = process.resourceUsage().maxRSS / 1024
await level.close()
rmSync(location, { recursive: true, force: true })
console.log(JSON.stringify(out))
