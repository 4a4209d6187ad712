import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { expect, it } from 'vitest'

it('the README example runs', () => {
  const cwd = fileURLToPath(new URL('..', import.meta.url))
  const out = execFileSync(
    process.execPath,
    ['--conditions=@ethwire/source', '--import', 'tsx', 'examples/two-nodes.ts'],
    { cwd, encoding: 'utf8', timeout: 60_000 },
  )
  expect(out).toContain('b synced 200 blocks from a')
  expect(out).toContain('heads: 200 200 200')
  expect(out).toContain('after mining on a: 201 201 201')
  expect(out).toContain('c imported by the block fetcher: 1')
})
