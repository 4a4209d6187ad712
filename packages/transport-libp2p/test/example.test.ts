import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { expect, it } from 'vitest'

it('the README example runs and exits by itself', () => {
  const cwd = fileURLToPath(new URL('..', import.meta.url))
  const out = execFileSync(
    process.execPath,
    ['--conditions=@ethwire/source', '--import', 'tsx', 'examples/loopback.ts'],
    { cwd, encoding: 'utf8', timeout: 30_000 },
  )
  expect(out).toContain('negotiated eth/68 (b sees eth/68)')
  expect(out).toContain('directions: a outbound, b inbound')
  expect(out).toContain('b got code 0x3, 1 byte(s)')
  expect(out).toContain('b saw disconnect UselessPeer (remote: true)')
})
