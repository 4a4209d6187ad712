import { readFile } from 'node:fs/promises'
import { expect, it } from 'vitest'

const here = new URL('..', import.meta.url)

it('the README examples are the files in examples/ (which the release dry run runs too)', async () => {
  const readme = await readFile(new URL('README.md', here), 'utf8')
  const blocks = [...readme.matchAll(/^```ts example[^\n]*\n([\s\S]*?)^```/gm)].map((m) => m[1])
  expect(blocks).toEqual([
    await readFile(new URL('examples/readme-example.ts', here), 'utf8'),
    await readFile(new URL('examples/dns-example.ts', here), 'utf8'),
  ])
})

it('examples/readme-example.ts runs: lookup, then the filtered random walk', async () => {
  const lines: string[] = []
  const log = console.log
  console.log = (...args: unknown[]) => lines.push(args.map(String).join(' '))
  try {
    await import('../examples/readme-example.js')
  } finally {
    console.log = log
  }
  expect(lines[0]).toMatch(/^our record: enr:/)
  expect(
    lines.filter((l) => l.startsWith('dial 127.0.0.1:30303 eth 0xfc64ec04/1150000')),
  ).toHaveLength(4)
}, 60_000)

it('examples/dns-example.ts runs: sync and walk a tree served on 127.0.0.1', async () => {
  const lines: string[] = []
  const log = console.log
  console.log = (...args: unknown[]) => lines.push(args.map(String).join(' '))
  try {
    await import('../examples/dns-example.js')
  } finally {
    console.log = log
  }
  expect(lines).toContain('synced seq 1 with 5 records')
  expect(lines.filter((l) => /^node 10\.0\.0\.[1-5] 30303$/.test(l))).toHaveLength(3)
})
