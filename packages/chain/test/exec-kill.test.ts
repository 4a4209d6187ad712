import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { bytesToHex } from '@ethwire/rlp-wire'
import { afterEach, describe, expect, it } from 'vitest'
import { importChainFile } from '../src/index.js'
import { openExecutedChain } from './executed.js'

const here = import.meta.dirname
const fx = (f: string) => join(here, 'fixtures', f)
const genesisJson = readFileSync(fx('genesis.json'), 'utf8')
const headBlock = JSON.parse(readFileSync(fx('headblock.json'), 'utf8')) as {
  hash: string
  stateRoot: string
}
const dirs: string[] = []
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

const runChild = (dir: string, killAt: number) =>
  new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    const child = spawn(
      process.execPath,
      [
        '--conditions=@ethwire/source',
        '--import',
        'tsx',
        join(here, 'exec-kill-child.ts'),
        dir,
        fx('chain.rlp'),
        String(killAt),
      ],
      { stdio: ['ignore', 'ignore', 'inherit'] },
    )
    child.on('exit', (code, signal) => resolve({ code, signal }))
  })

describe('kill -9 during an import with execution', () => {
  for (const killAt of [137]) {
    it(`killed right before block ${killAt}'s batch is written: the head has its state and the import resumes to the same head state root`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'chain-exec-kill-'))
      dirs.push(dir)
      const init = await openExecutedChain({ location: dir }, { genesis: genesisJson })
      await init.close()
      const r = await runChild(dir, killAt)
      expect(r.signal).toBe('SIGKILL')
      const chain = await openExecutedChain({ location: dir })
      const head = chain.currentHeader()
      expect(head.number).toBe(BigInt(killAt - 1))
      expect(await chain.hasState(head.stateRoot)).toBe(true)
      expect((await chain.getReceipts(head.hash))?.length).toBe(
        (await chain.getBody(head.hash))?.transactions.length,
      )
      expect(await chain.hasBlock((await chain.getHeaderByNumber(BigInt(killAt - 1)))!.hash)).toBe(
        true,
      )
      await chain.verifyIntegrity()
      const p = await importChainFile(chain, fx('chain.rlp'))
      expect(p.inserted).toBe(600 - (killAt - 1))
      expect(bytesToHex(chain.currentHeader().hash)).toBe(headBlock.hash)
      expect(bytesToHex(chain.currentHeader().stateRoot)).toBe(headBlock.stateRoot)
      expect(await chain.hasState(chain.currentHeader().stateRoot)).toBe(true)
      await chain.close()
    }, 120_000)
  }
})
