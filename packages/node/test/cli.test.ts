/**
 * The CLI as a child process (spawned exactly as scripts do, through bin/ethwire.mjs): init and
 * import of the 600-block ethtest chain, an import SIGKILLed at block 300 (fed through a FIFO) and resumed, an ethash
 * genesis refused without --fakepow, export, dumpgenesis and usage errors.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { open } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Block, bytesToHex } from '@ethwire/rlp-wire'
import { afterAll, describe, expect, it } from 'vitest'
import { openDatadirChain } from '../src/datadir.js'
import { rpcCall, runCli, spawnCli } from '../src/testing.js'

const fx = (f: string) => join(import.meta.dirname, 'fixtures', f)
const headblock = JSON.parse(readFileSync(fx('headblock.json'), 'utf8')) as {
  hash: string
  number: string
}
const dirs: string[] = []
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'ethwire-cli-'))
  dirs.push(d)
  return d
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

async function canonicalHash(datadir: string, n: bigint): Promise<{ head: bigint; hash?: string }> {
  const chain = await openDatadirChain(datadir)
  try {
    await chain.verifyIntegrity()
    const h = await chain.getCanonicalHash(n)
    return { head: chain.currentHeader().number, hash: h && bytesToHex(h) }
  } finally {
    await chain.close()
  }
}

describe('ethwire CLI (child process)', () => {
  it('init + import the ethtest chain reaches block 600 with the expected hash', async () => {
    const d = tmp()
    const init = await runCli(['init', fx('genesis.json'), '--datadir', d])
    expect(init.code, init.stderr).toBe(0)
    expect(init.stderr).toMatch(/Successfully wrote genesis state/)
    const imp = await runCli(['import', fx('chain.rlp'), '--datadir', d])
    expect(imp.code, imp.stderr).toBe(0)
    expect(imp.stderr).toContain(`head=600 hash=${headblock.hash}`)
    expect(await canonicalHash(d, 600n)).toEqual({ head: 600n, hash: headblock.hash })

    // a second import only skips known blocks
    const again = await runCli(['import', fx('chain.rlp'), '--datadir', d])
    expect(again.code).toBe(0)
    expect(again.stderr).toMatch(/Import done .*inserted=0 head=600/)

    // export 1..10 round-trips the first ten blocks
    const out = join(d, 'first10.rlp')
    const exp = await runCli(['export', out, '1', '10', '--datadir', d])
    expect(exp.code, exp.stderr).toBe(0)
    const bytes = readFileSync(out)
    const original = readFileSync(fx('chain.rlp'))
    expect(Buffer.compare(bytes, original.subarray(0, bytes.length))).toBe(0)
    const first = Block.decode(
      new Uint8Array(bytes.subarray(0, bytes.length)).slice(0, itemLen(bytes)),
    )
    expect(first.header.number).toBe(1n)

    // dumpgenesis prints the genesis given to init
    const dump = await runCli(['dumpgenesis', '--datadir', d])
    expect(dump.code).toBe(0)
    expect(JSON.parse(dump.stdout)).toEqual(JSON.parse(readFileSync(fx('genesis.json'), 'utf8')))
  }, 60_000)

  it('an import SIGKILLed half-way leaves a consistent database and a second import resumes to 600', async () => {
    const d = tmp()
    expect((await runCli(['init', fx('genesis.json'), '--datadir', d])).code).toBe(0)
    // The import reads a FIFO fed only with the first `half` blocks: it cannot run past them, so
    // the kill lands at a chosen point (after the progress line for block `half`) on any machine.
    const half = 300
    const original = readFileSync(fx('chain.rlp'))
    let cut = 0
    for (let i = 0; i < half; i++) cut += itemLen(original.subarray(cut))
    const fifo = join(d, 'chain.fifo')
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0)
    const child = spawnCli([
      'import',
      fifo,
      '--datadir',
      d,
      '--import.batch',
      '2',
      '--verbosity',
      '4',
    ])
    let err = ''
    // opening a FIFO for writing completes when the child opens it for reading
    const writer = await open(fifo, 'w')
    await writer.write(original.subarray(0, cut))
    const killedAt = await new Promise<bigint>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL')
        reject(new Error(`no progress: ${err}`))
      }, 30_000)
      child.stderr?.on('data', (b: Buffer) => {
        err += b.toString()
        const heads = [...err.matchAll(/Imported batch .*head=(\d+)/g)].map((m) =>
          BigInt(m[1] as string),
        )
        if (heads.at(-1) === BigInt(half)) {
          child.kill('SIGKILL')
          clearTimeout(timer)
          resolve(BigInt(half))
        }
      })
    })
    const exit = await new Promise<NodeJS.Signals | null>((r) =>
      child.once('close', (_c, s) => r(s)),
    )
    await writer.close()
    expect(exit).toBe('SIGKILL')
    // the reopened database is consistent (verifyIntegrity) and holds exactly what was reported
    const mid = await canonicalHash(d, 600n)
    expect(mid.head).toBe(killedAt)
    expect(mid.hash).toBeUndefined()
    const resumed = await runCli(['import', fx('chain.rlp'), '--datadir', d])
    expect(resumed.code, resumed.stderr).toBe(0)
    expect(resumed.stderr).toMatch(/Import done .*inserted=300 head=600/)
    expect(await canonicalHash(d, 600n)).toEqual({ head: 600n, hash: headblock.hash })
  }, 60_000)

  it('refuses an ethash genesis without --fakepow, with a clear message, and writes nothing', async () => {
    const g = JSON.parse(readFileSync(fx('genesis.json'), 'utf8'))
    delete g.config.terminalTotalDifficulty
    delete g.config.shanghaiTime
    delete g.config.cancunTime
    delete g.config.pragueTime
    delete g.config.blobSchedule
    const d = tmp()
    const file = join(d, 'pow.json')
    writeFileSync(file, JSON.stringify(g))
    const refused = await runCli(['init', file, '--datadir', join(d, 'a')])
    expect(refused.code).toBe(1)
    expect(refused.stderr).toMatch(/proof-of-work \(ethash\).*--fakepow/)
    expect(existsSync(join(d, 'a', 'chaindata'))).toBe(false)
    const accepted = await runCli(['init', file, '--datadir', join(d, 'b'), '--fakepow'])
    expect(accepted.code, accepted.stderr).toBe(0)
    // and a node on that datadir without --fakepow is refused the same way
    const run = await runCli(['--datadir', join(d, 'b'), '--port', '0'], { timeoutMs: 30_000 })
    expect(run.code).toBe(1)
    expect(run.stderr).toMatch(/--fakepow/)
  }, 60_000)

  it('a --dev node answers JSON-RPC and stops cleanly on SIGINT (exit 0); devchain extends its chain', async () => {
    const d = tmp()
    const made = await runCli(['devchain', '300', '--datadir', d])
    expect(made.code, made.stderr).toBe(0)
    expect(made.stderr).toMatch(/Dev chain sealed +blocks=300 head=300/)
    const child = spawnCli([
      '--dev',
      '--dev.period',
      '1',
      '--datadir',
      d,
      '--http.port',
      '0',
      '--port',
      '0',
    ])
    let err = ''
    child.stderr?.on('data', (b: Buffer) => {
      err += b.toString()
    })
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no RPC url: ${err}`)), 30_000)
      const check = () => {
        const m = /HTTP server started +url=(\S+)/.exec(err)
        if (m) {
          clearTimeout(timer)
          resolve(m[1] as string)
        } else setTimeout(check, 50)
      }
      check()
    })
    // the miner continues the devchain-made chain
    const deadline = Date.now() + 15_000
    let head = 0n
    while (head <= 300n && Date.now() < deadline) {
      head = BigInt((await rpcCall(url, 'eth_blockNumber')) as string)
      if (head <= 300n) await new Promise((r) => setTimeout(r, 200))
    }
    expect(head).toBeGreaterThan(300n)
    const closed = new Promise<number | null>((r) => child.once('close', (c) => r(c)))
    child.kill('SIGINT')
    expect(await closed).toBe(0)
    expect(err).toMatch(/Got interrupt, shutting down/)
    expect(err).toMatch(/Node stopped/)
    // the database is consistent and holds what was mined
    expect((await canonicalHash(d, 0n)).head).toBeGreaterThan(300n)
  }, 60_000)

  it('usage errors exit 2; missing chain exits 1 with a hint', async () => {
    const bad = await runCli(['--no-such-flag'])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain('flag provided but not defined: -no-such-flag')
    const noArg = await runCli(['init'])
    expect(noArg.code).toBe(2)
    const d = tmp()
    const dump = await runCli(['dumpgenesis', '--datadir', d])
    expect(dump.code).toBe(1)
    expect(dump.stderr).toMatch(/no genesis in/)
    const imp = await runCli(['import', fx('chain.rlp'), '--datadir', join(d, 'empty')])
    expect(imp.code).toBe(1)
    expect(imp.stderr).toMatch(/ethwire init/)
  }, 60_000)
})

/** Length of the first RLP list item in `b`. */
function itemLen(b: Uint8Array): number {
  const p = b[0] as number
  if (p <= 0xf7) return 1 + (p - 0xc0)
  const ll = p - 0xf7
  let len = 0
  for (let i = 0; i < ll; i++) len = len * 256 + (b[1 + i] as number)
  return 1 + ll + len
}
