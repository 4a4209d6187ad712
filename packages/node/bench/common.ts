/** Shared helpers for the process-level network benches: tables, percentiles, stats, topologies. */
import type { EthwireProcess } from '../test/e2e/harness.js'

export function table(title: string, header: string[], rows: (string | number)[][]): void {
  const cells = [header, ...rows.map((r) => r.map((c) => String(c)))]
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)))
  const line = (r: string[]) =>
    `| ${r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`
  const sep = `| ${widths.map((w, i) => (i === 0 ? '-'.repeat(w) : `${'-'.repeat(w - 1)}:`)).join(' | ')} |`
  process.stdout.write(
    `\n${title}\n\n${line(cells[0]!)}\n${sep}\n${cells.slice(1).map(line).join('\n')}\n\n`,
  )
}

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN
  const s = [...values].sort((a, b) => a - b)
  const idx = Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))
  return s[idx]!
}

export const median = (v: readonly number[]) => percentile(v, 50)
export const fmt = (n: number, digits = 0) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a')
export const mb = (bytes: number | undefined) =>
  bytes === undefined ? 'n/a' : (bytes / 1024 / 1024).toFixed(0)

/** Wire counters of the node's protocol manager (pm.stats()), or undefined if the node has no such RPC. */
export type WireStats = Record<string, number>

/** Reads `debug_wireStats`; retried a few times (a busy node may time out), undefined if it never answers. */
export async function wireStats(node: EthwireProcess): Promise<WireStats | undefined> {
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const raw = await node.rpc.call<Record<string, unknown>>('debug_wireStats', [], 30_000)
      const out: WireStats = {}
      for (const [k, v] of Object.entries(raw ?? {})) {
        if (typeof v === 'number') out[k] = v
        else if (typeof v === 'string' && /^(0x[0-9a-f]+|\d+)$/i.test(v)) out[k] = Number(BigInt(v))
      }
      return out
    } catch (err) {
      log(`${node.name}: debug_wireStats failed (${(err as Error).message.split('\n')[0]})`)
      await new Promise((r) => setTimeout(r, 500))
    }
  }
  return undefined
}

export function statsDelta(
  after: WireStats | undefined,
  before: WireStats | undefined,
  key: string,
): number {
  if (!after || after[key] === undefined) return Number.NaN
  return after[key]! - (before?.[key] ?? 0)
}

/**
 * A connected random mesh: node i (i ≥ 1) dials `degree` distinct earlier nodes (fewer when
 * fewer exist). Deterministic for a given seed.
 */
export function meshDials(count: number, degree: number, seed = 7): number[][] {
  let x = seed >>> 0
  const rand = () => {
    x = (x * 1664525 + 1013904223) >>> 0
    return x / 2 ** 32
  }
  const dials: number[][] = [[]]
  for (let i = 1; i < count; i++) {
    const pool = Array.from({ length: i }, (_, j) => j)
    const picks: number[] = []
    while (picks.length < Math.min(degree, i))
      picks.push(pool.splice(Math.floor(rand() * pool.length), 1)[0]!)
    dials.push(picks.sort((a, b) => a - b))
  }
  return dials
}

export function log(msg: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`)
}
