import { describe, expect, it } from 'vitest'
import { isRlpxError, RlpxError, refusalCode } from '../src/index.js'
import { DisconnectReason } from '../src/wire.js'

describe('isRlpxError', () => {
  it('accepts an RlpxError from a second copy of the module (as ESM and CJS builds make)', async () => {
    // @ts-expect-error: the query makes vite load the module again; tsc cannot resolve it
    const second: typeof import('../src/errors.js') = await import('../src/errors.js?second-copy')
    const copy = new second.RlpxError('ErrBadMac', 'forged')
    expect(second.RlpxError).not.toBe(RlpxError)
    expect(copy instanceof RlpxError).toBe(false)
    expect(isRlpxError(copy)).toBe(true)
    expect(isRlpxError(copy, 'ErrBadMac')).toBe(true)
    expect(isRlpxError(copy, 'ErrProtocol')).toBe(false)
  })

  it('rejects other errors', () => {
    expect(isRlpxError(new Error('ErrBadMac'))).toBe(false)
    expect(isRlpxError(Object.assign(new Error('x'), { code: 'ErrBadMac' }))).toBe(false)
  })
})

describe('refusalCode', () => {
  it('names each refusal for its reason', () => {
    expect(refusalCode(DisconnectReason.ClientQuitting)).toBe('ErrStopped')
    expect(refusalCode(DisconnectReason.TooManyPeers)).toBe('ErrTooManyPeers')
    expect(refusalCode(DisconnectReason.AlreadyConnected)).toBe('ErrAlreadyConnected')
    expect(refusalCode(DisconnectReason.ConnectedToSelf)).toBe('ErrIdentity')
    expect(refusalCode(DisconnectReason.UselessPeer)).toBe('ErrRefused')
  })
})
