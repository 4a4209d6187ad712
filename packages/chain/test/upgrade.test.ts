// Opening a database written by another build or with another genesis config: the layout version
// (a newer one refused, an unversioned one migrated) and go-ethereum's config compatibility check
// (a change to a passed fork rewinds the head below it, with a log line saying why).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { rlpEncode } from '@ethwire/rlp-wire'
import { Level } from 'level'
import { afterEach, describe, expect, it } from 'vitest'
import {
  checkCompatible,
  constants,
  type GenesisJson,
  importChainFile,
  isChainError,
  openChain,
  parseGenesis,
} from '../src/index.js'
import { keyDatabaseVersion } from '../src/schema.js'

const fx = (f: string) => join(import.meta.dirname, 'fixtures', f)
const genesis = parseGenesis(readFileSync(fx('genesis.json'), 'utf8'))
const dirs: string[] = []
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

async function importedChain(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'chain-upgrade-'))
  dirs.push(dir)
  const chain = await openChain({ location: dir }, { genesis })
  await importChainFile(chain, fx('chain.rlp'))
  expect(chain.currentHeader().number).toBe(600n)
  await chain.close()
  return dir
}

async function rawPut(dir: string, key: Uint8Array, value: Uint8Array | undefined) {
  const db = new Level<Uint8Array, Uint8Array>(dir, { keyEncoding: 'view', valueEncoding: 'view' })
  await db.open()
  if (value) await db.put(key, value)
  else await db.del(key)
  await db.close()
}

const withConfig = (patch: Record<string, unknown>): GenesisJson => ({
  ...genesis,
  config: { ...genesis.config, ...patch },
})

function recorder() {
  const lines: { level: string; message: string; context?: Record<string, unknown> }[] = []
  return {
    lines,
    logger: {
      info: (message: string, context?: Record<string, unknown>) =>
        lines.push({ level: 'info', message, context }),
      warn: (message: string, context?: Record<string, unknown>) =>
        lines.push({ level: 'warn', message, context }),
    },
  }
}

describe('database version', () => {
  it('a new database records the version; a newer one is refused; an unversioned one is migrated', async () => {
    const dir = await importedChain()
    const db = new Level<Uint8Array, Uint8Array>(dir, {
      keyEncoding: 'view',
      valueEncoding: 'view',
    })
    await db.open()
    expect(new Uint8Array((await db.get(keyDatabaseVersion)) as Uint8Array)).toEqual(
      rlpEncode(BigInt(constants.databaseVersion)),
    )
    await db.close()

    await rawPut(dir, keyDatabaseVersion, rlpEncode(BigInt(constants.databaseVersion + 1)))
    const err = await openChain({ location: dir }).catch((e) => e)
    expect(isChainError(err, 'ErrDatabaseVersion'), String(err)).toBe(true)
    expect(err.message).toContain('newer')

    await rawPut(dir, keyDatabaseVersion, undefined)
    const log = recorder()
    const chain = await openChain({ location: dir, logger: log.logger })
    expect(chain.opened.migratedFrom).toBe(0)
    expect(chain.currentHeader().number).toBe(600n)
    expect(log.lines.map((l) => l.message)).toContain('Upgraded database version')
    await chain.close()
    const again = await openChain({ location: dir })
    expect(again.opened.migratedFrom).toBeUndefined()
    await again.close()
  }, 60_000)
})

describe('genesis config compatibility', () => {
  it('moving a fork the chain passed rewinds the head to the last block before it, and says why', async () => {
    const dir = await importedChain()
    const log = recorder()
    // Prague moves from t=120 to t=200: every block from the first at t >= 120 is rewound.
    const chain = await openChain(
      { location: dir, logger: log.logger },
      { genesis: withConfig({ pragueTime: 200 }) },
    )
    const head = chain.currentHeader()
    expect(head.time).toBeLessThan(120n)
    expect(chain.opened.rewound?.field).toBe('pragueTime')
    expect(chain.opened.rewound?.from).toBe(600n)
    expect(chain.opened.rewound?.to).toBe(head.number)
    expect(await chain.getHeaderByNumber(head.number + 1n)).toBeUndefined()
    const warn = log.lines.find((l) => l.level === 'warn')
    expect(warn?.message).toBe('Rewinding chain to upgrade configuration')
    expect(warn?.context).toMatchObject({ field: 'pragueTime', stored: 120, given: 200 })
    await chain.verifyIntegrity()
    expect(chain.config.pragueTime).toBe(200)
    await chain.close()
    // The new config is stored: reopening without a genesis keeps it and rewinds nothing more.
    const re = await openChain({ location: dir })
    expect(re.config.pragueTime).toBe(200)
    expect(re.currentHeader().number).toBe(head.number)
    await re.close()
  }, 60_000)

  it('a fork only in the future is taken without a rewind', async () => {
    const dir = await importedChain()
    const log = recorder()
    const chain = await openChain(
      { location: dir, logger: log.logger },
      { genesis: withConfig({ osakaTime: 10_000_000 }) },
    )
    expect(chain.currentHeader().number).toBe(600n)
    expect(chain.opened.rewound).toBeUndefined()
    expect(chain.opened.configUpdated).toBe(true)
    expect(chain.config.osakaTime).toBe(10_000_000)
    expect(log.lines.some((l) => l.level === 'warn')).toBe(false)
    await chain.close()
  }, 60_000)

  it('another chain id rewinds to genesis; the same config changes nothing', async () => {
    const dir = await importedChain()
    const same = await openChain({ location: dir }, { genesis })
    expect(same.opened).toEqual({})
    await same.close()
    const chain = await openChain({ location: dir }, { genesis: withConfig({ chainId: 7 }) })
    expect(chain.opened.rewound?.field).toBe('chainId')
    expect(chain.currentHeader().number).toBe(0n)
    await chain.verifyIntegrity()
    await chain.close()
  }, 60_000)

  it('checkCompatible follows go-ethereum: a fork at or below the head in either config counts', () => {
    const base = { chainId: 1, londonBlock: 10, shanghaiTime: 1000 }
    expect(checkCompatible(base, { ...base, londonBlock: 20 }, 5n, 0n)).toBeUndefined()
    expect(checkCompatible(base, { ...base, londonBlock: 20 }, 15n, 0n)).toMatchObject({
      field: 'londonBlock',
      rewindToBlock: 10n,
    })
    expect(checkCompatible(base, { ...base, londonBlock: 3 }, 5n, 0n)).toMatchObject({
      rewindToBlock: 3n,
    })
    expect(checkCompatible(base, { ...base, shanghaiTime: 900 }, 50n, 950n)).toMatchObject({
      field: 'shanghaiTime',
      rewindToTime: 900n,
    })
    expect(checkCompatible(base, { ...base, shanghaiTime: 2000 }, 50n, 950n)).toBeUndefined()
  })
})
