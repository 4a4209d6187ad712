import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { createKeccak } from '../src/index.js'
import { toHex } from './helpers.js'

const fixture = JSON.parse(
  readFileSync(new URL('./fixtures/keccak256-vectors.json', import.meta.url), 'utf8'),
) as {
  keccakTeamShortMsgKat256: { lenBits: number; msg: string; md: string }[]
  cryptopp: { message: string; repeat: number; md: string }[]
}

const kat = fixture.keccakTeamShortMsgKat256.map((v) => ({
  name: `ShortMsgKAT_256 Len = ${v.lenBits}`,
  data: Uint8Array.from(Buffer.from(v.msg, 'hex')),
  md: v.md.toLowerCase(),
}))
const text = fixture.cryptopp.map((v) => ({
  name: `Crypto++ ${JSON.stringify(v.message.slice(0, 20))} x ${v.repeat}`,
  data: new TextEncoder().encode(v.message.repeat(v.repeat)),
  piece: new TextEncoder().encode(v.message),
  repeat: v.repeat,
  md: v.md,
}))

describe.each(['wasm', 'noble'] as const)('known answers, %s backend', (backend) => {
  const k = createKeccak({ backend })

  it('is the backend asked for', () => {
    expect(k.backend).toBe(backend)
  })

  it.each([...kat, ...text])('$name: one-shot', ({ data, md }) => {
    expect(toHex(k.keccak256(data))).toBe(md)
  })

  it('Keccak team KATs in one batch', () => {
    expect(k.keccak256Many(kat.map((v) => v.data)).map(toHex)).toEqual(kat.map((v) => v.md))
  })

  it.each(text)('$name: incrementally, one piece per update', ({ piece, repeat, md }) => {
    const h = k.createKeccak256()
    for (let i = 0; i < repeat; i++) h.update(piece)
    expect(toHex(h.digest())).toBe(md)
  })

  it('the length fixture entries say matches the data', () => {
    for (const v of fixture.keccakTeamShortMsgKat256) expect(v.msg.length * 4).toBe(v.lenBits)
  })
})
