/** Runs the README examples as their own processes: examples/embed.ts and examples/clients.ts. */
import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
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

it('examples/clients.ts (the README ethers / viem block) runs: both clients send and read fees', async () => {
  const pkg = join(import.meta.dirname, '..')
  const source = readFileSync(join(pkg, 'examples', 'clients.ts'), 'utf8')
  const readme = readFileSync(join(pkg, 'README.md'), 'utf8')
  const section = readme.slice(readme.indexOf('### Use it from ethers / viem'))
  const block = /^```ts\n([\s\S]*?)^```/m.exec(section)?.[1]
  expect(block).toBe(source)
  const out = await new Promise<string>((resolve, reject) => {
    execFile(
      process.execPath,
      ['--conditions=@ethwire/source', '--import', 'tsx', 'examples/clients.ts'],
      { cwd: pkg, timeout: 45_000 },
      (err, stdout, stderr) =>
        err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout),
    )
  })
  expect(out).toMatch(/^ethers: block 1 status 1$/m)
  expect(out).toMatch(/^ethers: maxFeePerGas \d+n tip \d+n$/m)
  expect(out).toMatch(/^viem: block 2n status success$/m)
  expect(out).toMatch(/^viem: balance of 0x(42){20} 2000000000000000000n$/m)
  expect(out).toMatch(/^viem: fees \{ maxFeePerGas: \d+n, maxPriorityFeePerGas: \d+n \}$/m)
}, 60_000)
