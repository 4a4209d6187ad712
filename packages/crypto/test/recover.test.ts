import { describe, expect, it } from 'vitest'
import {
  CryptoError,
  createRecoveryPool,
  isCryptoError,
  isValidSignatureValues,
  keccak256,
  loadNativeRecoverer,
  loadNativeSigner,
  loadRecoverer,
  loadSigner,
  nobleRecoverer,
  nobleSigner,
  privateKeyToAddress,
  privateKeyToPublicKey,
  publicKeyToAddress,
  randomPrivateKey,
  recoverAddress,
  recoverPublicKey,
  secp256k1HalfN,
  secp256k1N,
  sign,
  signRecoverable,
} from '../src/index.js'
import { testSignature } from '../src/testing.js'

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex')

describe('recovery', () => {
  it('loads the native addon here and prefers it', () => {
    const native = loadNativeRecoverer()
    expect(native?.name).toBe('native')
    expect(loadRecoverer().name).toBe('native')
  })

  it('native and noble agree on 200 random signatures', () => {
    const native = loadNativeRecoverer()
    if (native === null) throw new Error('native addon expected on linux-x64')
    for (let i = 0; i < 200; i++) {
      const key = randomPrivateKey()
      const hash = keccak256(new Uint8Array([i, i >> 8, 1, 2, 3]))
      const { r, s, recovery } = sign(hash, key)
      expect(s <= secp256k1HalfN).toBe(true)
      const a = native.recoverPublicKey(hash, r, s, recovery)
      const b = nobleRecoverer.recoverPublicKey(hash, r, s, recovery)
      expect(hex(a)).toBe(hex(b))
      expect(hex(a)).toBe(hex(privateKeyToPublicKey(key)))
      expect(hex(recoverAddress(hash, r, s, recovery))).toBe(hex(privateKeyToAddress(key)))
    }
  })

  it('derives the known address of private key 1', () => {
    const k = new Uint8Array(32)
    k[31] = 1
    expect(hex(privateKeyToAddress(k))).toBe('7e5f4552091a69125d5dfcb7b8c2659029395bdf')
  })

  it('a high-s twin recovers the same key, but is rejected with homestead', () => {
    const { hash, r, s, recovery, address } = testSignature(3)
    const highS = secp256k1N - s
    const flipped = recovery ^ 1
    for (const rec of [loadRecoverer(), nobleRecoverer]) {
      expect(hex(publicKeyToAddress(rec.recoverPublicKey(hash, r, highS, flipped)))).toBe(
        hex(address),
      )
    }
    expect(isValidSignatureValues(r, highS, false)).toBe(true)
    expect(isValidSignatureValues(r, highS, true)).toBe(false)
    expect(() => recoverAddress(hash, r, highS, flipped, { homestead: true })).toThrow(
      expect.objectContaining({ code: 'ErrInvalidSignature' }),
    )
  })

  it('bad inputs are typed errors on both recoverers', () => {
    const { hash, r, s, recovery } = testSignature(1)
    for (const rec of [loadRecoverer(), nobleRecoverer]) {
      const cases: Array<[() => unknown, string]> = [
        [() => rec.recoverPublicKey(hash.subarray(1), r, s, recovery), 'ErrInvalidHash'],
        [() => rec.recoverPublicKey(hash, 0n, s, recovery), 'ErrInvalidSignature'],
        [() => rec.recoverPublicKey(hash, r, secp256k1N, recovery), 'ErrInvalidSignature'],
        [() => rec.recoverPublicKey(hash, r, s, 4), 'ErrInvalidRecovery'],
        [() => rec.recoverPublicKey(hash, r, s, -1), 'ErrInvalidRecovery'],
        // r = 5 has no curve point with x = 5 → recovery fails on both backends
        [() => rec.recoverPublicKey(hash, 5n, s, 0), 'ErrRecoveryFailed'],
      ]
      for (const [fn, code] of cases) {
        let err: unknown
        try {
          fn()
        } catch (e) {
          err = e
        }
        expect(err, `${rec.name} ${code}`).toBeInstanceOf(CryptoError)
        expect(isCryptoError(err, code as never), `${rec.name} ${code}: ${String(err)}`).toBe(true)
      }
    }
    expect(isValidSignatureValues(r, s, true, 2)).toBe(false)
    expect(() => sign(hash, new Uint8Array(32))).toThrow(
      expect.objectContaining({ code: 'ErrInvalidPrivateKey' }),
    )
    expect(() => publicKeyToAddress(new Uint8Array(10))).toThrow(
      expect.objectContaining({ code: 'ErrInvalidPublicKey' }),
    )
    expect(() => recoverPublicKey(new Uint8Array(31), r, s, 0)).toThrow(CryptoError)
  })
})

