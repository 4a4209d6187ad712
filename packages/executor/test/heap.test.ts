import { describe, expect, it } from 'vitest'
import { constants, limitHeapGrowth } from '../src/index.js'

describe('limitHeapGrowth', () => {
  it('applies the default percent and returns it', () => {
    expect(limitHeapGrowth()).toBe(constants.heapGrowingPercent)
    expect(constants.heapGrowingPercent).toBe(50)
  })
  it('takes 0 (V8 default) and a whole percent', () => {
    expect(limitHeapGrowth(0)).toBe(0)
    expect(limitHeapGrowth(25)).toBe(25)
  })
  it('refuses a negative or fractional percent', () => {
    expect(() => limitHeapGrowth(-1)).toThrow(RangeError)
    expect(() => limitHeapGrowth(1.5)).toThrow(/whole number/)
    expect(() => limitHeapGrowth(Number.NaN)).toThrow(RangeError)
  })
})
