import { afterEach, describe, expect, it, vi } from 'vitest'
import { createKeccak, keccakWasmBytes } from '../src/index.js'
import { reference, seededBytes, toHex } from './helpers.js'

const samples = [0, 1, 135, 136, 137, 500, 4096].map((n) => seededBytes(n + 5, n))

function expectCorrect(k: ReturnType<typeof createKeccak>): void {
  for (const s of samples) expect(toHex(k.keccak256(s))).toBe(toHex(reference(s)))
  expect(toHex(k.createKeccak256().update(samples[5]!).clone().digest())).toBe(
    toHex(reference(samples[5]!)),
  )
}

/** The committed module with its first round constant changed: it compiles and hashes wrong. */
function wrongModule(): Uint8Array {
  const bytes = keccakWasmBytes().slice()
  const rc01 = [1, 0, 0, 0, 0, 0, 0, 0, 0x82, 0x80]
  const at = bytes.findIndex((_, i) => rc01.every((v, j) => bytes[i + j] === v))
  expect(at).toBeGreaterThan(0)
  bytes[at] = 3
  return bytes
}

describe('fallback to @noble/hashes', () => {
  afterEach(() => {
    vi.unstubAllGlobals()
    vi.resetModules()
  })

  it('the default functions use noble when there is no WebAssembly global', async () => {
    vi.stubGlobal('WebAssembly', undefined)
    vi.resetModules()
    const fresh = await import('../src/index.js')
    expect(fresh.keccakBackend()).toBe('noble')
    for (const s of samples) expect(toHex(fresh.keccak256(s))).toBe(toHex(reference(s)))
    expect(fresh.keccak256Many(samples).map(toHex)).toEqual(samples.map((s) => toHex(reference(s))))
    const h = fresh.createKeccak256().update(samples[4]!)
    expect(toHex(h.clone().digest())).toBe(toHex(reference(samples[4]!)))
  })

  it('…and WebAssembly where it is there (the same fresh import)', async () => {
    vi.resetModules()
    const fresh = await import('../src/index.js')
    expect(fresh.keccakBackend()).toBe('wasm')
  })

  it("'auto' takes noble when the module does not compile", () => {
    const k = createKeccak({ wasmBytes: Uint8Array.of(0, 0x61, 0x73, 0x6d, 9, 9, 9, 9) })
    expect(k.backend).toBe('noble')
    expectCorrect(k)
  })

  it("'auto' takes noble when WebAssembly refuses to compile (as under a strict CSP)", () => {
    vi.stubGlobal('WebAssembly', {
      Module: class {
        constructor() {
          throw new Error('CompileError: WebAssembly.Module(): Wasm code generation disallowed')
        }
      },
      Instance: class {},
    })
    const k = createKeccak()
    expect(k.backend).toBe('noble')
    expectCorrect(k)
  })

  it("'auto' takes noble when the module compiles but gets the known answer wrong", () => {
    const bad = wrongModule()
    expect(
      createKeccak({ backend: 'wasm', wasmBytes: bad }).keccak256(new Uint8Array(0))[0],
    ).not.toBe(0xc5)
    const k = createKeccak({ wasmBytes: bad })
    expect(k.backend).toBe('noble')
    expectCorrect(k)
  })

  it("'wasm' throws instead of falling back; 'noble' never compiles anything", () => {
    expect(() => createKeccak({ backend: 'wasm', wasmBytes: new Uint8Array(8) })).toThrow()
    vi.stubGlobal('WebAssembly', undefined)
    const k = createKeccak({ backend: 'noble' })
    expect(k.backend).toBe('noble')
    expectCorrect(k)
  })
})
