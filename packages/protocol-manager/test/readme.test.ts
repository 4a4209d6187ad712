/** The README's runnable blocks (```ts example) run from source; the reputation one prints what the README shows. */
import { execFileSync } from 'node:child_process'
import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect, it } from 'vitest'

const pkg = join(dirname(fileURLToPath(import.meta.url)), '..')

function runBlock(code: string, i: number): string {
  const file = join(pkg, `.readme-example-${process.pid}-${i}.ts`)
  writeFileSync(file, code)
  try {
    return execFileSync(
      process.execPath,
      ['--conditions=@ethwire/source', '--import', 'tsx', file],
      {
        cwd: pkg,
        encoding: 'utf8',
        timeout: 60_000,
      },
    )
  } finally {
    rmSync(file, { force: true })
  }
}

it('every runnable README block runs; the reputation one prints what the README shows', () => {
  const readme = readFileSync(join(pkg, 'README.md'), 'utf8')
  const blocks = [...readme.matchAll(/^```ts example[^\n]*\n([\s\S]*?)^```/gm)].map(
    (m) => m[1] as string,
  )
  expect(blocks.length).toBe(2)
  expect(runBlock(blocks[0]!, 0)).toContain('heads: 50n 50n')
  const out = runBlock(blocks[1]!, 1)
  const shown = /## Reputation and flood limits[\s\S]*?Output:\n\n```\n([\s\S]*?)```/.exec(
    readme,
  )?.[1]
  expect(out).toBe(shown)
}, 120_000)
