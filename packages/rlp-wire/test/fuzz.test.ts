import { describe, expect, it } from 'vitest'
import {
  Block,
  BlockHeader,
  decodeBodyRaw,
  decodeMessage,
  decodeReceipt,
  decodeStatus,
  encodeMessage,
  isWireError,
  maxMessageSizeBytes,
  rlpDecode,
  rlpEncodeListOfEncoded,
  rlpListElements,
  Transaction,
} from '../src/index.js'
import { genBlock, genMessage, messageNames, Rand } from '../src/testing.js'

const versions = [62, 63, 66, 67, 68, 69, 70, 71, 72]

type Decoder = (b: Uint8Array) => unknown
const decoders: [string, Decoder][] = [
  ['rlpDecode', rlpDecode],
  ['rlpListElements', (b) => rlpListElements(b)],
  ['BlockHeader.decode', (b) => BlockHeader.decode(b)],
  ['Transaction.decode', (b) => Transaction.decode(b)],
  ['Transaction.decodeNetworkRaw', (b) => Transaction.decodeNetworkRaw(b)],
  ['Block.decode', (b) => Block.decode(b)],
  ['decodeBodyRaw', (b) => decodeBodyRaw(b)],
  ['decodeReceipt', (b) => decodeReceipt(b)],
  ...versions.map(
    (v) => [`decodeStatus(${v})`, (b: Uint8Array) => decodeStatus(v, b)] as [string, Decoder],
  ),
  ...versions.flatMap((v) =>
    Array.from(
      { length: 0x13 },
      (_, code) =>
        [
          `decodeMessage(${v}, 0x${code.toString(16)})`,
          (b: Uint8Array) => decodeMessage(v, { code, payload: b }),
        ] as [string, Decoder],
    ),
  ),
]

// No wall-clock bound here (it fails on a loaded machine without proving anything): the inputs
// that could make a decoder slow or exhaust memory are tested one by one in 'adversarial shapes'.
function mustOnlyThrowWireError(name: string, f: Decoder, input: Uint8Array): void {
  try {
    f(input)
  } catch (e) {
    if (!isWireError(e)) {
      throw new Error(
        `${name} threw a non-WireError on ${Buffer.from(input).toString('hex').slice(0, 200)}: ${e}`,
      )
    }
  }
}

function mutate(r: Rand, b: Uint8Array): Uint8Array {
  const out = Uint8Array.from(b)
  switch (r.int(6)) {
    case 0: // flip a byte
      if (out.length) out[r.int(out.length)] = r.int(256)
      return out
    case 1: // truncate
      return out.subarray(0, r.int(out.length + 1))
    case 2: // append
      return Uint8Array.from([...out, ...r.bytes(1 + r.int(4))])
    case 3: {
      // delete one byte
      const i = r.int(out.length + 1)
      return Uint8Array.from([...out.subarray(0, i), ...out.subarray(i + 1)])
    }
    case 4: {
      // insert one byte
      const i = r.int(out.length + 1)
      return Uint8Array.from([...out.subarray(0, i), r.int(256), ...out.subarray(i)])
    }
    default: // set a prefix-looking byte somewhere
      if (out.length)
        out[r.int(out.length)] = r.pick([
          0x80, 0x81, 0xb8, 0xb9, 0xbf, 0xc0, 0xf8, 0xf9, 0xff, 0x00,
        ])
      return out
  }
}

describe('fuzz: only WireError ever comes out, in bounded time', () => {
  it('random bytes into every decoder', () => {
    const r = new Rand(12345)
    for (let i = 0; i < 60; i++) {
      const input = r.bytes(r.int(300))
      for (const [name, f] of decoders) mustOnlyThrowWireError(name, f, input)
    }
  })

  it('mutated valid messages into every decoder of their version and the generic ones', () => {
    const r = new Rand(777)
    let n = 0
    for (const version of versions) {
      for (const name of messageNames(version)) {
        if (name === 'PooledTransactions') continue // blob sidecars make inputs large; covered below
        for (let k = 0; k < 4; k++) {
          const { code, payload } = encodeMessage(version, genMessage(r, version, name))
          for (let j = 0; j < 25; j++) {
            const m = mutate(r, payload)
            mustOnlyThrowWireError(
              `${version}/${name}`,
              (b) => decodeMessage(version, { code, payload: b }),
              m,
            )
            n++
          }
        }
      }
    }
    for (let k = 0; k < 40; k++) {
      const block = genBlock(r).encode()
      for (let j = 0; j < 10; j++) {
        const m = mutate(r, block)
        for (const [name, f] of decoders.slice(0, 8)) mustOnlyThrowWireError(name, f, m)
        n++
      }
    }
    expect(n).toBeGreaterThan(5000)
  })

  it('deep nesting is an ErrDecode, not a stack overflow', () => {
    let b: Uint8Array = Uint8Array.of(0xc0)
    for (let i = 0; i < 3000; i++) b = rlpEncodeListOfEncoded([b])
    for (const [name, f] of decoders.slice(0, 8)) mustOnlyThrowWireError(name, f, b)
    expect(() => rlpDecode(b)).toThrow(/nested too deeply/)
  })

  it('huge announced lengths fail fast', () => {
    const inputs = [
      Uint8Array.of(0xbf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff),
      Uint8Array.of(0xff, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xc0),
      Uint8Array.of(0xfb, 0xff, 0xff, 0xff, 0xff),
    ]
    for (const input of inputs)
      for (const [name, f] of decoders) mustOnlyThrowWireError(name, f, input)
  })

  it('an over-cap payload is ErrMsgTooLarge without being parsed', () => {
    const big = new Uint8Array(maxMessageSizeBytes + 1)
    for (const v of versions) {
      expect(() => decodeMessage(v, { code: 4, payload: big })).toThrow(/ErrMsgTooLarge/)
    }
  })
})

describe('adversarial shapes', () => {
  // Nesting far past the depth limit: a typed error, not a stack overflow (RangeError).
  const nested = (depth: number) => {
    let b: Uint8Array = Uint8Array.of(0xc0)
    for (let i = 0; i < depth; i++) b = rlpEncodeListOfEncoded([b])
    return b
  }
  it('a list nested 100,000 deep is a WireError for every decoder', () => {
    const input = nested(100_000)
    for (const [name, f] of decoders) mustOnlyThrowWireError(name, f, input)
  })
  // A length prefix claiming far more than the input holds: refused before anything is allocated
  // (an allocation of 2^62 bytes would throw a RangeError, which fails the check).
  it('a claimed length of 2^62 bytes is a WireError for every decoder', () => {
    const long = Uint8Array.of(0xbf, 0x40, 0, 0, 0, 0, 0, 0, 0, 0x01)
    const list = Uint8Array.of(0xff, 0x40, 0, 0, 0, 0, 0, 0, 0, 0x01)
    for (const input of [long, list])
      for (const [name, f] of decoders) mustOnlyThrowWireError(name, f, input)
  })
  // 200,000 one-byte items in a list: decoded in one pass (a quadratic decoder would take minutes).
  it('a list of 200,000 items decodes once, item by item', () => {
    const items = Array.from({ length: 200_000 }, () => Uint8Array.of(0x01))
    const input = rlpEncodeListOfEncoded(items)
    expect(rlpListElements(input).length).toBe(200_000)
    for (const [name, f] of decoders) mustOnlyThrowWireError(name, f, input)
  }, 60_000)
})
