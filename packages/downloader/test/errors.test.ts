import { describe, expect, it } from 'vitest'
import { DownloaderError, isDownloaderError } from '../src/index.js'

describe('isDownloaderError', () => {
  it('checks the name/code brand, so an error from another copy of the package (ESM vs CJS) passes', () => {
    const own = new DownloaderError('ErrTimeout', 'x')
    // What a DownloaderError from the other module format looks like to this copy: same brand,
    // different class.
    const other = Object.assign(new Error('ErrTimeout: x'), {
      name: 'DownloaderError',
      code: 'ErrTimeout',
    })
    expect(other instanceof DownloaderError).toBe(false)
    expect(isDownloaderError(own, 'ErrTimeout')).toBe(true)
    expect(isDownloaderError(other)).toBe(true)
    expect(isDownloaderError(other, 'ErrTimeout')).toBe(true)
    expect(isDownloaderError(other, 'ErrBadPeer')).toBe(false)
    expect(isDownloaderError(new Error('ErrTimeout'))).toBe(false)
    expect(isDownloaderError({ name: 'DownloaderError' })).toBe(false)
    expect(isDownloaderError(undefined)).toBe(false)
  })
})