describe('signing', () => {
  it('loads the native signer here and prefers it', () => {
    expect(loadNativeSigner()?.name).toBe('native')
    expect(loadSigner().name).toBe('native')
  })

  it('native and noble give the same 65 bytes on 200 random keys and hashes', () => {
    const native = loadNativeSigner()
    if (native === null) throw new Error('native addon expected on linux-x64')
    for (let i = 0; i < 200; i++) {
      const key = randomPrivateKey()
      const hash = keccak256(new Uint8Array([i, i >> 8, 9]))
      const a = native.signRecoverable(hash, key)
      expect(a.length).toBe(65)
      expect(hex(a)).toBe(hex(nobleSigner.signRecoverable(hash, key)))
      expect(hex(signRecoverable(hash, key))).toBe(hex(a))
      const { r, s, recovery } = sign(hash, key)
      expect(r.toString(16).padStart(64, '0') + s.toString(16).padStart(64, '0')).toBe(
        hex(a.subarray(0, 64)),
      )
      expect(recovery).toBe(a[64])
      expect(hex(recoverAddress(hash, r, s, recovery))).toBe(hex(privateKeyToAddress(key)))
    }
  })

  it('both signers refuse bad keys and hashes with typed errors', () => {
    const hash = new Uint8Array(32).fill(1)
    const n = new Uint8Array(32)
    let x = secp256k1N
    for (let i = 31; i >= 0; i--) {
      n[i] = Number(x & 0xffn)
      x >>= 8n
    }
    for (const signer of [loadSigner(), nobleSigner]) {
      for (const [h, k, code] of [
        [hash, new Uint8Array(32), 'ErrInvalidPrivateKey'],
        [hash, n, 'ErrInvalidPrivateKey'],
        [hash, new Uint8Array(31).fill(1), 'ErrInvalidPrivateKey'],
        [new Uint8Array(31), new Uint8Array(32).fill(1), 'ErrInvalidHash'],
      ] as const) {
        let err: unknown
        try {
          signer.signRecoverable(h, k)
        } catch (e) {
          err = e
        }
        expect(isCryptoError(err, code), `${signer.name} ${code}: ${String(err)}`).toBe(true)
      }
    }
  })
})

describe('recovery pool', () => {
  for (const backend of ['native', 'noble'] as const) {
    it(`recovers a batch over 2 workers (${backend}), invalid items as null`, async () => {
      const pool = createRecoveryPool({ workers: 2, backend, homestead: true })
      try {
        expect(pool.backend).toBe(backend)
        const items = Array.from({ length: 60 }, (_, i) => testSignature(i))
        const batch = items.map(({ hash, r, s, recovery }) => ({ hash, r, s, recovery }))
        batch[5] = { ...(batch[5] as (typeof batch)[number]), r: 0n }
        batch[7] = { ...(batch[7] as (typeof batch)[number]), s: secp256k1N - (batch[7]?.s ?? 0n) }
        batch[9] = { ...(batch[9] as (typeof batch)[number]), r: 5n }
        const out = await pool.recoverAddresses(batch)
        expect(out).toHaveLength(60)
        for (let i = 0; i < 60; i++) {
          if (i === 5 || i === 7 || i === 9) expect(out[i]).toBeNull()
          else
            expect(hex(out[i] as Uint8Array)).toBe(
              hex((items[i] as { address: Uint8Array }).address),
            )
        }
      } finally {
        await pool.close()
      }
      await expect(pool.recoverAddresses([])).rejects.toMatchObject({ code: 'ErrPoolClosed' })
    })
  }

  it('close() rejects pending work; an aborted signal rejects', async () => {
    const pool = createRecoveryPool({ workers: 1, backend: 'noble' })
    const batch = Array.from({ length: 40 }, (_, i) => testSignature(i))
    const ac = new AbortController()
    ac.abort(new Error('stop'))
    await expect(pool.recoverAddresses(batch, { signal: ac.signal })).rejects.toThrow('stop')
    const p = expect(pool.recoverAddresses(batch)).rejects.toMatchObject({ code: 'ErrPoolClosed' })
    await pool.close()
    await p
  })
})
