import { execFileSync } from 'node:child_process'
import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect, it } from 'vitest'

const pkg = join(dirname(fileURLToPath(import.meta.url)), '..')

it('the README example runs and reaches the ethtest head', () => {
  const readme = readFileSync(join(pkg, 'README.md'), 'utf8')
  const code = /```ts\n([\s\S]*?)```/.exec(readme)?.[1] as string
  const file = join(pkg, `.readme-example-${process.pid}.ts`)
  writeFileSync(file, code)
  try {
    const out = execFileSync(
      process.execPath,
      ['--conditions=@ethwire/source', '--import', 'tsx', file],
      {
        cwd: pkg,
        encoding: 'utf8',
        timeout: 40_000,
      },
    )
    const head = JSON.parse(readFileSync(join(pkg, 'test/fixtures/headblock.json'), 'utf8')) as {
      hash: string
    }
    expect(out).toContain('genesis 0xbd6a252a')
    expect(out).toContain(`head 600 ${head.hash}`)
  } finally {
    rmSync(file, { force: true })
  }
}, 60_000)
