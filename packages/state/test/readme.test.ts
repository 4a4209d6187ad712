import { execFileSync } from 'node:child_process'
import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect, it } from 'vitest'

const pkg = join(dirname(fileURLToPath(import.meta.url)), '..')

it('the README ```ts example runs and prints what its comments say', () => {
  const readme = readFileSync(join(pkg, 'README.md'), 'utf8')
  const code = /^```ts example[^\n]*\n([\s\S]*?)^```/m.exec(readme)?.[1] as string
  expect(code).toContain('createStateDatabase')
  const file = join(pkg, `.readme-example-${process.pid}.ts`)
  writeFileSync(file, code)
  try {
    const out = execFileSync(
      process.execPath,
      ['--conditions=@ethwire/source', '--import', 'tsx', file],
      { cwd: pkg, encoding: 'utf8', timeout: 40_000 },
    )
    expect(out.trim().split('\n')).toEqual([
      'true 6',
      'undefined',
      '10n',
      '0x0000000000000000000000000000000000000000000000000000000000000001',
      '2 1n',
      '2',
    ])
  } finally {
    rmSync(file, { force: true })
  }
}, 60_000)
