/**
 * The data directory: `chaindata/` (LevelDB), `genesis.json` (as given to `init` or made by
 * `--dev`, for `dumpgenesis`), `dev-signer-key` (hex, `--dev`), `nodekey` (RLPx),
 * `libp2p-node-key` (libp2p) and `transactions.rlp` (txpool journal).
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import {
  type Chain,
  type ChainConfig,
  type ChainDeps,
  createClique,
  devGenesis,
  type Engine,
  type GenesisJson,
  isChainError,
  openChain,
  parseGenesis,
  terminalTotalDifficulty,
} from '@ethwire/chain'
import * as crypto from '@ethwire/crypto'
import { createExecutor, type Executor, type SenderRecoverer } from '@ethwire/executor'
import type { Logger } from '@ethwire/interface'
import { errorCode } from '@ethwire/interface/runtime'
import { bytesToHex, hexToBytes } from '@ethwire/rlp-wire'
import { createStateDatabase, type StateDatabase } from '@ethwire/state'
import {
  chaindataDirName,
  defaultDevChainId,
  devKeyFileName,
  genesisFileName,
  stateCacheBytes,
} from './constants.js'
import { causeCode, errorMessage, NodeError } from './errors.js'

export const paths = (datadir: string) => ({
  chaindata: join(datadir, chaindataDirName),
  genesis: join(datadir, genesisFileName),
  devKey: join(datadir, devKeyFileName),
})

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8')
  } catch (e) {
    if (errorCode(e) === 'ENOENT') return undefined
    throw e
  }
}

async function writeAtomic(path: string, data: string, mode = 0o644): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`
  await writeFile(tmp, data, { mode })
  await rename(tmp, path)
}

/** The genesis JSON saved in the data directory, if any. */
export async function readSavedGenesis(datadir: string): Promise<string | undefined> {
  return readIfExists(paths(datadir).genesis)
}

export async function saveGenesis(datadir: string, genesis: GenesisJson | string): Promise<void> {
  await mkdir(datadir, { recursive: true })
  const text = typeof genesis === 'string' ? genesis : `${JSON.stringify(genesis, null, 2)}\n`
  await writeAtomic(paths(datadir).genesis, text)
}

/** The dev signer key of the data directory, created when `create` is set and missing. */
export async function loadDevKey(
  datadir: string,
  create: boolean,
): Promise<Uint8Array | undefined> {
  const text = await readIfExists(paths(datadir).devKey)
  if (text !== undefined) {
    const hex = text.trim()
    if (!/^(0x)?[0-9a-fA-F]{64}$/.test(hex))
      throw new NodeError('ErrBadKeyFile', `${paths(datadir).devKey}: not a 32-byte hex key`)
    return hexToBytes(hex.startsWith('0x') ? hex : `0x${hex}`)
  }
  if (!create) return undefined
  await mkdir(datadir, { recursive: true })
  const key = crypto.randomPrivateKey()
  await writeAtomic(paths(datadir).devKey, `${bytesToHex(key).slice(2)}\n`, 0o600)
  return key
}

/** Whether a genesis config's engine can be verified (or `fakePow` accepts it). */
export function checkEngineSupported(g: GenesisJson, fakePow: boolean): void {
  const c = g.config
  if (c.clique) return
  const ttd = terminalTotalDifficulty(c)
  const difficulty = BigInt(g.difficulty ?? '0x0')
  if (ttd !== undefined && difficulty >= ttd) return
  if (fakePow) return
  throw new NodeError(
    'ErrUnsupportedEngine',
    'this genesis uses proof-of-work (ethash), whose seals ethwire does not verify; ' +
      'run with --fakepow to accept them unchecked',
  )
}

/**
 * @ethwire/crypto for the clique engine, with the signer address memoised: the engine derives it
 * from the key for every block it prepares, and that costs as much as the signature itself.
 */
const cliqueCrypto = (() => {
  const addresses = new Map<string, Uint8Array>()
  return {
    recoverAddress: crypto.recoverAddress,
    sign: crypto.sign,
    privateKeyToAddress(key: Uint8Array): Uint8Array {
      const k = bytesToHex(key)
      let a = addresses.get(k)
      if (!a) {
        a = crypto.privateKeyToAddress(key)
        addresses.set(k, a)
      }
      return a
    },
  }
})()

/** Engine factory for a stored config: clique (with the dev key to seal, if any), else the chain's default. */
export function engineFor(signerKey?: Uint8Array): (config: ChainConfig) => Engine {
  return (config) => {
    if (config.clique)
      return createClique(
        { crypto: cliqueCrypto },
        { period: config.clique.period ?? 0, epoch: config.clique.epoch ?? undefined, signerKey },
      )
    throw new NodeError(
      'ErrUnsupportedEngine',
      'unreachable: non-clique config handled by the chain',
    )
  }
}

