import { keccak256, privateKeyToAddress, sign } from '@ethwire/crypto'
import { bytesToHex } from '@ethwire/rlp-wire'
import { hashTypedData as viemHashTypedData } from 'viem'
import { describe, expect, it } from 'vitest'
import { isAccountsError } from '../../src/accounts/errors.js'
import { type HashSigner, signTypedData } from '../../src/accounts/sign.js'
import {
  domainSeparator,
  encodeData,
  encodeType,
  hashStruct,
  hashTypedData,
  parseTypedData,
  type TypedData,
  typeHash,
} from '../../src/accounts/typed-data.js'
import vectors from './fixtures/eip712-vectors.json' with { type: 'json' }

const hex = bytesToHex
const cow = keccak256(new TextEncoder().encode('cow'))
const cowSigner: HashSigner = { signHash: async (_address, hash) => sign(hash, cow) }
const clone = <T>(v: T): T => structuredClone(v)

describe('EIP-712: the spec example (Mail)', () => {
  const v = vectors.mail
  const td = v.typedData as TypedData

  it('encodeType, typeHash, encodeData, hashStruct, domain separator and digest', () => {
    expect(encodeType(td.types, 'Mail')).toBe(v.encodeType)
    expect(hex(typeHash(td.types, 'Mail'))).toBe(v.typeHash)
    expect(hex(encodeData(td.types, 'Mail', td.message))).toBe(v.encodeData)
    expect(hex(hashStruct(td.types, 'Mail', td.message))).toBe(v.hashStruct)
    expect(hex(domainSeparator(td))).toBe(v.domainSeparator)
    expect(hex(hashTypedData(td))).toBe(v.digest)
  })

  it('signs as the spec does with the cow key (v=28, r, s), from the object or its JSON', async () => {
    expect(hex(privateKeyToAddress(cow))).toBe(v.address)
    const want = `${v.r}${v.s.slice(2)}${v.v.toString(16)}`
    expect(hex(await signTypedData(cowSigner, privateKeyToAddress(cow), td))).toBe(want)
    expect(hex(await signTypedData(cowSigner, privateKeyToAddress(cow), JSON.stringify(td)))).toBe(
      want,
    )
  })

  it('infers the EIP712Domain type from the domain when types leave it out', () => {
    const { EIP712Domain: _, ...types } = td.types
    expect(hex(hashTypedData({ ...td, types }))).toBe(v.digest)
  })
})

describe('EIP-712 v4: arrays', () => {
  const v = vectors.mailV4Arrays
  const td = v.typedData as TypedData

  it('arrays of structs and of addresses: hashes and signature as eth-sig-util asserts', async () => {
    expect(encodeType(td.types, 'Mail')).toBe(v.encodeType)
    expect(hex(hashStruct(td.types, 'Mail', td.message))).toBe(v.hashStruct)
    expect(hex(domainSeparator(td))).toBe(v.domainSeparator)
    expect(hex(hashTypedData(td))).toBe(v.digest)
    expect(hex(await signTypedData(cowSigner, privateKeyToAddress(cow), td))).toBe(v.signature)
  })
})

