import { describe, expect, it } from 'vitest'
import { PeerSet, type SetPeer } from '../src/index.js'

const peer = (id: string): SetPeer => ({
  id,
  td: 1n,
  blockRange: undefined,
  knowsBlock: () => false,
  knowsTx: () => false,
  disconnect: async () => {},
})

describe('PeerSet events', () => {
  it('a throwing listener goes to onListenerError; register still succeeds and others run', () => {
    const errors: [unknown, string][] = []
    const set = new PeerSet({ onListenerError: (err, event) => errors.push([err, String(event)]) })
    const seen: string[] = []
    set.on('added', () => {
      throw new Error('boom')
    })
    const off = set.on('added', (p) => seen.push(p.id))
    set.register(peer('a'))
    off()
    set.register(peer('b'))
    expect(set.size).toBe(2)
    expect(seen).toEqual(['a'])
    expect(errors).toHaveLength(2)
    expect(String(errors[0]![0])).toContain('boom')
    expect(errors[0]![1]).toBe('added')
    expect(set.events.listenerCount('added')).toBe(1)
  })
})
