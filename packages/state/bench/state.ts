/**
 * State benchmark: @ethwire/state's own trie against @ethereumjs/mpt behind the same interface, side
 * by side in the same run, each run in its own process (peak RSS is per run), over a real LevelDB:
 *
 *   (a) a small private chain: 2,000 blocks of 3 transfers from one key to a few recipients
 *   (b) 10,000 accounts and an ERC-20 with a balance slot each; 200 blocks of 100 transfers
 *
 * Per run: blocks/s, account+slot updates/s, time in root+commit (hashing) and in the LevelDB batch
 * per block, ops and bytes written per block, node reads that reached LevelDB, reads/s at the
 * head, setup inserts/s (b), peak RSS. Medians over the rounds; order alternates each round.
 *
 * Run: pnpm --filter @ethwire/state bench [-- --rounds 3] [-- --only a|b]
 */
import { execFileSync } from 'node:child_process'
import { loadavg } from 'node:os'
import { fileURLToPath } from 'node:url'

const args = process.argv.slice(2)
const rounds = Number(args[args.indexOf('--rounds') + 1] || 3)
const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : undefined
const workloads = (only ? [only] : ['a', 'b']) as ('a' | 'b')[]
const script = fileURLToPath(new URL('./run-one.ts', import.meta.url))

type Row = Record<string, number | string>
const results = new Map<string, Row[]>()
for (let r = 0; r < rounds; r++) {
  for (const w of workloads) {
    const impls = r % 2 === 0 ? ['ours', 'mpt'] : ['mpt', 'ours']
    for (const impl of impls) {
      const load = loadavg()[0]!.toFixed(2)
      const out = execFileSync(
        process.execPath,
        ['--conditions=@ethwire/source', '--import', 'tsx', script, impl, w],
        { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
      )
      const row = JSON.parse(out.trim().split('\n').pop()!) as Row
      row.load1 = load
      const k = `${w}/${impl}`
      results.set(k, [...(results.get(k) ?? []), row])
      console.error(`round ${r + 1} ${k}: ${out.trim()} (load ${load})`)
    }
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2
}
const fields: [string, string, number][] = [
  ['insertsPerSec', 'setup inserts/s', 0],
  ['blocksPerSec', 'blocks/s', 1],
  ['updatesPerSec', 'updates/s', 0],
  ['hashCommitMsPerBlock', 'root+commit ms/block', 2],
  ['writeMsPerBlock', 'LevelDB batch ms/block', 2],
  ['opsPerBlock', 'ops/block', 0],
  ['bytesPerBlock', 'bytes written/block', 0],
  ['storeReadsPerBlock', 'LevelDB node reads/block', 1],
  ['readsPerSec', 'reads/s at head', 0],
  ['peakRssMB', 'peak RSS MB', 0],
]
for (const w of workloads) {
  const ours = results.get(`${w}/ours`)!
  const mpt = results.get(`${w}/mpt`)!
  console.log(
    `\n(${w}) medians of ${rounds} rounds; load (1 min) ${ours.map((r) => r.load1).join(', ')} / ${mpt.map((r) => r.load1).join(', ')}`,
  )
  console.log('| figure | ours | @ethereumjs/mpt | ours ÷ mpt |')
  console.log('| --- | ---: | ---: | ---: |')
  for (const [f, label, digits] of fields) {
    if (ours[0]![f] === undefined) continue
    const a = median(ours.map((r) => Number(r[f])))
    const b = median(mpt.map((r) => Number(r[f])))
    console.log(
      `| ${label} | ${a.toFixed(digits)} | ${b.toFixed(digits)} | ${(a / b).toFixed(2)} |`,
    )
  }
}
