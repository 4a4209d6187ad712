import { describe, expect, it } from 'vitest'
import { decodeMessage, encodeMessage, WireError } from '../src/index.js'
import { genMessage, messageNames, msgPipe, Rand } from '../src/testing.js'

describe('smoke', () => {
  it('every message of every version round-trips once', () => {
    const r = new Rand(1)
    for (const version of [62, 63, 66, 67, 68, 69]) {
      for (const name of messageNames(version)) {
        const m = genMessage(r, version, name)
        const enc = encodeMessage(version, m)
        const dec = decodeMessage(version, enc)
        expect(dec.name).toBe(name)
        expect(encodeMessage(version, dec).payload).toEqual(enc.payload)
      }
    }
  })
  it('msgPipe delivers and closes', async () => {
    const [a, b] = msgPipe()
    await a.writeMsg(1, Uint8Array.of(0xc0))
    expect((await b.readMsg()).code).toBe(1)
    const pending = b.readMsg()
    await a.close(4)
    await expect(pending).rejects.toThrow(WireError)
  })
})