export interface OpenOptions {
  /** Initialise an empty database with this genesis (checked against a stored one). */
  genesis?: GenesisJson | string
  fakePow?: boolean
  /** Dev signer key, to seal clique blocks. */
  signerKey?: Uint8Array
  /** Batch sender recovery for block execution (a worker pool); default this thread. */
  recoverer?: SenderRecoverer
  /** Migrations and config rewinds on open are logged here. */
  logger?: Pick<Logger, 'info' | 'warn'>
  /** State cache budget in bytes (default `stateCacheBytes`). */
  stateCacheBytes?: number
}

/** A chain that executes its blocks, with the state database and executor sharing its LevelDB. */
export interface ExecutingChain {
  chain: Chain
  state: StateDatabase
  executor: Executor
}

/**
 * Opens the chain database of a data directory with the right engine, block execution
 * (`@ethwire/executor` over `@ethwire/state` in the same LevelDB; clique fees to the signer) and
 * clear errors.
 */
export async function openExecutingChain(
  datadir: string,
  o: OpenOptions = {},
): Promise<ExecutingChain> {
  await mkdir(datadir, { recursive: true })
  const clique = engineFor(o.signerKey)
  let state: StateDatabase | undefined
  let executor: Executor | undefined
  let opened: Chain | undefined
  // BLOCKHASH reads ancestors from the chain being opened (the chain also passes its own reader
  // for blocks of a batch not yet written)
  const headers = {
    getHeader: (h: Uint8Array, n: bigint) => opened?.getHeader(h, n) ?? Promise.resolve(undefined),
  }
  const open = (engine: ChainDeps['engine']) =>
    openChain(
      {
        location: paths(datadir).chaindata,
        engine,
        logger: o.logger,
        executor: async ({ db, config, engine: e }) => {
          state = createStateDatabase({ db }, { cacheBytes: o.stateCacheBytes ?? stateCacheBytes })
          executor = await createExecutor(
            { state, headers, recoverer: o.recoverer, author: (h) => e.author(h) },
            { config },
          )
          return executor
        },
      },
      { genesis: o.genesis, fakePow: o.fakePow },
    )
  try {
    // the chain picks beacon/fake-pow itself; only clique needs us
    opened = await open(undefined).catch(async (e) => {
      if (isChainError(e, 'ErrUnsupportedEngine') && /clique/.test(errorMessage(e)))
        return open(clique)
      throw e
    })
  } catch (e) {
    throw translateOpenError(e, datadir)
  }
  if (!state || !executor) {
    await opened.close()
    throw new NodeError('ErrNotRunning', 'the chain opened without its executor')
  }
  return { chain: opened, state, executor }
}

/** `openExecutingChain` for callers that need the chain only (the CLI's commands). */
export async function openDatadirChain(datadir: string, o: OpenOptions = {}): Promise<Chain> {
  return (await openExecutingChain(datadir, o)).chain
}

export function translateOpenError(e: unknown, datadir: string): unknown {
  const code = errorCode(e)
  if (
    (code === 'LEVEL_DATABASE_NOT_OPEN' && causeCode(e) === 'LEVEL_LOCKED') ||
    code === 'LEVEL_LOCKED'
  )
    return new NodeError(
      'ErrDatadirLocked',
      `data directory ${datadir} is in use by another ethwire process`,
    )
  if (isChainError(e, 'ErrNoGenesis'))
    return new NodeError(
      'ErrNoGenesis',
      `no chain in ${datadir}: run \`ethwire init <genesis.json>\` or use --dev`,
    )
  if (isChainError(e, 'ErrUnsupportedEngine'))
    return new NodeError(
      'ErrUnsupportedEngine',
      'this chain uses proof-of-work (ethash), whose seals ethwire does not verify; run with --fakepow to accept them unchecked',
    )
  return e
}

/**
 * Prepares a `--dev` data directory: the signer key (created on first use) and, for an empty
 * database, a clique dev genesis for that signer (saved as genesis.json). Returns the key and the
 * genesis to open the chain with (undefined when the database already has one).
 */
export async function prepareDev(
  datadir: string,
): Promise<{ key: Uint8Array; genesis?: GenesisJson }> {
  const saved = await readSavedGenesis(datadir)
  const key = await loadDevKey(datadir, saved === undefined)
  if (!key)
    throw new NodeError(
      'ErrNotDevDatadir',
      `${datadir} holds a chain that was not made by --dev (no ${devKeyFileName}); use another --datadir`,
    )
  if (saved !== undefined) {
    const g = parseGenesis(saved)
    if (!g.config.clique)
      throw new NodeError('ErrNotDevDatadir', `${datadir}: genesis is not a clique dev genesis`)
    return { key }
  }
  // Clique period 0 in the genesis: the sealer's --dev.period paces mining, and `devchain` may
  // write blocks one second apart.
  const genesis = devGenesis({
    signer: crypto.privateKeyToAddress(key),
    periodSeconds: 0,
    chainId: defaultDevChainId,
  })
  await saveGenesis(datadir, genesis)
  return { key, genesis }
}
