import { describe, expect, it } from 'vitest'
import { isWireError, WireError } from '../src/index.js'

describe('isWireError', () => {
  it('accepts a WireError from a second copy of the module (as ESM and CJS builds make)', async () => {
    // the same source loaded again under another URL: a distinct class, as a second build would be
    // @ts-expect-error: the query makes vite load the module again; tsc cannot resolve it
    const second: typeof import('../src/errors.js') = await import('../src/errors.js?second-copy')
    const copy = new second.WireError('ErrClosed', 'closed', { reason: 4, remote: true })
    expect(second.WireError).not.toBe(WireError)
    expect(copy instanceof WireError).toBe(false)
    expect(isWireError(copy)).toBe(true)
    expect(isWireError(copy, 'ErrClosed')).toBe(true)
    expect(isWireError(copy, 'ErrDecode')).toBe(false)
    expect(second.isWireError(new WireError('ErrDecode', 'x'), 'ErrDecode')).toBe(true)
  })

  it('rejects other errors and look-alikes without a string code', () => {
    expect(isWireError(new Error('ErrClosed'))).toBe(false)
    expect(isWireError({ name: 'WireError' })).toBe(false)
    expect(isWireError({ name: 'WireError', code: 1 })).toBe(false)
    expect(isWireError(undefined)).toBe(false)
    expect(isWireError(Object.assign(new Error('x'), { code: 'ErrClosed' }))).toBe(false)
  })
})
