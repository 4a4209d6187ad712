import { describe, expect, it } from 'vitest'
import { ChainError, isChainError } from '../src/index.js'

describe('isChainError', () => {
  it('accepts a ChainError from a second copy of the module (as ESM and CJS builds make)', async () => {
    // @ts-expect-error: the query makes vite load the module again; tsc cannot resolve it
    const second: typeof import('../src/errors.js') = await import('../src/errors.js?second-copy')
    const copy = new second.ChainError('ErrUnknownBlock', 'no such block', 5n)
    expect(second.ChainError).not.toBe(ChainError)
    expect(copy instanceof ChainError).toBe(false)
    expect(isChainError(copy)).toBe(true)
    expect(isChainError(copy, 'ErrUnknownBlock')).toBe(true)
  })

  it('rejects other errors', () => {
    expect(isChainError(new Error('ErrUnknownBlock'))).toBe(false)
    expect(isChainError(Object.assign(new Error('x'), { code: 'ErrUnknownBlock' }))).toBe(false)
  })
})

describe('ChainError.local', () => {
  it('is true for failures of our own database or state, false for a bad block', () => {
    for (const code of [
      'ErrDiskFull',
      'ErrWrite',
      'ErrDatadirReadOnly',
      'ErrClosed',
      'ErrStateNotSynced',
    ] as const) {
      expect(new ChainError(code, 'x').local, code).toBe(true)
    }
    for (const code of [
      'ErrBadBlock',
      'ErrInvalidSeal',
      'ErrUnknownParent',
      'ErrInvalidBody',
    ] as const) {
      expect(new ChainError(code, 'x').local, code).toBe(false)
    }
  })
})
