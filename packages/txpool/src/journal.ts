import { type FileHandle, mkdir, open, readFile, rename, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import { errorCode } from '@ethwire/interface/runtime'
import type { JournalStore } from './types.js'

const toHex = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex')

/**
 * An append-only text file, one hex-encoded transaction per line. A torn last line (a crash
 * mid-write) and lines that are not hex are skipped on load. `rewrite` writes a temporary file
 * and renames it over the journal.
 *
 * Appends are group-committed: the file stays open, one write is in flight at a time, and the
 * entries appended while it runs go out together in the next one; each `append` resolves when the
 * write holding its line has completed (so an acknowledged entry is in the file, as before). One
 * `open` + `write` + `close` per entry capped a busy pool at a few hundred local transactions a
 * second, since the pool inserts one at a time. `rewrite` and `close` run after the writes queued
 * before them.
 */
export function createFileJournal(path: string): JournalStore {
  let handle: FileHandle | undefined
  let dirMade = false
  /** Lines appended and not written yet, with who waits for them; one write per batch. */
  interface Batch {
    lines: string[]
    waiters: Array<{ resolve: () => void; reject: (err: unknown) => void }>
  }
  let batch: Batch | undefined
  /** Every file operation runs on this chain, in call order. */
  let ops: Promise<void> = Promise.resolve()
  const enqueue = (op: () => Promise<void>): Promise<void> => {
    const p = ops.then(op)
    ops = p.catch(() => {})
    return p
  }
  const ensureDir = async () => {
    if (dirMade) return
    await mkdir(dirname(path), { recursive: true })
    dirMade = true
  }
  const write = async (b: Batch) => {
    // appends from now on start the next batch (queued behind this write)
    if (batch === b) batch = undefined
    try {
      if (handle === undefined) {
        await ensureDir()
        handle = await open(path, 'a')
      }
      await handle.appendFile(b.lines.join(''))
      for (const w of b.waiters) w.resolve()
    } catch (err) {
      // a failed write may have left the handle unusable: reopen on the next one
      const h = handle
      handle = undefined
      await h?.close().catch(() => {})
      for (const w of b.waiters) w.reject(err)
    }
  }
  /** Ends the open batch: appends made after this call go after the operation queued next. */
  const seal = () => {
    batch = undefined
  }
  const closeHandle = async () => {
    const h = handle
    handle = undefined
    await h?.close()
  }
  return {
    async load() {
      let text: string
      try {
        text = await readFile(path, 'utf8')
      } catch (err) {
        if (errorCode(err) === 'ENOENT') return []
        throw err
      }
      const out: Uint8Array[] = []
      for (const line of text.split('\n')) {
        const l = line.trim()
        if (l.length === 0 || l.length % 2 !== 0 || !/^[0-9a-f]+$/i.test(l)) continue
        out.push(new Uint8Array(Buffer.from(l, 'hex')))
      }
      return out
    },
    append(entry) {
      let b = batch
      if (b === undefined) {
        const fresh: Batch = { lines: [], waiters: [] }
        batch = b = fresh
        void enqueue(() => write(fresh))
      }
      const target = b
      const done = new Promise<void>((resolve, reject) => target.waiters.push({ resolve, reject }))
      target.lines.push(`${toHex(entry)}\n`)
      return done
    },
    rewrite(entries) {
      seal() // lines appended before the rewrite land in the old file first, later ones in the new
      return enqueue(async () => {
        await closeHandle() // the rename replaces the file: later appends open the new one
        await ensureDir()
        const tmp = `${path}.new`
        await writeFile(tmp, entries.map((e) => `${toHex(e)}\n`).join(''))
        await rename(tmp, path)
      })
    },
    close() {
      seal()
      return enqueue(closeHandle)
    },
  }
}

/** An in-memory journal (tests, browsers). Survives a pool restart if the same object is reused. */
export function createMemoryJournal(): JournalStore & { entries: Uint8Array[] } {
  const j = {
    entries: [] as Uint8Array[],
    async load() {
      return [...j.entries]
    },
    async append(e: Uint8Array) {
      j.entries.push(e)
    },
    async rewrite(es: Uint8Array[]) {
      j.entries = [...es]
    },
    async close() {},
  }
  return j
}
