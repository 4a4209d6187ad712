/**
 * The recovery workers hash public keys with @ethwire/keccak's WebAssembly module, and with
 * @noble/hashes when that module does not load: here the pool is handed broken module bytes.
 */
import { describe, expect, it, vi } from 'vitest'
import { createRecoveryPool } from '../src/index.js'
import { testSignature } from '../src/testing.js'

vi.mock('@ethwire/keccak', async (importOriginal) => ({
  ...(await importOriginal<typeof import('@ethwire/keccak')>()),
  keccakWasmBytes: () => Uint8Array.of(0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 0xff),
}))

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex')

describe('recovery pool keccak fallback', () => {
  it('recovers the right addresses when the WebAssembly keccak does not compile in the worker', async () => {
    const pool = createRecoveryPool({ workers: 1, backend: 'noble' })
    try {
      const items = Array.from({ length: 8 }, (_, i) => testSignature(i))
      const out = await pool.recoverAddresses(
        items.map(({ hash, r, s, recovery }) => ({ hash, r, s, recovery })),
      )
      expect(out.map((a) => hex(a as Uint8Array))).toEqual(items.map((t) => hex(t.address)))
    } finally {
      await pool.close()
    }
  })
})
