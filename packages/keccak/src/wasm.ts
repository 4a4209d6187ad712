/**
 * The WebAssembly backend: one instance of the module in wasm/keccak.wat per backend, compiled
 * synchronously (`new WebAssembly.Module`, allowed on Chrome's main thread because the module is
 * under 4 KB). Inputs are copied into the module's memory, at most `wasmChunkBytes` per call.
 */
import {
  wasmChunkBytes as CHUNK,
  keccak256DigestBytes as DIGEST,
  wasmInOffsetBytes as IN,
  wasmLensOffsetBytes as LENS,
  wasmOutOffsetBytes as OUT,
  keccak256RateBytes as RATE,
  keccakStateBytes as STATE_BYTES,
  wasmBatchMaxSpans,
} from './constants.js'
import type { Keccak, Keccak256Hasher } from './types.js'
import { keccakWasmBase64 } from './wasm-bytes.js'

// The few WebAssembly JS-API members used here (the repo's lib settings carry no DOM types).
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object
  Instance: new (module: object, imports: object) => { readonly exports: object }
}

interface KeccakExports {
  readonly memory: { readonly buffer: ArrayBuffer }
  absorb(p: number, blocks: number): void
  final(p: number, len: number, out: number): void
  hash(p: number, len: number, out: number): void
  batch(lens: number, n: number, p: number, out: number): void
}

function decodeBase64(s: string): Uint8Array {
  const bin = atob(s)
  const out = new Uint8Array(bin.length)
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i)
  return out
}

/** The committed module bytes. */
export function keccakWasmBytes(): Uint8Array {
  return decodeBase64(keccakWasmBase64)
}

/** Compiles and instantiates the module synchronously and returns the backend; throws if it cannot. */
export function createWasmKeccak(bytes: Uint8Array = keccakWasmBytes()): Keccak {
  const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), {})
  const ex = instance.exports as unknown as KeccakExports
  // The memory never grows (the module has no memory.grow), so this view stays valid.
  const mem = new Uint8Array(ex.memory.buffer)
  const lens = new Uint32Array(ex.memory.buffer, LENS, wasmBatchMaxSpans)
  const { absorb, final, hash } = ex

  /** Digest of data longer than one chunk: absorb chunk by chunk from a zero state. */
  function hashLong(data: Uint8Array, out: Uint8Array, at: number): void {
    mem.fill(0, 0, STATE_BYTES)
    let off = 0
    for (; data.length - off > CHUNK; off += CHUNK) {
      mem.set(data.subarray(off, off + CHUNK), IN)
      absorb(IN, CHUNK / RATE)
    }
    mem.set(data.subarray(off), IN)
    final(IN, data.length - off, OUT)
    out.set(mem.subarray(OUT, OUT + DIGEST), at)
  }

  function keccak256(data: Uint8Array): Uint8Array {
    if (data.length <= CHUNK) {
      mem.set(data, IN)
      hash(IN, data.length, OUT)
      return mem.slice(OUT, OUT + DIGEST)
    }
    const out = new Uint8Array(DIGEST)
    hashLong(data, out, 0)
    return out
  }

  function keccak256Many(spans: readonly Uint8Array[]): Uint8Array[] {
    const n = spans.length
    const all = new Uint8Array(n * DIGEST)
    for (let i = 0; i < n; ) {
      let k = 0
      let p = IN
      while (i + k < n && k < wasmBatchMaxSpans) {
        const s = spans[i + k]!
        if (p + s.length > IN + CHUNK) break
        mem.set(s, p)
        lens[k] = s.length
        p += s.length
        k++
      }
      if (k === 0) {
        hashLong(spans[i]!, all, i * DIGEST) // one span larger than the input area
        i++
        continue
      }
      ex.batch(LENS, k, IN, OUT)
      all.set(mem.subarray(OUT, OUT + k * DIGEST), i * DIGEST)
      i += k
    }
    const res = new Array<Uint8Array>(n)
    for (let i = 0; i < n; i++) res[i] = all.subarray(i * DIGEST, (i + 1) * DIGEST)
    return res
  }

  /**
   * The running state lives in JavaScript (200 bytes of lanes plus a partial block), so copying a
   * hasher is two small array copies and no module memory is ever owned by a hasher. Updates that
   * do not complete a block only append to the partial block.
   */
  class WasmHasher implements Keccak256Hasher {
    private readonly state: Uint8Array
    private readonly buf: Uint8Array
    private pos: number

    constructor(state?: Uint8Array, buf?: Uint8Array, pos = 0) {
      this.state = state ?? new Uint8Array(STATE_BYTES)
      this.buf = buf ?? new Uint8Array(RATE)
      this.pos = pos
    }

    update(data: Uint8Array): this {
      const n = data.length
      let pos = this.pos
      if (pos + n < RATE) {
        this.buf.set(data, pos)
        this.pos = pos + n
        return this
      }
      mem.set(this.state, 0)
      let off = 0
      if (pos > 0) {
        off = RATE - pos
        mem.set(this.buf.subarray(0, pos), IN)
        mem.set(data.subarray(0, off), IN + pos)
        absorb(IN, 1)
        pos = 0
      }
      while (n - off >= RATE) {
        const take = Math.min(n - off - ((n - off) % RATE), CHUNK)
        mem.set(data.subarray(off, off + take), IN)
        absorb(IN, take / RATE)
        off += take
      }
      this.state.set(mem.subarray(0, STATE_BYTES))
      this.buf.set(data.subarray(off), 0)
      this.pos = n - off
      return this
    }

    digest(): Uint8Array {
      mem.set(this.state, 0)
      mem.set(this.buf.subarray(0, this.pos), IN)
      final(IN, this.pos, OUT)
      return mem.slice(OUT, OUT + DIGEST)
    }

    clone(): Keccak256Hasher {
      return new WasmHasher(this.state.slice(), this.buf.slice(), this.pos)
    }
  }

  return {
    backend: 'wasm',
    keccak256,
    keccak256Many,
    createKeccak256: () => new WasmHasher(),
  }
}
