import { describe, expect, it } from 'vitest'
import { isTxSyncError, TxSyncError } from '../src/index.js'

describe('isTxSyncError', () => {
  it('accepts a TxSyncError from a second copy of the module (as ESM and CJS builds make)', async () => {
    // @ts-expect-error: the query makes vite load the module again; tsc cannot resolve it
    const second: typeof import('../src/errors.js') = await import('../src/errors.js?second-copy')
    const copy = new second.TxSyncError('ErrPackTimeout', 'slow')
    expect(second.TxSyncError).not.toBe(TxSyncError)
    expect(copy instanceof TxSyncError).toBe(false)
    expect(isTxSyncError(copy)).toBe(true)
    expect(isTxSyncError(copy, 'ErrPackTimeout')).toBe(true)
    expect(isTxSyncError(copy, 'ErrSendFailed')).toBe(false)
  })

  it('rejects other errors', () => {
    expect(isTxSyncError(new Error('ErrPackTimeout'))).toBe(false)
    expect(isTxSyncError(Object.assign(new Error('x'), { code: 'ErrPackTimeout' }))).toBe(false)
  })
})
