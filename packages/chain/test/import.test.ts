import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Block, bytesToHex, rlpSplitConcat } from '@ethwire/rlp-wire'
import { afterEach, describe, expect, it } from 'vitest'
import { exportChain, importChainFile, isChainError, openChain } from '../src/index.js'

const here = dirname(fileURLToPath(import.meta.url))
const fx = (f: string) => join(here, 'fixtures', f)
const genesisJson = readFileSync(fx('genesis.json'), 'utf8')
const headBlock = JSON.parse(readFileSync(fx('headblock.json'), 'utf8')) as {
  hash: string
  number: string
}
const dirs: string[] = []
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'chain-import-'))
  dirs.push(d)
  return d
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

describe('ethtest chain', () => {
  it('genesis hash is the parent of block 1 and import reaches block 600 with the headblock hash', async () => {
    const dir = tmp()
    const chain = await openChain({ location: dir }, { genesis: genesisJson })
    const first = Block.decode(rlpSplitConcat(readFileSync(fx('chain.rlp')))[0] as Uint8Array)
    expect(bytesToHex(chain.genesis.hash)).toBe(bytesToHex(first.header.parentHash))
    expect(bytesToHex(chain.genesis.hash).startsWith('0xbd6a252a')).toBe(true)
    const heads: bigint[] = []
    chain.on((e) => {
      if (e.type === 'head') heads.push(e.header.number)
    })
    const p = await importChainFile(chain, fx('chain.rlp'), undefined, { batchBlocks: 100 })
    expect(p.read).toBe(600)
    expect(p.inserted).toBe(600)
    expect(chain.currentHeader().number).toBe(600n)
    expect(bytesToHex(chain.currentHeader().hash)).toBe(headBlock.hash)
    expect(heads).toEqual([100n, 200n, 300n, 400n, 500n, 600n])
    await chain.verifyIntegrity()
    // a second import is all known
    const again = await importChainFile(chain, fx('chain.rlp'))
    expect(again.inserted).toBe(0)
    // export round trip
    const out = join(dir, 'export.rlp')
    expect(await exportChain(chain, out, 1n, 600n)).toBe(600)
    expect(Buffer.compare(readFileSync(out), readFileSync(fx('chain.rlp')))).toBe(0)
    await chain.close()
    // reopen without genesis; a different genesis is refused
    const re = await openChain({ location: dir })
    expect(bytesToHex(re.currentHeader().hash)).toBe(headBlock.hash)
    await re.close()
    const other = JSON.parse(genesisJson)
    other.extraData = '0x01'
    await expect(openChain({ location: dir }, { genesis: other })).rejects.toSatisfy((e) =>
      isChainError(e, 'ErrGenesisMismatch'),
    )
  }, 30_000)

  it('an ethash genesis not merged at block 0 is refused without fakePow', async () => {
    const g = JSON.parse(genesisJson)
    g.config.terminalTotalDifficulty = 10_000_000
    await expect(openChain({ location: tmp() }, { genesis: g })).rejects.toSatisfy((e) =>
      isChainError(e, 'ErrUnsupportedEngine'),
    )
    const c = await openChain({ location: tmp() }, { genesis: g, fakePow: true })
    expect(c.engine.name).toBe('beacon(fakepow)')
    await c.close()
  })

  it('an import killed half-way (SIGKILL right before a chosen batch) leaves a consistent database and resumes', async () => {
    const dir = tmp()
    const init = await openChain({ location: dir }, { genesis: genesisJson })
    await init.close()
    const killAt = 153
    const child = spawn(
      process.execPath,
      [
        '--conditions=@ethwire/source',
        '--import',
        'tsx',
        join(here, 'import-child.ts'),
        dir,
        fx('chain.rlp'),
        String(killAt),
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    )
    let out = ''
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString()
    })
    const signal = await new Promise<NodeJS.Signals | null>((r) =>
      child.once('close', (_code, s) => r(s)),
    )
    expect(signal).toBe('SIGKILL')
    const m = /^batch (\d+) (\d+)$/m.exec(out)
    expect(m, out).not.toBeNull()
    const first = BigInt(m![1]!)
    // Batches of 5 from block 1: the one holding block 153 is 151..155, every run.
    expect([first, BigInt(m![2]!)]).toEqual([151n, 155n])
    expect(out).not.toContain('done')
    const chain = await openChain({ location: dir })
    // Everything before the killed batch is there, nothing of it.
    expect(chain.currentHeader().number).toBe(first - 1n)
    expect(await chain.getHeaderByNumber(first)).toBeUndefined()
    await chain.verifyIntegrity()
    const p = await importChainFile(chain, fx('chain.rlp'))
    expect(p.inserted).toBe(Number(601n - first))
    expect(bytesToHex(chain.currentHeader().hash)).toBe(headBlock.hash)
    await chain.verifyIntegrity()
    await chain.close()
  }, 60_000)
})

describe('fork fields on the ethtest chain (Cancun at 60 s, Prague at 120 s)', () => {
  it('rejects a wrong excessBlobGas, a blob-gas overflow and a missing requestsHash', async () => {
    const { BlockHeader } = await import('@ethwire/rlp-wire')
    const blocks = rlpSplitConcat(readFileSync(fx('chain.rlp'))).map((b) => Block.decode(b))
    const chain = await openChain({ location: tmp() }, { genesis: genesisJson })
    const firstPrague = blocks.findIndex((b) => b.header.requestsHash !== undefined)
    const firstCancun = blocks.findIndex((b) => b.header.excessBlobGas !== undefined)
    expect(firstCancun).toBeGreaterThan(0)
    expect(firstPrague).toBeGreaterThan(firstCancun)
    await chain.insertChain(blocks.slice(0, firstPrague))
    const next = blocks[firstPrague] as Block
    const tamper = (over: Record<string, unknown>) =>
      new Block(BlockHeader.fromData({ ...next.header.toData(), ...over }), next.body())
    const cases: [Record<string, unknown>, string][] = [
      [{ excessBlobGas: (next.header.excessBlobGas as bigint) + 131072n }, 'ErrInvalidBlobGas'],
      [{ blobGasUsed: 10n * 131072n }, 'ErrInvalidBlobGas'],
      [{ blobGasUsed: 1n }, 'ErrInvalidBlobGas'],
      [{ requestsHash: undefined }, 'ErrForkFieldMissing'],
      // Amsterdam's fields on a chain without amsterdamTime
      [{ blockAccessListHash: new Uint8Array(32) }, 'ErrForkFieldForbidden'],
      [{ blockAccessListHash: new Uint8Array(32), slotNumber: 7n }, 'ErrForkFieldForbidden'],
    ]
    for (const [over, c] of cases)
      await expect(chain.insertChain([tamper(over)]), c).rejects.toSatisfy((e) =>
        isChainError(e, c as never),
      )
    await chain.insertChain([next])
    expect(chain.currentHeader().number).toBe(next.header.number)
    await chain.close()
  })
})