describe('EIP-712: every kind of member, against viem', () => {
  const rich: TypedData = {
    types: {
      EIP712Domain: [
        { name: 'name', type: 'string' },
        { name: 'chainId', type: 'uint256' },
        { name: 'salt', type: 'bytes32' },
      ],
      Node: [
        { name: 'label', type: 'string' },
        { name: 'children', type: 'Node[]' },
      ],
      Order: [
        { name: 'maker', type: 'address' },
        { name: 'flag', type: 'bool' },
        { name: 'amount', type: 'uint256' },
        { name: 'delta', type: 'int64' },
        { name: 'small', type: 'uint8' },
        { name: 'tag', type: 'bytes4' },
        { name: 'blob', type: 'bytes' },
        { name: 'note', type: 'string' },
        { name: 'matrix', type: 'int256[][]' },
        { name: 'pair', type: 'bytes32[2]' },
        { name: 'tree', type: 'Node' },
        { name: 'empty', type: 'uint256[]' },
      ],
    },
    primaryType: 'Order',
    domain: { name: 'Rich', chainId: 1337, salt: `0x${'ab'.repeat(32)}` },
    message: {
      maker: '0x00000000000000000000000000000000000000ff',
      flag: true,
      amount: '0xde0b6b3a7640000',
      delta: -42,
      small: '255',
      tag: '0xdeadbeef',
      blob: '0x0102030405',
      note: 'héllo ✓',
      matrix: [[1, -2], [], [3]],
      pair: [`0x${'11'.repeat(32)}`, `0x${'22'.repeat(32)}`],
      tree: {
        label: 'root',
        children: [
          { label: 'a', children: [] },
          { label: 'b', children: [{ label: 'c', children: [] }] },
        ],
      },
      empty: [],
    },
  }

  it('matches viem’s hashTypedData for nested, recursive, array, bytes, string and int members', () => {
    // viem wants bigints for the integers; the digest must not depend on how they are written
    const forViem = clone(rich)
    Object.assign(forViem.message, {
      amount: 10n ** 18n,
      delta: -42n,
      small: 255,
      matrix: [[1n, -2n], [], [3n]],
    })
    const theirs = viemHashTypedData({
      domain: forViem.domain,
      types: forViem.types,
      primaryType: 'Order',
      message: forViem.message,
    } as Parameters<typeof viemHashTypedData>[0])
    expect(hex(hashTypedData(rich))).toBe(theirs)
  })

  it('primaryType EIP712Domain signs the domain separator alone', () => {
    const d = { ...rich, primaryType: 'EIP712Domain', message: {} }
    const theirs = viemHashTypedData({
      domain: rich.domain,
      types: { EIP712Domain: rich.types.EIP712Domain },
      primaryType: 'EIP712Domain',
    } as unknown as Parameters<typeof viemHashTypedData>[0])
    expect(hex(hashTypedData(d))).toBe(theirs)
  })

  it('refuses data that does not fit its types with ErrInvalidTypedData', () => {
    const cases: Array<(t: TypedData) => void> = [
      (t) => delete t.message.note,
      (t) => Object.assign(t.message, { extra: 1 }),
      (t) => Object.assign(t.message, { small: 256 }),
      (t) => Object.assign(t.message, { delta: '9223372036854775808' }),
      (t) => Object.assign(t.message, { amount: -1 }),
      (t) => Object.assign(t.message, { amount: 1.5 }),
      (t) => Object.assign(t.message, { tag: '0xdead' }),
      (t) => Object.assign(t.message, { blob: 'not hex' }),
      (t) => Object.assign(t.message, { maker: '0x1234' }),
      (t) => Object.assign(t.message, { flag: 'true' }),
      (t) => Object.assign(t.message, { pair: [`0x${'11'.repeat(32)}`] }),
      (t) => Object.assign(t.message, { matrix: [1] }),
      (t) => Object.assign(t.message, { tree: 'root' }),
      (t) => t.types.Order!.push({ name: 'x', type: 'Unknown' }),
      (t) => t.types.Order!.push({ name: 'x', type: 'uint7' }),
      (t) => Object.assign(t, { primaryType: 'Nope' }),
    ]
    for (const mutate of cases) {
      const t = clone(rich)
      mutate(t)
      let err: unknown
      try {
        hashTypedData(t)
      } catch (e) {
        err = e
      }
      expect(isAccountsError(err, 'ErrInvalidTypedData'), mutate.toString()).toBe(true)
    }
  })

  it('parseTypedData checks the shape of the RPC parameter', () => {
    expect(parseTypedData(JSON.stringify(rich)).primaryType).toBe('Order')
    for (const bad of ['{', '[]', 7, { ...rich, types: undefined }, { ...rich, message: 'x' }]) {
      expect(() => parseTypedData(bad)).toThrow(/typed data/)
    }
  })
})
