import { appendFile, mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import { errorCode } from '@ethwire/interface/runtime'
import type { JournalStore } from './types.js'

const toHex = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex')

/**
 * An append-only text file, one hex-encoded transaction per line. A torn last line (a crash
 * mid-write) and lines that are not hex are skipped on load. `rewrite` writes a temporary file
 * and renames it over the journal.
 */
export function createFileJournal(path: string): JournalStore {
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
    async append(entry) {
      await mkdir(dirname(path), { recursive: true })
      await appendFile(path, `${toHex(entry)}\n`)
    },
    async rewrite(entries) {
      await mkdir(dirname(path), { recursive: true })
      const tmp = `${path}.new`
      await writeFile(tmp, entries.map((e) => `${toHex(e)}\n`).join(''))
      await rename(tmp, path)
    },
    async close() {},
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
