import { describe, expect, it } from 'vitest'
import { TypedEmitter } from '../src/index.js'

interface Events {
  ping: number
}

describe('TypedEmitter', () => {
  it('hands a throwing listener to onListenerError and still calls the others', () => {
    const errors: [unknown, string][] = []
    const emitter = new TypedEmitter<Events>({
      onListenerError: (err, event) => errors.push([err, String(event)]),
    })
    const seen: number[] = []
    emitter.on('ping', () => {
      throw new Error('boom')
    })
    const off = emitter.on('ping', (n) => seen.push(n))
    emitter.emit('ping', 1)
    off()
    emitter.emit('ping', 2)
    expect(seen).toEqual([1])
    expect(errors).toHaveLength(2)
    expect(String(errors[0]![0])).toContain('boom')
    expect(errors[0]![1]).toBe('ping')
    expect(emitter.listenerCount('ping')).toBe(1)
  })
})
