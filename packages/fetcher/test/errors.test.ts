import { describe, expect, it } from 'vitest'
import { FetcherError, isFetcherError } from '../src/index.js'

describe('isFetcherError', () => {
  it('accepts a FetcherError from a second copy of the module (as ESM and CJS builds make)', async () => {
    // @ts-expect-error: the query makes vite load the module again; tsc cannot resolve it
    const second: typeof import('../src/errors.js') = await import('../src/errors.js?second-copy')
    const copy = new second.FetcherError('ErrInvalidBody', 'p1', 'bad body')
    expect(second.FetcherError).not.toBe(FetcherError)
    expect(copy instanceof FetcherError).toBe(false)
    expect(isFetcherError(copy)).toBe(true)
    expect(isFetcherError(copy, 'ErrInvalidBody')).toBe(true)
    expect(isFetcherError(copy, 'ErrInvalidHeader')).toBe(false)
  })

  it('rejects other errors', () => {
    expect(isFetcherError(new Error('ErrInvalidBody'))).toBe(false)
    expect(isFetcherError(Object.assign(new Error('x'), { code: 'ErrInvalidBody' }))).toBe(false)
  })
})
