/**
 * Storage failures as typed errors: a data directory that cannot be written (read-only mount,
 * permissions) and writes that fail (disk full, I/O errors). LevelDB reports them as
 * `LEVEL_IO_ERROR`s whose message carries the OS text ("No space left on device"), Node's own
 * calls with an errno `code`; both are read here, down the `cause` chain.
 */
import { constants as fsc } from 'node:fs'
import { access, readdir, rm, stat } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import { errorCode } from '@ethwire/interface/runtime'
import { ChainError, isChainError } from './errors.js'

type StorageCode = 'ErrDiskFull' | 'ErrDatadirReadOnly'

const patterns: [RegExp, StorageCode][] = [
  [/\bENOSPC\b|No space left on device|\bEDQUOT\b|Disk quota exceeded/i, 'ErrDiskFull'],
  [
    /\bEROFS\b|Read-only file system|\bEACCES\b|Permission denied|\bEPERM\b|Operation not permitted/i,
    'ErrDatadirReadOnly',
  ],
]

/** Which storage failure `e` is (by errno code or OS message, down its causes), if any. */
export function storageFailure(e: unknown): StorageCode | undefined {
  for (let x: unknown = e, depth = 0; x != null && depth < 8; depth++) {
    const code = errorCode(x)
    const message = (x as { message?: unknown }).message
    for (const [re, c] of patterns) {
      if (code !== undefined && re.test(code)) return c
      if (typeof message === 'string' && re.test(message)) return c
    }
    x = (x as { cause?: unknown }).cause
  }
  return undefined
}

/** The innermost message of `e` (LevelDB's "IO error: …: No space left on device"). */
function rootMessage(e: unknown): string {
  let msg = String((e as { message?: unknown })?.message ?? e)
  for (let x = (e as { cause?: unknown })?.cause, d = 0; x != null && d < 8; d++) {
    const m = (x as { message?: unknown }).message
    if (typeof m === 'string') msg = m
    x = (x as { cause?: unknown }).cause
  }
  return msg
}

/** A failed write as `ErrDiskFull`, `ErrDatadirReadOnly` or `ErrWrite`, saying what to do. */
export function writeError(e: unknown, location: string, what: string): ChainError {
  const kind = storageFailure(e)
  const os = rootMessage(e)
  if (kind === 'ErrDiskFull')
    return new ChainError(
      'ErrDiskFull',
      `disk full writing ${what} to ${location} (${os}): nothing of that write was stored; free space and reopen the chain`,
      undefined,
      undefined,
      { cause: e },
    )
  if (kind === 'ErrDatadirReadOnly')
    return new ChainError(
      'ErrDatadirReadOnly',
      `data directory ${location} became read-only writing ${what} (${os}): make it writable and reopen the chain`,
      undefined,
      undefined,
      { cause: e },
    )
  return new ChainError(
    'ErrWrite',
    `writing ${what} to ${location} failed (${os}): nothing of that write was stored; reopen the chain`,
    undefined,
    undefined,
    { cause: e },
  )
}

/** LevelDB writes these at open (the lock, the current manifest name, its info log). */
const openWrittenFiles = ['LOCK', 'CURRENT', 'LOG']

/** What `prepareLocation` found, so a failed first open can remove what it made. */
export interface LocationState {
  /** The directory did not exist: the open creates it. */
  created: boolean
  /** When created: the highest directory the open makes (what to remove again). */
  topCreated?: string
  /** The directory existed and was empty. */
  wasEmpty: boolean
}

/**
 * Checks, before LevelDB touches anything, that the database directory can be written: the
 * directory (or, when missing, its nearest existing ancestor, where it will be made) and the files
 * LevelDB rewrites at open. Throws `ErrDatadirReadOnly` (nothing created, nothing changed).
 */
export async function prepareLocation(location: string): Promise<LocationState> {
  const path = resolve(location)
  let dir = path
  let created = false
  let topCreated: string | undefined
  for (;;) {
    try {
      const st = await stat(dir)
      if (!st.isDirectory())
        throw new ChainError(
          'ErrDatadirReadOnly',
          `data directory ${location}: ${dir} is not a directory`,
        )
      break
    } catch (e) {
      if (errorCode(e) !== 'ENOENT') throw readOnly(location, dir, e)
      created = true
      topCreated = dir
      const up = dirname(dir)
      if (up === dir) throw readOnly(location, dir, e)
      dir = up
    }
  }
  try {
    await access(dir, fsc.W_OK | fsc.X_OK)
  } catch (e) {
    throw readOnly(location, dir, e)
  }
  if (created) return { created, topCreated, wasEmpty: false }
  const entries = await readdir(path)
  for (const f of openWrittenFiles) {
    if (!entries.includes(f)) continue
    try {
      await access(join(path, f), fsc.W_OK)
    } catch (e) {
      throw readOnly(location, join(path, f), e)
    }
  }
  return { created: false, wasEmpty: entries.length === 0 }
}

function readOnly(location: string, at: string, e: unknown): ChainError {
  if (isChainError(e)) return e
  const code = errorCode(e) ?? 'error'
  return new ChainError(
    'ErrDatadirReadOnly',
    `data directory ${location} is not writable (${code} on ${at}): give the node write access or choose another directory; nothing was created`,
    undefined,
    undefined,
    { cause: e },
  )
}

/** Removes what a failed first open made in a directory that did not exist or was empty. */
export async function undoLocation(location: string, state: LocationState): Promise<void> {
  if (state.created)
    await rm(state.topCreated ?? location, { recursive: true, force: true }).catch(() => {})
  else if (state.wasEmpty)
    for (const f of await readdir(location).catch(() => [] as string[]))
      await rm(join(location, f), { recursive: true, force: true }).catch(() => {})
}
