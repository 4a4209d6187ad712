import { describe, expect, it } from 'vitest'
import { CryptoError, isCryptoError } from '../src/index.js'

describe('isCryptoError', () => {
  it('accepts a CryptoError from a second copy of the module (as ESM and CJS builds make)', async () => {
    // @ts-expect-error: the query makes vite load the module again; tsc cannot resolve it
    const second: typeof import('../src/errors.js') = await import('../src/errors.js?second-copy')
    const copy = new second.CryptoError('ErrInvalidSignature', 'bad')
    expect(second.CryptoError).not.toBe(CryptoError)
    expect(copy instanceof CryptoError).toBe(false)
    expect(isCryptoError(copy)).toBe(true)
    expect(isCryptoError(copy, 'ErrInvalidSignature')).toBe(true)
  })

  it('rejects other errors', () => {
    expect(isCryptoError(new Error('ErrInvalidSignature'))).toBe(false)
    expect(isCryptoError(Object.assign(new Error('x'), { code: 'ErrInvalidSignature' }))).toBe(
      false,
    )
  })
})
