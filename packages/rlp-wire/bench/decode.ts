/**
 * Decode benchmark: a BlockHeaders message of 192 mainnet-like (Prague, 21-field) headers and a
 * BlockBodies message of 128 bodies × 150 transactions, both eth/68 with a request id.
 *
 *   typed  — decodeMessage() to BlockHeader / Transaction objects, plus every header (or tx) hash
 *            (rlp-wire's keccak256, i.e. @ethwire/keccak: WebAssembly here)
 *   floor  — @ethereumjs/rlp decode of the same bytes plus one keccak per header (or tx) over its
 *            byte span (spans found before timing: the floor does no re-encoding). Timed twice:
 *            with @noble/hashes keccak_256 called directly (the floor as it was before
 *            @ethwire/keccak, the baseline of the speed targets) and with the WebAssembly keccak.
 *   ejs    — @ethereumjs/block createBlockHeaderFromBytesArray() on the decoded values + .hash()
 *
 * Cases run round-robin (see run()); each figure is a median.
 *
 * Run: pnpm --filter @ethwire/rlp-wire bench
 */
import { execSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { createBlockHeaderFromBytesArray } from '@ethereumjs/block'
import { Common, Hardfork, Mainnet } from '@ethereumjs/common'
import { RLP } from '@ethereumjs/rlp'
import { keccakBackend } from '@ethwire/keccak'
import { keccak_256 as nobleKeccak } from '@noble/hashes/sha3.js'
import {
  type BlockBody,
  BlockHeader,
  decodeMessage,
  EMPTY_UNCLE_HASH,
  encodeMessage,
  keccak256,
  rlpListElements,
  Transaction,
  type TxType,
} from '../src/index.js'
import { Rand } from '../src/testing.js'

const r = new Rand(2026)

function mainnetHeader(n: number): BlockHeader {
  return BlockHeader.fromData({
    parentHash: r.bytes(32),
    uncleHash: EMPTY_UNCLE_HASH,
    coinbase: r.bytes(20),
    stateRoot: r.bytes(32),
    txRoot: r.bytes(32),
    receiptRoot: r.bytes(32),
    bloom: r.bytes(256), // mainnet blooms are dense
    difficulty: 0n,
    number: 22_000_000n + BigInt(n),
    gasLimit: 36_000_000n,
    gasUsed: 15_000_000n + BigInt(r.int(20_000_000)),
    time: 1_750_000_000n + BigInt(12 * n),
    extra: r.bytes(r.int(33)),
    mixDigest: r.bytes(32),
    nonce: new Uint8Array(8),
    baseFee: BigInt(1_000_000_000 + r.int(5_000_000_000)),
    withdrawalsRoot: r.bytes(32),
    blobGasUsed: BigInt(131072 * r.int(7)),
    excessBlobGas: BigInt(r.int(100_000_000)),
    parentBeaconRoot: r.bytes(32),
    requestsHash: r.bytes(32),
  })
}

function big(bytes: number): bigint {
  return BigInt('0x' + Buffer.from(r.bytes(bytes)).toString('hex')) | 1n
}

function mainnetTx(): Transaction {
  const p = r.int(100)
  const type: TxType = p < 70 ? 2 : p < 90 ? 0 : p < 93 ? 1 : p < 96 ? 3 : 4
  const kind = r.int(10)
  const dataLen = kind < 3 ? 0 : kind < 6 ? 68 : 100 + r.int(900)
  const base = {
    nonce: BigInt(r.int(100_000)),
    gasLimit: BigInt(21_000 + r.int(500_000)),
    to: r.bytes(20),
    value: kind < 3 ? big(8) : 0n,
    data: r.bytes(dataLen),
    r: big(32),
    s: big(31),
  }
  const fees = { maxPriorityFeePerGas: BigInt(r.int(2e9)), maxFeePerGas: BigInt(r.int(5e10)) }
  const accessList =
    r.int(5) === 0 ? [{ address: r.bytes(20), storageKeys: [r.bytes(32), r.bytes(32)] }] : []
  switch (type) {
    case 0:
      return Transaction.fromData({
        type,
        ...base,
        gasPrice: BigInt(r.int(5e10)),
        v: 37n + BigInt(r.int(2)),
      })
    case 1:
      return Transaction.fromData({
        type,
        ...base,
        chainId: 1n,
        gasPrice: BigInt(r.int(5e10)),
        accessList,
        v: 1n,
      })
    case 2:
      return Transaction.fromData({
        type,
        ...base,
        chainId: 1n,
        ...fees,
        accessList,
        v: BigInt(r.int(2)),
      })
    case 3:
      return Transaction.fromData({
        type,
        ...base,
        chainId: 1n,
        ...fees,
        accessList,
        v: 0n,
        maxFeePerBlobGas: BigInt(r.int(1e9)),
        blobVersionedHashes: [r.bytes(32), r.bytes(32)],
      })
    default:
      return Transaction.fromData({
        type,
        ...base,
        chainId: 1n,
        ...fees,
        accessList,
        v: 1n,
        authorizationList: [
          { chainId: 1n, address: r.bytes(20), nonce: 1n, yParity: 0n, r: big(32), s: big(32) },
        ],
      })
  }
}

const headers = Array.from({ length: 192 }, (_, i) => mainnetHeader(i))
const headersMsg = encodeMessage(68, { name: 'BlockHeaders', requestId: 42n, headers })
const bodies: BlockBody[] = Array.from({ length: 128 }, () => ({
  transactions: Array.from({ length: 150 }, mainnetTx),
  uncles: [],
  withdrawals: Array.from({ length: 16 }, () => ({
    index: BigInt(r.int(1e8)),
    validatorIndex: BigInt(r.int(2e6)),
    address: r.bytes(20),
    amount: BigInt(r.int(1e8)),
  })),
}))
const bodiesMsg = encodeMessage(68, { name: 'BlockBodies', requestId: 43n, bodies })

// Spans for the floor's keccaks, found once outside the timed region.
const headerSpans = rlpListElements(rlpListElements(headersMsg.payload)[1]!)
const txSpans = rlpListElements(rlpListElements(bodiesMsg.payload)[1]!).flatMap((b) =>
  rlpListElements(rlpListElements(b)[0]!).map((raw) =>
    raw[0]! >= 0xc0 ? raw : raw.subarray(raw[0]! > 0xb7 ? 1 + raw[0]! - 0xb7 : 1),
  ),
)
const common = new Common({ chain: Mainnet, hardfork: Hardfork.Prague })

interface Case {
  name: string
  fn: () => number
}
const bench = (name: string, fn: () => number): Case => ({ name, fn })

const cpuMs = (): number => {
  const u = process.cpuUsage()
  return (u.user + u.system) / 1000
}

/**
 * Times the cases round-robin (each case ~2.5 s in all, spread over `rounds` turns), so a burst of
 * load from other jobs on the machine hits every case alike. Each sample is timed twice: wall
 * clock, and this process's CPU time. Under heavy load the wall median favours short cases (a
 * 0.3 ms sample often runs between two preemptions, a 20 ms one rarely does); CPU time does not
 * count the time spent descheduled, so the ratios below are taken from it.
 */
function run(cases: Case[], rounds = 10): { name: string; ms: number; cpu: number }[] {
  for (const c of cases) for (let i = 0; i < 5; i++) c.fn() // warm up
  const wall = cases.map((): number[] => [])
  const cpu = cases.map((): number[] => [])
  for (let r = 0; r < rounds; r++) {
    cases.forEach((c, i) => {
      const until = performance.now() + 2500 / rounds
      do {
        const c0 = cpuMs()
        const t0 = performance.now()
        c.fn()
        wall[i]!.push(performance.now() - t0)
        cpu[i]!.push(cpuMs() - c0)
      } while (performance.now() < until)
    })
  }
  const median = (xs: number[]): number => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
  return cases.map((c, i) => ({ name: c.name, ms: median(wall[i]!), cpu: median(cpu[i]!) }))
}

let sink = 0
const headerRuns = run([
  bench('typed decode + hash (rlp-wire)', () => {
    const m = decodeMessage(68, { code: headersMsg.code, payload: headersMsg.payload })
    if (m.name !== 'BlockHeaders') throw new Error()
    for (const h of m.headers) sink ^= h.hash[0]!
    return m.headers.length
  }),
  bench('floor: @ethereumjs/rlp decode + noble keccak', () => {
    const d = RLP.decode(headersMsg.payload) as Uint8Array[][]
    for (const s of headerSpans) sink ^= nobleKeccak(s)[0]!
    return (d[1] as unknown as unknown[]).length
  }),
  bench('floor: @ethereumjs/rlp decode + wasm keccak', () => {
    const d = RLP.decode(headersMsg.payload) as Uint8Array[][]
    for (const s of headerSpans) sink ^= keccak256(s)[0]!
    return (d[1] as unknown as unknown[]).length
  }),
  bench('@ethereumjs/block header from bytes + hash()', () => {
    const d = RLP.decode(headersMsg.payload) as unknown as [Uint8Array, Uint8Array[][]]
    for (const values of d[1])
      sink ^= createBlockHeaderFromBytesArray(values as never, { common }).hash()[0]!
    return d[1].length
  }),
  bench('keccak only (192 header spans), wasm', () => {
    for (const s of headerSpans) sink ^= keccak256(s)[0]!
    return headerSpans.length
  }),
  bench('keccak only (192 header spans), noble', () => {
    for (const s of headerSpans) sink ^= nobleKeccak(s)[0]!
    return headerSpans.length
  }),
  bench('typed decode, no hashes (rlp-wire)', () => {
    const m = decodeMessage(68, { code: headersMsg.code, payload: headersMsg.payload })
    return m.name === 'BlockHeaders' ? m.headers.length : 0
  }),
  bench('native sha3-256 (node:crypto) over the same spans', () => {
    for (const s of headerSpans) sink ^= createHash('sha3-256').update(s).digest()[0]!
    return headerSpans.length
  }),
])
const ntx = txSpans.length
const bodyRuns = run([
  bench('typed decode + tx hashes (rlp-wire)', () => {
    const m = decodeMessage(68, { code: bodiesMsg.code, payload: bodiesMsg.payload })
    if (m.name !== 'BlockBodies') throw new Error()
    for (const b of m.bodies) for (const t of b.transactions) sink ^= t.hash[0]!
    return m.bodies.length
  }),
  bench('typed decode, no hashes (rlp-wire)', () => {
    const m = decodeMessage(68, { code: bodiesMsg.code, payload: bodiesMsg.payload })
    return m.name === 'BlockBodies' ? m.bodies.length : 0
  }),
  bench('floor: @ethereumjs/rlp decode + noble keccak', () => {
    RLP.decode(bodiesMsg.payload)
    for (const s of txSpans) sink ^= nobleKeccak(s)[0]!
    return ntx
  }),
  bench('floor: @ethereumjs/rlp decode + wasm keccak', () => {
    RLP.decode(bodiesMsg.payload)
    for (const s of txSpans) sink ^= keccak256(s)[0]!
    return ntx
  }),
  bench('keccak only (19200 tx spans), wasm', () => {
    for (const s of txSpans) sink ^= keccak256(s)[0]!
    return ntx
  }),
  bench('keccak only (19200 tx spans), noble', () => {
    for (const s of txSpans) sink ^= nobleKeccak(s)[0]!
    return ntx
  }),
])

const mb = (bytes: number, ms: number) => ((bytes / ms) * 1000) / 1e6
const load = execSync('uptime').toString().trim()
console.log(`node ${process.version}; ${load}; keccak backend: ${keccakBackend()}`)
console.log(`\nBlockHeaders: 192 headers, ${headersMsg.payload.length} bytes`)
type Run = (typeof headerRuns)[0]
const [typedH, floorNobleH, floorH, ejsH, keccakH, , noHashH, sha3H] = headerRuns as [
  Run,
  Run,
  Run,
  Run,
  Run,
  Run,
  Run,
  Run,
]
const row = (x: Run, units: number, unit: string, bytes: number): string =>
  `  ${x.name.padEnd(52)} ${x.ms.toFixed(3).padStart(9)} ms ${x.cpu.toFixed(3).padStart(9)} ms cpu  ${Math.round(
    (units / x.cpu) * 1000,
  )
    .toLocaleString('en')
    .padStart(10)} ${unit}  ${mb(bytes, x.cpu).toFixed(1).padStart(7)} MB/s`
const x2 = (slow: Run, fast: Run): string =>
  `${(slow.cpu / fast.cpu).toFixed(2)}x (wall ${(slow.ms / fast.ms).toFixed(2)}x)`
console.log(
  `  ${''.padEnd(52)} ${'wall'.padStart(12)} ${'cpu'.padStart(12)}      (rates from cpu time)`,
)
for (const x of headerRuns) console.log(row(x, 192, 'headers/s', headersMsg.payload.length))
console.log(
  `  typed vs noble floor: ${x2(floorNobleH, typedH)} faster (target >= 5x); typed / wasm floor = ${(typedH.cpu / floorH.cpu).toFixed(2)}x (target <= 1.3x); ejs / typed = ${(ejsH.cpu / typedH.cpu).toFixed(2)}x (target >= 2x); keccak share of typed = ${((keccakH.cpu / typedH.cpu) * 100).toFixed(0)}%`,
)
const withNative = noHashH.cpu + sha3H.cpu
console.log(
  `  with a native keccak (sha3-256 has the same permutation; proxy): ~${withNative.toFixed(3)} ms = ${Math.round((192 / withNative) * 1000).toLocaleString('en')} headers/s, ${(typedH.cpu / withNative).toFixed(1)}x faster`,
)
console.log(
  `\nBlockBodies: 128 bodies x 150 txs (+16 withdrawals each), ${bodiesMsg.payload.length} bytes`,
)
for (const x of bodyRuns) console.log(row(x, ntx, 'txs/s    ', bodiesMsg.payload.length))
const [typedB, , floorNobleB, floorB, keccakB] = bodyRuns as [Run, Run, Run, Run, Run, Run]
console.log(
  `  typed vs noble floor: ${x2(floorNobleB, typedB)} faster (target >= 3x); typed / wasm floor = ${(typedB.cpu / floorB.cpu).toFixed(2)}x; keccak share of typed = ${((keccakB.cpu / typedB.cpu) * 100).toFixed(0)}%`,
)
if (sink === 0.5) console.log(sink)
