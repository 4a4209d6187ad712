import { describe, expect, it } from 'vitest'
import { HandshakeError, isHandshakeError } from '../src/index.js'

describe('isHandshakeError', () => {
  it('accepts a HandshakeError from a second copy of the module (as ESM and CJS builds make)', async () => {
    // @ts-expect-error: the query makes vite load the module again; tsc cannot resolve it
    const second: typeof import('../src/errors.js') = await import('../src/errors.js?second-copy')
    const copy = new second.HandshakeError('ErrGenesisMismatch', 'other chain')
    expect(second.HandshakeError).not.toBe(HandshakeError)
    expect(copy instanceof HandshakeError).toBe(false)
    expect(isHandshakeError(copy)).toBe(true)
    expect(isHandshakeError(copy, 'ErrGenesisMismatch')).toBe(true)
    expect(isHandshakeError(copy, 'ErrTimeout')).toBe(false)
    expect(copy.disconnectReason).toBe(
      new HandshakeError('ErrGenesisMismatch', 'x').disconnectReason,
    )
  })

  it('rejects other errors', () => {
    expect(isHandshakeError(new Error('ErrTimeout'))).toBe(false)
    expect(isHandshakeError(Object.assign(new Error('x'), { code: 'ErrTimeout' }))).toBe(false)
  })
})
