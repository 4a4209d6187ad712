/** `ethwire account new | list | import` as a child process, through bin/ethwire.mjs. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { runCli } from '../src/testing.js'

const root = mkdtempSync(join(tmpdir(), 'ethwire-acct-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))

describe('ethwire account (child process)', () => {
  it('new, import and list over one keystore', async () => {
    const datadir = join(root, 'd')
    const pw = join(root, 'pw')
    writeFileSync(pw, 'secret\n')
    const made = await runCli(
      ['account', 'new', '--datadir', datadir, '--lightkdf', '--password', pw],
      {
        timeoutMs: 60_000,
      },
    )
    expect(made.code).toBe(0)
    const address = /0x[0-9a-fA-F]{40}/.exec(made.stdout)?.[0]
    expect(address).toBeTruthy()
    const key = join(root, 'key.txt')
    writeFileSync(key, `${'4c'.repeat(32)}\n`)
    const imported = await runCli(
      ['account', 'import', key, '--datadir', datadir, '--lightkdf', '--password', pw],
      { timeoutMs: 60_000 },
    )
    expect(imported.code).toBe(0)
    expect(imported.stdout).toMatch(/^Address: \{[0-9a-f]{40}\}/)
    const list = await runCli(['account', 'list', '--datadir', datadir], { timeoutMs: 60_000 })
    expect(list.code).toBe(0)
    const lines = list.stdout.trim().split('\n')
    expect(lines).toHaveLength(2)
    expect(list.stdout.toLowerCase()).toContain((address as string).slice(2).toLowerCase())
    expect(lines[0]).toMatch(/^Account #0: \{[0-9a-f]{40}\} keystore:\/\//)
  })

  it('refuses new without --password and an unknown subcommand', async () => {
    const datadir = join(root, 'e')
    const r = await runCli(['account', 'new', '--datadir', datadir], { timeoutMs: 60_000 })
    expect(r.code).toBe(1)
    expect(r.stderr).toContain('--password <file>')
    const u = await runCli(['account', 'frob', '--datadir', datadir], { timeoutMs: 60_000 })
    expect(u.code).toBe(1)
    expect(u.stderr).toContain('usage: ethwire account')
  })
})
