import { describe, expect, it } from 'vitest'
import { isTransportError, TransportError } from '../src/index.js'

describe('isTransportError', () => {
  it('accepts a TransportError from a second copy of the module (as ESM and CJS builds make)', async () => {
    // @ts-expect-error: the query makes vite load the module again; tsc cannot resolve it
    const second: typeof import('../src/errors.js') = await import('../src/errors.js?second-copy')
    const copy = new second.TransportError('ErrDial', 'unreachable')
    expect(second.TransportError).not.toBe(TransportError)
    expect(copy instanceof TransportError).toBe(false)
    expect(isTransportError(copy)).toBe(true)
    expect(isTransportError(copy, 'ErrDial')).toBe(true)
    expect(isTransportError(copy, 'ErrNotRunning')).toBe(false)
  })

  it('rejects other errors', () => {
    expect(isTransportError(new Error('ErrDial'))).toBe(false)
    expect(isTransportError(Object.assign(new Error('x'), { code: 'ErrDial' }))).toBe(false)
  })
})
