import { describe, expect, it } from 'vitest'
import { isPeerError, PeerError } from '../src/index.js'

describe('isPeerError', () => {
  it('accepts a PeerError from a second copy of the module (as ESM and CJS builds make)', async () => {
    // @ts-expect-error: the query makes vite load the module again; tsc cannot resolve it
    const second: typeof import('../src/errors.js') = await import('../src/errors.js?second-copy')
    const copy = new second.PeerError('ErrTimeout', 'no answer')
    expect(second.PeerError).not.toBe(PeerError)
    expect(copy instanceof PeerError).toBe(false)
    expect(isPeerError(copy)).toBe(true)
    expect(isPeerError(copy, 'ErrTimeout')).toBe(true)
    expect(isPeerError(copy, 'ErrClosed')).toBe(false)
    expect(copy.disconnectReason).toBe(new PeerError('ErrTimeout', 'x').disconnectReason)
  })

  it('rejects other errors', () => {
    expect(isPeerError(new Error('ErrTimeout'))).toBe(false)
    expect(isPeerError(Object.assign(new Error('x'), { code: 'ErrTimeout' }))).toBe(false)
    expect(isPeerError({ name: 'PeerError' })).toBe(false)
  })
})
