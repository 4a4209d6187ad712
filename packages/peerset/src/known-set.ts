/** A bounded set of hashes that forgets the oldest entries first (FIFO). */
export class KnownSet {
  readonly #max: number
  readonly #set = new Set<string>()

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
    if (this.#set.size >= this.#max) {
      const oldest = this.#set.values().next().value as string
      this.#set.delete(oldest)
    }
    this.#set.add(k)
  }

  has(hash: Uint8Array): boolean {
    return this.#set.has(key(hash))
  }

  clear(): void {
    this.#set.clear()
  }
}

function key(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1')
}
