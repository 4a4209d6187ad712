import { describe, expect, it } from 'vitest'
import { isTxPoolError, TxPoolError } from '../src/index.js'

describe('isTxPoolError', () => {
  it('accepts a TxPoolError from a second copy of the module (as ESM and CJS builds make)', async () => {
    // @ts-expect-error: the query makes vite load the module again; tsc cannot resolve it
    const second: typeof import('../src/errors.js') = await import('../src/errors.js?second-copy')
    const copy = new second.TxPoolError('ErrNonceTooLow', 'stale')
    expect(second.TxPoolError).not.toBe(TxPoolError)
    expect(copy instanceof TxPoolError).toBe(false)
    expect(isTxPoolError(copy)).toBe(true)
    expect(isTxPoolError(copy, 'ErrNonceTooLow')).toBe(true)
  })

  it('rejects other errors', () => {
    expect(isTxPoolError(new Error('ErrNonceTooLow'))).toBe(false)
    expect(isTxPoolError(Object.assign(new Error('x'), { code: 'ErrNonceTooLow' }))).toBe(false)
  })
})
