/**
 * A bounded set of hashes that forgets the oldest entries first (FIFO). Insertion order is kept
 * in a ring buffer, so adding at capacity is O(1).
 */
export class KnownSet {
  readonly #max: number
  readonly #set = new Set<string>()
  readonly #ring: string[] = []
  #next = 0

  constructor(max: number) {
    if (!(max >= 1)) throw new RangeError(`KnownSet capacity must be >= 1, got ${max}`)
    this.#max = max
  }

  get size(): number {
    return this.#set.size
  }

  get capacity(): number {
    return this.#max
  }

  add(hash: Uint8Array): void {
    const k = key(hash)
    if (this.#set.has(k)) return
    if (this.#ring.length < this.#max) this.#ring.push(k)
    else {
      this.#set.delete(this.#ring[this.#next]!)
      this.#ring[this.#next] = k
      this.#next = (this.#next + 1) % this.#max
    }
    this.#set.add(k)
  }

  has(hash: Uint8Array): boolean {
    return this.#set.has(key(hash))
  }

  clear(): void {
    this.#set.clear()
    this.#ring.length = 0
    this.#next = 0
  }
}

/**
 * Keys already made, per array: the same transaction hash is marked in every peer's set (and
 * looked up again on every broadcast), so its string is built (and hashed by the engine) once,
 * not once per peer. A hash handed to a `KnownSet` must therefore not be changed afterwards.
 */
const keys = new WeakMap<Uint8Array, string>()

/** The bytes as a string, one char per byte (no Buffer, so it runs in browsers too). */
function key(b: Uint8Array): string {
  if (b.length <= 64) {
    let k = keys.get(b)
    if (k === undefined) {
      k = String.fromCharCode.apply(null, b as unknown as number[])
      keys.set(b, k)
    }
    return k
  }
  let s = ''
  // `apply` takes a bounded argument count: long inputs go in chunks.
  for (let i = 0; i < b.length; i += 4096)
    s += String.fromCharCode.apply(null, b.subarray(i, i + 4096) as unknown as number[])
  return s
}
