/** Runs examples/embed.ts (the README's embedding example) as its own process. */
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { expect, it } from 'vitest'

it('examples/embed.ts runs: a miner, a joining peer that follows it, clean exit', async () => {
  const pkg = join(import.meta.dirname, '..')
  const out = await new Promise<string>((resolve, reject) => {
    execFile(
      process.execPath,
      ['--conditions=@ethwire/source', '--import', 'tsx', 'examples/embed.ts'],
      { cwd: pkg, timeout: 45_000 },
      (err, stdout, stderr) =>
        err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout),
    )
  })
  expect(out).toMatch(/^miner JSON-RPC at http:\/\/127\.0\.0\.1:\d+$/m)
  expect(out).toMatch(/^peer head [3-9]\d*$/m)
  expect(out).toMatch(/^peer peers 0x1$/m)
  // it exits by itself after stop(): no timers or sockets left behind
  expect(out.trimEnd().endsWith('stopped')).toBe(true)
}, 60_000)
