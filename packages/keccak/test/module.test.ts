import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { keccakWasmBytes, keccakWasmSizeBytes } from '../src/index.js'
import { keccakWatSha256 } from '../src/wasm-bytes.js'

const pkg = fileURLToPath(new URL('..', import.meta.url))

// The repo's lib settings carry no WebAssembly types: the members used here.
interface Described {
  readonly name: string
  readonly kind: string
}
const { WebAssembly } = globalThis as unknown as {
  WebAssembly: {
    Module: {
      new (bytes: Uint8Array): object
      imports(m: object): Described[]
      exports(m: object): Described[]
    }
  }
}

describe('the committed WebAssembly', () => {
  it('is what wasm/gen-wat.mjs generates (keccak.wat is up to date with its generator)', () => {
    const generated = execFileSync(process.execPath, ['wasm/gen-wat.mjs'], {
      cwd: pkg,
      encoding: 'utf8',
    })
    expect(generated).toBe(readFileSync(new URL('../wasm/keccak.wat', import.meta.url), 'utf8'))
  })

  it('was assembled from the committed keccak.wat (src/wasm-bytes.ts records its sha256)', () => {
    const wat = readFileSync(new URL('../wasm/keccak.wat', import.meta.url))
    expect(createHash('sha256').update(wat).digest('hex')).toBe(keccakWatSha256)
  })

  it('is under the 4096 bytes Chrome compiles synchronously on the main thread', () => {
    const bytes = keccakWasmBytes()
    expect(bytes.length).toBe(keccakWasmSizeBytes)
    expect(bytes.length).toBeLessThan(4096)
  })

  it('imports nothing and exports memory, absorb, final, hash and batch', () => {
    const m = new WebAssembly.Module(keccakWasmBytes())
    expect(WebAssembly.Module.imports(m)).toEqual([])
    expect(WebAssembly.Module.exports(m).map((e) => `${e.kind}:${e.name}`)).toEqual([
      'memory:memory',
      'function:absorb',
      'function:final',
      'function:hash',
      'function:batch',
    ])
  })
})
