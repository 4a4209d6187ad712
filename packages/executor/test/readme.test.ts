import { execFileSync } from 'node:child_process'
import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect, it } from 'vitest'

const pkg = join(dirname(fileURLToPath(import.meta.url)), '..')

it('the README ```ts example runs and prints what the README says', () => {
  const readme = readFileSync(join(pkg, 'README.md'), 'utf8')
  const code = /^```ts example[^\n]*\n([\s\S]*?)^```/m.exec(readme)?.[1] as string
  expect(code).toContain('buildBlock')
  const file = join(pkg, `.readme-example-${process.pid}.ts`)
  writeFileSync(file, code)
  try {
    const out = execFileSync(
      process.execPath,
      ['--conditions=@ethwire/source', '--import', 'tsx', file],
      { cwd: pkg, encoding: 'utf8', timeout: 40_000 },
    )
    expect(out.trim().split('\n')).toEqual([
      '1n 1 21000n',
      'undefined Uint8Array(1) [ 1 ]',
      '1000n',
    ])
  } finally {
    rmSync(file, { force: true })
  }
}, 60_000)
