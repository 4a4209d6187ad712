import { describe, expect, it } from 'vitest'
import { ExecutorError, isExecutorError } from '../src/index.js'

describe('isExecutorError', () => {
  it('accepts an ExecutorError from a second copy of the module (as ESM and CJS builds make)', async () => {
    // @ts-expect-error: the query makes vite load the module again; tsc cannot resolve it
    const second: typeof import('../src/errors.js') = await import('../src/errors.js?second-copy')
    const copy = new second.ExecutorError('ErrInvalidTx', 'nonce too low', { txIndex: 2 })
    expect(second.ExecutorError).not.toBe(ExecutorError)
    expect(copy instanceof ExecutorError).toBe(false)
    expect(isExecutorError(copy)).toBe(true)
    expect(isExecutorError(copy, 'ErrInvalidTx')).toBe(true)
    expect(isExecutorError(copy, 'ErrInvalidBlock')).toBe(false)
  })

  it('rejects other errors', () => {
    expect(isExecutorError(new Error('ErrInvalidTx'))).toBe(false)
    expect(isExecutorError(Object.assign(new Error('x'), { code: 'ErrInvalidTx' }))).toBe(false)
    // the brand with a non-string code is not a typed error
    expect(isExecutorError(Object.assign(new Error('x'), { name: 'ExecutorError', code: 1 }))).toBe(
      false,
    )
  })
})
