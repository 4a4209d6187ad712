/**
 * A byte-budgeted cache with two generations (an approximate LRU at the cost of two map lookups):
 * entries go into the young map; when it holds half the budget the old map is dropped and the young
 * one becomes old. A hit in the old map moves the entry back to the young one. Memory held is at
 * most the budget (plus one entry).
 */
export class GenerationalCache<V> {
  #young = new Map<string, { v: V; size: number }>()
  #old = new Map<string, { v: V; size: number }>()
  #youngBytes = 0
  #oldBytes = 0
  readonly #half: number
  hits = 0
  misses = 0

  constructor(budgetBytes: number) {
    this.#half = Math.max(1, Math.floor(budgetBytes / 2))
  }

  get(key: string): V | undefined {
    const y = this.#young.get(key)
    if (y !== undefined) {
      this.hits++
      return y.v
    }
    const o = this.#old.get(key)
    if (o === undefined) {
      this.misses++
      return undefined
    }
    this.hits++
    this.#old.delete(key)
    this.#oldBytes -= o.size
    this.#insertYoung(key, o)
    return o.v
  }

  /** Looks without counting or promoting. */
  peek(key: string): V | undefined {
    return (this.#young.get(key) ?? this.#old.get(key))?.v
  }

  has(key: string): boolean {
    return this.#young.has(key) || this.#old.has(key)
  }

  set(key: string, v: V, size: number): void {
    const y = this.#young.get(key)
    if (y !== undefined) {
      this.#youngBytes += size - y.size
      y.v = v
      y.size = size
      return
    }
    const o = this.#old.get(key)
    if (o !== undefined) {
      this.#old.delete(key)
      this.#oldBytes -= o.size
    }
    this.#insertYoung(key, { v, size })
  }

  /** Replaces the value of an entry without moving it (a raw entry decoded in place). */
  replace(key: string, v: V): void {
    const e = this.#young.get(key) ?? this.#old.get(key)
    if (e !== undefined) e.v = v
  }

  #insertYoung(key: string, e: { v: V; size: number }): void {
    if (e.size > this.#half) return // larger than a generation: not cached
    if (this.#youngBytes + e.size > this.#half) {
      this.#old = this.#young
      this.#oldBytes = this.#youngBytes
      this.#young = new Map()
      this.#youngBytes = 0
    }
    this.#young.set(key, e)
    this.#youngBytes += e.size
  }

  get bytes(): number {
    return this.#youngBytes + this.#oldBytes
  }

  get size(): number {
    return this.#young.size + this.#old.size
  }

  clear(): void {
    this.#young.clear()
    this.#old.clear()
    this.#youngBytes = 0
    this.#oldBytes = 0
  }
}

const HEX: string[] = []
for (let i = 0; i < 256; i++) HEX.push(i.toString(16).padStart(2, '0'))

/** A map key for bytes (hex, no prefix). */
export function keyOf(b: Uint8Array): string {
  let s = ''
  for (let i = 0; i < b.length; i++) s += HEX[b[i]!]
  return s
}
