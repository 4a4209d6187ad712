import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { importChainFile } from '@ethwire/chain'
import { bytesToHex } from '@ethwire/rlp-wire'
import { afterEach, describe, expect, it } from 'vitest'
import { openExecutedChain } from './executed.js'

const here = import.meta.dirname
const fx = (f: string) => join(here, '..', 'fixtures', `ethtest-${f}`)
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
  new Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string }>((resolve) => {
    let out = ''
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
      { stdio: ['ignore', 'pipe', 'inherit'] },
    )
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString()
    })
    child.on('close', (code, signal) => resolve({ code, signal, out }))
  })

describe('kill -9 during an import with execution', () => {
  for (const killAt of [137]) {
    it(`killed right before the batch holding block ${killAt} is written: the head has its state and the import resumes to the same head state root`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'chain-exec-kill-'))
      dirs.push(dir)
      const init = await openExecutedChain({ location: dir }, { genesis: genesisJson })
      await init.close()
      const r = await runChild(dir, killAt)
      expect(r.signal).toBe('SIGKILL')
      const m = /^batch (\d+) (\d+)$/m.exec(r.out)
      expect(m, r.out).not.toBeNull()
      const first = BigInt(m![1]!)
      expect(first).toBeLessThanOrEqual(BigInt(killAt))
      const chain = await openExecutedChain({ location: dir })
      const head = chain.currentHeader()
      // Nothing of the killed batch is there; everything before it is, with its state.
      expect(head.number).toBe(first - 1n)
      expect(head.number).toBeGreaterThan(0n)
      expect(await chain.hasState(head.stateRoot)).toBe(true)
      expect((await chain.getReceipts(head.hash))?.length).toBe(
        (await chain.getBody(head.hash))?.transactions.length,
      )
      expect(await chain.getHeaderByNumber(first)).toBeUndefined()
      await chain.verifyIntegrity()
      const p = await importChainFile(chain, fx('chain.rlp'))
      expect(p.inserted).toBe(600 - Number(head.number))
      expect(bytesToHex(chain.currentHeader().hash)).toBe(headBlock.hash)
      expect(bytesToHex(chain.currentHeader().stateRoot)).toBe(headBlock.stateRoot)
      expect(await chain.hasState(chain.currentHeader().stateRoot)).toBe(true)
      await chain.close()
    }, 120_000)
  }
})
