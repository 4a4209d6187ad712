import { describe, expect, it } from 'vitest'
import { fastSyncVersionsOk } from '../src/parts/protocol.js'

describe('--syncmode fast and the eth versions', () => {
  it('needs one of eth/63–66 (GetNodeData)', () => {
    expect(fastSyncVersionsOk([66])).toBe(true)
    expect(fastSyncVersionsOk([63, 68])).toBe(true)
    expect(fastSyncVersionsOk([67, 68, 69])).toBe(false)
    expect(fastSyncVersionsOk([62])).toBe(false)
    expect(fastSyncVersionsOk([])).toBe(false)
  })
})
