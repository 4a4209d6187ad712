import { describe, expect, it } from 'vitest'
import * as main from '../src/index.js'
import {
  createSystemClock,
  errorCode,
  isCodedError,
  systemClock,
  TypedEmitter,
} from '../src/runtime.js'

describe('main entry', () => {
  it('has no runtime exports', () => {
    expect(Object.keys(main)).toEqual([])
  })
})

describe('systemClock', () => {
  it('reads Date.now and runs real timers, which it can clear', async () => {
    const before = Date.now()
    expect(systemClock.now()).toBeGreaterThanOrEqual(before)
    let cleared = false
    const h = systemClock.setTimeout(() => {
      cleared = true
    }, 1)
    systemClock.clearTimeout(h)
    await new Promise<void>((r) => systemClock.setTimeout(r, 5))
    expect(cleared).toBe(false)
  })
})

describe('createSystemClock', () => {
  it('without unref is the system clock', () => {
    expect(createSystemClock()).toBe(systemClock)
  })

  it('with unref, its timers run and do not keep the process alive', async () => {
    const clock = createSystemClock({ unref: true })
    const h = clock.setTimeout(() => {}, 60_000) as { hasRef?: () => boolean }
    expect(h.hasRef?.()).toBe(false)
    clock.clearTimeout(h)
    let ran = false
    await new Promise<void>((r) =>
      clock.setTimeout(() => {
        ran = true
        r()
      }, 1),
    )
    expect(ran).toBe(true)
  })
})

describe('TypedEmitter', () => {
  type Events = { ping: number; other: string }

  it('calls listeners in order; on returns the unsubscribe function', () => {
    const e = new TypedEmitter<Events>()
    const seen: string[] = []
    const off = e.on('ping', (n) => seen.push(`a${n}`))
    e.on('ping', (n) => seen.push(`b${n}`))
    e.emit('ping', 1)
    off()
    e.emit('ping', 2)
    e.emit('other', 'x')
    expect(seen).toEqual(['a1', 'b1', 'b2'])
    expect(e.listenerCount('ping')).toBe(1)
    expect(e.listenerCount('other')).toBe(0)
  })

  it('a throwing listener does not stop the others; its error goes to onListenerError', () => {
    const errors: Array<[unknown, unknown]> = []
    const e = new TypedEmitter<Events>({
      onListenerError: (err, event) => errors.push([err, event]),
    })
    const boom = new Error('listener bug')
    const seen: number[] = []
    e.on('ping', () => {
      throw boom
    })
    e.on('ping', (n) => seen.push(n))
    expect(() => e.emit('ping', 7)).not.toThrow()
    expect(seen).toEqual([7])
    expect(errors).toEqual([[boom, 'ping']])
  })

  it('without onListenerError the error is rethrown asynchronously, not to the emitter', async () => {
    const e = new TypedEmitter<Events>()
    const boom = new Error('listener bug')
    e.on('ping', () => {
      throw boom
    })
    const original = globalThis.queueMicrotask
    const queued: Array<() => void> = []
    globalThis.queueMicrotask = (f) => queued.push(f)
    try {
      expect(() => e.emit('ping', 1)).not.toThrow()
    } finally {
      globalThis.queueMicrotask = original
    }
    expect(queued).toHaveLength(1)
    expect(() => queued[0]?.()).toThrow(boom)
  })
})

describe('errorCode / isCodedError', () => {
  class OneError extends Error {
    override readonly name = 'OneError'
    constructor(readonly code: string) {
      super(code)
    }
  }
  // a structurally identical second copy, as a second build of the same package would load
  class OneErrorCopy extends Error {
    override readonly name = 'OneError'
    constructor(readonly code: string) {
      super(code)
    }
  }

  it('reads a string code and nothing else', () => {
    expect(errorCode(new OneError('ErrX'))).toBe('ErrX')
    expect(errorCode({ code: 'ENOENT' })).toBe('ENOENT')
    expect(errorCode({ code: 5 })).toBeUndefined()
    expect(errorCode(null)).toBeUndefined()
    expect(errorCode('ErrX')).toBeUndefined()
  })

  it('checks the name brand and the code, so a copy of the class passes and others do not', () => {
    expect(isCodedError(new OneError('ErrX'), 'OneError')).toBe(true)
    expect(isCodedError(new OneErrorCopy('ErrX'), 'OneError', 'ErrX')).toBe(true)
    expect(new OneErrorCopy('ErrX') instanceof OneError).toBe(false)
    expect(isCodedError(new OneError('ErrX'), 'OneError', 'ErrY')).toBe(false)
    expect(isCodedError(new Error('plain'), 'OneError')).toBe(false)
    expect(isCodedError({ name: 'OneError' }, 'OneError')).toBe(false)
    expect(isCodedError(undefined, 'OneError')).toBe(false)
  })
})
