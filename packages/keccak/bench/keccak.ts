/**
 * Keccak-256 micro-benchmark: this package's WebAssembly backend against its noble fallback
 * (`@noble/hashes`, the floor) and `hash-wasm` 4.13 (the other WebAssembly build), in one process,
 * round-robin: every round times each implementation once on the same input, and the figure is
 * the median over the rounds. Two clocks: wall time, and process CPU time (less disturbed when
 * other jobs share the machine: time spent descheduled is not counted).
 *
 *   one-shot      keccak256(bytes) at 32 B (hashes/s), 500 B and 4 KiB (MB/s)
 *   batch         keccak256Many() over 256 spans against 256 one-shot calls
 *   incremental   the RLPx MAC pattern: update(16-byte seed) + digest() (non-destructive)
 *
 * Run: pnpm --filter @ethwire/keccak bench
 */
import { execSync } from 'node:child_process'
import { keccak_256 } from '@noble/hashes/sha3.js'
import { createKeccak as createHashWasmKeccak } from 'hash-wasm'
import { createKeccak } from '../src/index.js'

const rounds = Number(process.env.ROUNDS ?? 15)
const sampleMs = Number(process.env.SAMPLE_MS ?? 60)

const wasm = createKeccak({ backend: 'wasm' })
const noble = createKeccak({ backend: 'noble' })
const hw = await createHashWasmKeccak(256)
const hashWasmOneShot = (d: Uint8Array): Uint8Array => {
  hw.init()
  hw.update(d)
  return hw.digest('binary')
}

const cpuMs = (): number => {
  const u = process.cpuUsage()
  return (u.user + u.system) / 1000
}

interface Result {
  wall: number // ops per second, median
  cpu: number
}

/** Round-robin over the named functions; each op is one call of fn. */
function race(fns: Record<string, () => unknown>): Record<string, Result> {
  const names = Object.keys(fns)
  const wall: Record<string, number[]> = {}
  const cpu: Record<string, number[]> = {}
  for (const n of names) {
    wall[n] = []
    cpu[n] = []
    // warm up
    const t0 = performance.now()
    while (performance.now() - t0 < 30) fns[n]!()
  }
  const iters: Record<string, number> = {}
  for (const n of names) {
    const t0 = performance.now()
    let k = 0
    while (performance.now() - t0 < 10) {
      fns[n]!()
      k++
    }
    iters[n] = Math.max(1, Math.round((k * sampleMs) / 10))
  }
  for (let r = 0; r < rounds; r++) {
    for (const n of names) {
      const f = fns[n]!
      const it = iters[n]!
      const c0 = cpuMs()
      const t0 = performance.now()
      for (let i = 0; i < it; i++) f()
      const t1 = performance.now()
      const c1 = cpuMs()
      wall[n]!.push((it / (t1 - t0)) * 1000)
      cpu[n]!.push((it / Math.max(c1 - c0, 0.001)) * 1000)
    }
  }
  const median = (xs: number[]): number => {
    const s = [...xs].sort((a, b) => a - b)
    return s[Math.floor(s.length / 2)]!
  }
  return Object.fromEntries(names.map((n) => [n, { wall: median(wall[n]!), cpu: median(cpu[n]!) }]))
}

const fmtRate = (ops: number, bytes: number | undefined): string =>
  bytes === undefined
    ? `${Math.round(ops).toLocaleString('en').padStart(11)} hashes/s`
    : `${((ops * bytes) / 1e6).toFixed(1).padStart(8)} MB/s`

function report(title: string, res: Record<string, Result>, bytesPerOp?: number): void {
  console.log(`\n${title}`)
  const floor = res.noble!
  for (const [n, r] of Object.entries(res)) {
    console.log(
      `  ${n.padEnd(28)} wall ${fmtRate(r.wall, bytesPerOp)}  cpu ${fmtRate(r.cpu, bytesPerOp)}  ${(r.cpu / floor.cpu).toFixed(1).padStart(5)}x noble (cpu)`,
    )
  }
}

const bytes = (n: number): Uint8Array => {
  const b = new Uint8Array(n)
  for (let i = 0; i < n; i++) b[i] = (i * 131 + 7) & 0xff
  return b
}

console.log(`node ${process.version}; ${execSync('uptime').toString().trim()}`)
console.log(`${rounds} rounds of ~${sampleMs} ms per implementation, medians`)

let sink = 0
for (const size of [32, 500, 4096]) {
  const d = bytes(size)
  const res = race({
    'wasm (@ethwire/keccak)': () => (sink ^= wasm.keccak256(d)[0]!),
    noble: () => (sink ^= keccak_256(d)[0]!),
    'hash-wasm 4.13': () => (sink ^= hashWasmOneShot(d)[0]!),
  })
  report(`one-shot keccak256, ${size} B`, res, size === 32 ? undefined : size)
}

for (const size of [32, 600]) {
  const spans = Array.from({ length: 256 }, (_, i) => bytes(size + (i % 3)))
  const total = spans.reduce((n, s) => n + s.length, 0)
  const res = race({
    'wasm keccak256Many(256)': () => (sink ^= wasm.keccak256Many(spans)[255]![0]!),
    'wasm 256 x keccak256': () => {
      for (const s of spans) sink ^= wasm.keccak256(s)[0]!
    },
    noble: () => {
      for (const s of spans) sink ^= keccak_256(s)[0]!
    },
  })
  // report per span
  const perSpan = Object.fromEntries(
    Object.entries(res).map(([n, r]) => [n, { wall: r.wall * 256, cpu: r.cpu * 256 }]),
  )
  report(
    `batch of 256 spans of ~${size} B (${total} B), per span`,
    perSpan,
    size === 32 ? undefined : size,
  )
}

{
  const seed = bytes(16)
  const w = wasm.createKeccak256().update(bytes(200))
  const n = noble.createKeccak256().update(bytes(200))
  const h = hw
  h.init()
  h.update(bytes(200))
  const res = race({
    'wasm hasher': () => (sink ^= w.update(seed).digest()[0]!),
    noble: () => (sink ^= n.update(seed).digest()[0]!),
    'hash-wasm save/digest/load': () => {
      h.update(seed)
      const saved = h.save()
      sink ^= h.digest('binary')[0]!
      h.load(saved)
    },
  })
  report('incremental: update(16 B) + digest() without ending the state (RLPx MAC step)', res)
}
if (sink === 0.5) console.log(sink)
