/**
 * Runs the accounts ```ts example block of the package README (the one using
 * `createAccountManager`) as its own process, with '@ethwire/node' pointed at src/index.ts (the
 * public export; the release dry run runs it against the tarball too).
 */
import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect, it } from 'vitest'

it('the README example runs', async () => {
  const pkg = join(import.meta.dirname, '..', '..')
  const readme = await readFile(join(pkg, 'README.md'), 'utf8')
  const block = [...readme.matchAll(/^```ts example\n([\s\S]*?)^```/gm)]
    .map((m) => m[1] as string)
    .find((b) => b.includes('createAccountManager'))
  expect(block).toBeDefined()
  const index = join(pkg, 'src', 'index.ts')
  const dir = await mkdtemp(join(tmpdir(), 'ethwire-readme-'))
  try {
    const file = join(dir, 'example.mts')
    await writeFile(file, block!.replaceAll("'@ethwire/node'", JSON.stringify(index)))
    const out = await new Promise<string>((resolve, reject) => {
      execFile(
        process.execPath,
        ['--conditions=@ethwire/source', '--import', 'tsx', file],
        { cwd: pkg, timeout: 30_000 },
        (err, stdout, stderr) =>
          err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout),
      )
    })
    expect(out).toMatch(/^key file .*UTC--.*--[0-9a-f]{40}$/m)
    expect(out).toMatch(/^to the pool: 2 0n$/m)
    expect(out).toMatch(/^sent 0x[0-9a-f]{64}$/m)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}, 40_000)
