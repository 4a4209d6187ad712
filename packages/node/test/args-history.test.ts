/** `--history.logs.disable` (go-ethereum's name): the node keeps no log index. */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { nodeConfigFromFlags, parseArgs, USAGE } from '../src/args.js'
import { devchainCommand } from '../src/commands.js'
import { silentLogger } from '../src/log.js'
import { createChainPart } from '../src/parts/chain.js'

describe('--history.logs.disable', () => {
  const root = mkdtempSync(join(tmpdir(), 'ethwire-history-'))
  afterAll(() => rmSync(root, { recursive: true, force: true }))

  it('is a boolean flag that turns the log index off in the node config', () => {
    const on = parseArgs(['--dev'])
    expect(on.flags['history.logs.disable']).toBe(false)
    expect(nodeConfigFromFlags(on.flags)).not.toHaveProperty('logsIndex')
    const off = parseArgs(['--dev', '--history.logs.disable'])
    expect(off.flags['history.logs.disable']).toBe(true)
    expect(nodeConfigFromFlags(off.flags).logsIndex).toBe(false)
    expect(
      nodeConfigFromFlags(parseArgs(['--history.logs.disable=false']).flags),
    ).not.toHaveProperty('logsIndex')
    expect(USAGE).toContain('--history.logs.disable')
  })

  it('the chain part builds no section with it, and one without it', async () => {
    // one 4,096-block section plus the 256-block confirmation depth
    const datadir = join(root, 'dev')
    const ctx = { datadir, fakePow: false, log: silentLogger, out: () => {} }
    await devchainCommand(ctx, 4096 + 256)
    const sectionsWith = async (logsIndex: boolean | undefined) => {
      const part = createChainPart({ log: silentLogger }, { datadir, dev: true, logsIndex })
      await part.start()
      try {
        await part.bloomIndex.update()
        return part.bloomIndex.sections()
      } finally {
        await part.stop()
      }
    }
    expect(await sectionsWith(false)).toBe(0)
    expect(await sectionsWith(undefined)).toBe(1)
    // the stored section is ignored too, not only left unbuilt
    expect(await sectionsWith(false)).toBe(0)
  }, 120_000)
})
