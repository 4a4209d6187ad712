import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { expect, it } from 'vitest'

it('the README example runs', () => {
  const cwd = fileURLToPath(new URL('..', import.meta.url))
  const out = execFileSync(
    process.execPath,
    ['--conditions=@ethwire/source', '--import', 'tsx', 'examples/peerset.ts'],
    { cwd, encoding: 'utf8', timeout: 30_000 },
  )
  expect(out).toContain('best peer: pipe-c')
  expect(out).toContain('deliver -> matched')
  expect(out).toContain('peer 2 received NewBlock')
  expect(out).toContain('closed; size 0')
})
