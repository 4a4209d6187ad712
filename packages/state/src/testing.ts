/**
 * Test doubles for @ethwire/state: an in-memory key-value store that takes the ops a commit
 * returns, with counters and a way to lose writes (to simulate a crash).
 */
import type { BatchOp, KeyValueReader } from './types.js'

const HEX: string[] = []
for (let i = 0; i < 256; i++) HEX.push(i.toString(16).padStart(2, '0'))
const hex = (b: Uint8Array) => {
  let s = ''
  for (let i = 0; i < b.length; i++) s += HEX[b[i]!]
  return s
}

/** An in-memory store: `get`/`getMany` for the state database, `write(ops)` for what it returns. */
export class MemoryKeyValueStore implements KeyValueReader {
  readonly map = new Map<string, Uint8Array>()
  gets = 0
  writes = 0

  async get(key: Uint8Array): Promise<Uint8Array | undefined> {
    this.gets++
    return this.map.get(hex(key))
  }

  async getMany(keys: Uint8Array[]): Promise<(Uint8Array | undefined)[]> {
    this.gets += keys.length
    return keys.map((k) => this.map.get(hex(k)))
  }

  /** Writes ops (all, or only the first `limit`: a batch cut short). */
  write(ops: readonly BatchOp[], limit = ops.length): void {
    for (let i = 0; i < Math.min(limit, ops.length); i++) {
      const op = ops[i]!
      this.map.set(hex(op.key), op.value)
      this.writes++
    }
  }

  has(key: Uint8Array): boolean {
    return this.map.has(hex(key))
  }

  delete(key: Uint8Array): boolean {
    return this.map.delete(hex(key))
  }

  get size(): number {
    return this.map.size
  }

  /** Keys and values, for copying a store. */
  *entries(): IterableIterator<[Uint8Array, Uint8Array]> {
    for (const [k, v] of this.map) yield [Uint8Array.from(Buffer.from(k, 'hex')), v]
  }
}
