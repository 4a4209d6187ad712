import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { expect, it } from 'vitest'

it('the README example runs', () => {
  const cwd = fileURLToPath(new URL('..', import.meta.url))
  const out = execFileSync(
    process.execPath,
    ['--conditions=@ethwire/source', '--import', 'tsx', 'examples/handshake.ts'],
    { cwd, encoding: 'utf8', timeout: 30_000 },
  )
  expect(out).toContain('fork id at block 9,500,000: 0xe029e991/0')
  expect(out).toContain('eth/68 handshake done')
  expect(out).toContain('refused: ErrNetworkIdMismatch -> disconnect UselessPeer')
})
