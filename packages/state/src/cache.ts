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
  replace(key: string, v: V, size: number): void {
    let e = this.#young.get(key)
    if (e !== undefined) this.#youngBytes += size - e.size
    else {
      e = this.#old.get(key)
      if (e === undefined) return
      this.#oldBytes += size - e.size
    }
    e.v = v
    e.size = size
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

/**
 * A map key for bytes: one char per byte (a flat one-byte string, about 5x quicker to make and
 * look up than hex built by concatenation). Not for display: see {@link toHex}.
 */
export function keyOf(b: Uint8Array): string {
  return String.fromCharCode.apply(null, b as unknown as number[])
}

/** The map key of the 32 bytes at `buf[off..]`, without making a view. */
export function keyOf32(b: Uint8Array, o: number): string {
  return String.fromCharCode(
    b[o]!,
    b[o + 1]!,
    b[o + 2]!,
    b[o + 3]!,
    b[o + 4]!,
    b[o + 5]!,
    b[o + 6]!,
    b[o + 7]!,
    b[o + 8]!,
    b[o + 9]!,
    b[o + 10]!,
    b[o + 11]!,
    b[o + 12]!,
    b[o + 13]!,
    b[o + 14]!,
    b[o + 15]!,
    b[o + 16]!,
    b[o + 17]!,
    b[o + 18]!,
    b[o + 19]!,
    b[o + 20]!,
    b[o + 21]!,
    b[o + 22]!,
    b[o + 23]!,
    b[o + 24]!,
    b[o + 25]!,
    b[o + 26]!,
    b[o + 27]!,
    b[o + 28]!,
    b[o + 29]!,
    b[o + 30]!,
    b[o + 31]!,
  )
}

/** The bytes a {@link keyOf} key was made from. */
export function bytesOfKey(k: string): Uint8Array {
  const out = new Uint8Array(k.length)
  for (let i = 0; i < k.length; i++) out[i] = k.charCodeAt(i)
  return out
}

const HEX: string[] = []
for (let i = 0; i < 256; i++) HEX.push(i.toString(16).padStart(2, '0'))

/** Lower-case hex without a prefix, for messages. */
export function toHex(b: Uint8Array): string {
  let s = ''
  for (let i = 0; i < b.length; i++) s += HEX[b[i]!]
  return s
}
