/**
 * EIP-712 typed structured data hashing, version 4 (`eth_signTypedData_v4`): nested structs,
 * recursive types, arrays (dynamic and fixed, of any type, nested), `bytes` and `string` hashed,
 * `bytesN` right-padded, `intN`/`uintN` (bare `int`/`uint` are 256 bits) two's complement.
 * Strict as go-ethereum's `apitypes`: a missing or extra message field, an unknown type or a value
 * that does not fit its type is `ErrInvalidTypedData`.
 */
import { keccak256 } from '@ethwire/crypto'
import { concatBytes } from '@ethwire/rlp-wire'
import { parseAddress } from './address.js'
import { AccountsError } from './errors.js'

/** One member of a struct type. */
export interface TypedDataField {
  name: string
  type: string
}

/** The `eth_signTypedData_v4` payload. */
export interface TypedData {
  types: Record<string, TypedDataField[]>
  primaryType: string
  domain: Record<string, unknown>
  message: Record<string, unknown>
}

const domainTypeName = 'EIP712Domain'
/** The EIP712Domain members in the order EIP-712 lists them (used when `types` leaves it out). */
const domainFieldOrder: TypedDataField[] = [
  { name: 'name', type: 'string' },
  { name: 'version', type: 'string' },
  { name: 'chainId', type: 'uint256' },
  { name: 'verifyingContract', type: 'address' },
  { name: 'salt', type: 'bytes32' },
]

const bad = (message: string): AccountsError => new AccountsError('ErrInvalidTypedData', message)

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array)

/** Splits `T[2][]` into `T[2]` and the outer length (undefined for `[]`), or undefined. */
function splitArray(type: string): { inner: string; length: number | undefined } | undefined {
  const m = /^(.*)\[(\d*)\]$/.exec(type)
  if (m === null) return undefined
  return { inner: m[1]!, length: m[2] === '' ? undefined : Number(m[2]) }
}

/** The struct or atomic name under any array suffixes: `Person[][3]` → `Person`. */
function baseType(type: string): string {
  const i = type.indexOf('[')
  return i < 0 ? type : type.slice(0, i)
}

const atomicPattern = /^(address|bool|string|bytes|bytes([1-9]|[12]\d|3[0-2])|u?int(\d+)?)$/

function checkAtomic(type: string): void {
  const m = atomicPattern.exec(type)
  if (m === null) throw bad(`unknown type "${type}"`)
  if (m[3] !== undefined) {
    const bits = Number(m[3])
    if (bits < 8 || bits > 256 || bits % 8 !== 0) throw bad(`invalid integer type "${type}"`)
  }
}

/** The types in use, with the domain type filled in from `domain` when `types` has none. */
function typesOf(data: TypedData): Record<string, TypedDataField[]> {
  if (!isRecord(data) || !isRecord(data.types)) throw bad('typed data must have a types object')
  if (data.types[domainTypeName] !== undefined) return data.types
  if (!isRecord(data.domain)) throw bad('typed data must have a domain object')
  const domain = data.domain
  return {
    ...data.types,
    [domainTypeName]: domainFieldOrder.filter((f) => domain[f.name] !== undefined),
  }
}

/** Every struct type `type` refers to, itself first, in the order first met. */
function dependencies(
  types: Record<string, TypedDataField[]>,
  type: string,
  found: string[] = [],
): string[] {
  const name = baseType(type)
  if (found.includes(name) || types[name] === undefined) return found
  found.push(name)
  const fields = types[name]
  if (!Array.isArray(fields)) throw bad(`type "${name}" must be a list of fields`)
  for (const f of fields) {
    if (typeof f?.name !== 'string' || typeof f?.type !== 'string') {
      throw bad(`type "${name}" has a field without name or type`)
    }
    dependencies(types, f.type, found)
  }
  return found
}

/**
 * `Mail(Person from,Person to,string contents)Person(string name,address wallet)`: the primary
 * type, then the types it refers to sorted by name.
 */
export function encodeType(types: Record<string, TypedDataField[]>, primaryType: string): string {
  if (types[primaryType] === undefined) throw bad(`unknown type "${primaryType}"`)
  const [primary, ...rest] = dependencies(types, primaryType)
  let out = ''
  for (const name of [primary!, ...rest.sort()]) {
    const fields = types[name]!
    for (const f of fields) {
      if (types[baseType(f.type)] === undefined) checkAtomic(baseType(f.type))
    }
    out += `${name}(${fields.map((f) => `${f.type} ${f.name}`).join(',')})`
  }
  return out
}

/** keccak256 of {@link encodeType}. */
export function typeHash(types: Record<string, TypedDataField[]>, primaryType: string): Uint8Array {
  return keccak256(new TextEncoder().encode(encodeType(types, primaryType)))
}

function bytesOf(value: unknown, what: string): Uint8Array {
  if (value instanceof Uint8Array) return value
  if (typeof value === 'string' && /^0x([0-9a-fA-F]{2})*$/.test(value)) {
    return Uint8Array.from(Buffer.from(value.slice(2), 'hex'))
  }
  throw bad(`${what}: expected 0x-prefixed hex bytes, got ${JSON.stringify(value)}`)
}

function integerOf(value: unknown, what: string): bigint {
  if (typeof value === 'bigint') return value
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw bad(`${what}: ${value} is not a safe integer`)
    return BigInt(value)
  }
  if (typeof value === 'string') {
    const s = value.trim()
    if (/^-?0x[0-9a-fA-F]+$/.test(s)) {
      return s.startsWith('-') ? -BigInt(s.slice(1)) : BigInt(s)
    }
    if (/^-?\d+$/.test(s)) return BigInt(s)
  }
  throw bad(`${what}: expected an integer, got ${JSON.stringify(value)}`)
}

function word(v: bigint): Uint8Array {
  const out = new Uint8Array(32)
  let x = BigInt.asUintN(256, v)
  for (let i = 31; i >= 0; i--) {
    out[i] = Number(x & 0xffn)
    x >>= 8n
  }
  return out
}

function encodeAtomic(type: string, value: unknown, what: string): Uint8Array {
  const m = atomicPattern.exec(type)
  if (m === null) throw bad(`unknown type "${type}"`)
  if (type === 'string') {
    if (typeof value !== 'string') throw bad(`${what}: expected a string`)
    return keccak256(new TextEncoder().encode(value))
  }
  if (type === 'bytes') return keccak256(bytesOf(value, what))
  if (type === 'bool') {
    if (typeof value !== 'boolean') throw bad(`${what}: expected true or false`)
    return word(value ? 1n : 0n)
  }
  if (type === 'address') {
    const a = typeof value === 'string' ? parseAddress(value) : undefined
    if (a === undefined) throw bad(`${what}: expected a 20-byte hex address`)
    return concatBytes(new Uint8Array(12), a)
  }
  if (m[2] !== undefined) {
    const n = Number(m[2])
    const b = bytesOf(value, what)
    if (b.length !== n) throw bad(`${what}: ${type} needs ${n} bytes, got ${b.length}`)
    const out = new Uint8Array(32)
    out.set(b)
    return out
  }
  const bits = m[3] === undefined ? 256 : Number(m[3])
  if (bits < 8 || bits > 256 || bits % 8 !== 0) throw bad(`invalid integer type "${type}"`)
  const v = integerOf(value, what)
  const signed = type.startsWith('int')
  const min = signed ? -(1n << BigInt(bits - 1)) : 0n
  const max = signed ? (1n << BigInt(bits - 1)) - 1n : (1n << BigInt(bits)) - 1n
  if (v < min || v > max) throw bad(`${what}: ${v} does not fit ${type}`)
  return word(v)
}

function encodeValue(
  types: Record<string, TypedDataField[]>,
  type: string,
  value: unknown,
  what: string,
): Uint8Array {
  const arr = splitArray(type)
  if (arr !== undefined) {
    if (!Array.isArray(value)) throw bad(`${what}: expected an array for ${type}`)
    if (arr.length !== undefined && value.length !== arr.length) {
      throw bad(`${what}: ${type} needs ${arr.length} items, got ${value.length}`)
    }
    return keccak256(
      concatBytes(...value.map((v, i) => encodeValue(types, arr.inner, v, `${what}[${i}]`))),
    )
  }
  if (types[type] !== undefined) return hashStructIn(types, type, value, what)
  return encodeAtomic(type, value, what)
}

function encodeDataIn(
  types: Record<string, TypedDataField[]>,
  type: string,
  data: unknown,
  what: string,
): Uint8Array {
  if (!isRecord(data)) throw bad(`${what}: expected an object for ${type}`)
  const fields = types[type]
  if (fields === undefined) throw bad(`unknown type "${type}"`)
  const names = new Set(fields.map((f) => f.name))
  for (const k of Object.keys(data)) {
    if (!names.has(k)) throw bad(`${what}: ${type} has no field "${k}"`)
  }
  const parts = [typeHash(types, type)]
  for (const f of fields) {
    const v = data[f.name]
    if (v === undefined || v === null) throw bad(`${what}: missing ${f.type} ${f.name}`)
    parts.push(encodeValue(types, f.type, v, `${what}.${f.name}`))
  }
  return concatBytes(...parts)
}

function hashStructIn(
  types: Record<string, TypedDataField[]>,
  type: string,
  data: unknown,
  what: string,
): Uint8Array {
  return keccak256(encodeDataIn(types, type, data, what))
}

/** typeHash ‖ enc(member₁) ‖ … of `data` as a `type`. */
export function encodeData(
  types: Record<string, TypedDataField[]>,
  type: string,
  data: Record<string, unknown>,
): Uint8Array {
  return encodeDataIn(types, type, data, type)
}

/** keccak256 of {@link encodeData}: `hashStruct(s)`. */
export function hashStruct(
  types: Record<string, TypedDataField[]>,
  type: string,
  data: Record<string, unknown>,
): Uint8Array {
  return hashStructIn(types, type, data, type)
}

/** hashStruct of the domain (with the domain type inferred from its keys when not given). */
export function domainSeparator(data: TypedData): Uint8Array {
  return hashStructIn(typesOf(data), domainTypeName, data.domain, 'domain')
}

/**
 * Parses `eth_signTypedData_v4`'s second parameter: the object or its JSON text. Checks only the
 * shape; the hashing checks the rest.
 */
export function parseTypedData(input: unknown): TypedData {
  let v = input
  if (typeof input === 'string') {
    try {
      v = JSON.parse(input)
    } catch {
      throw bad('typed data is not valid JSON')
    }
  }
  if (!isRecord(v)) throw bad('typed data must be an object')
  if (!isRecord(v.types)) throw bad('typed data must have a types object')
  if (typeof v.primaryType !== 'string') throw bad('typed data must have a primaryType string')
  if (!isRecord(v.domain)) throw bad('typed data must have a domain object')
  if (v.primaryType !== domainTypeName && !isRecord(v.message)) {
    throw bad('typed data must have a message object')
  }
  return v as unknown as TypedData
}

/**
 * The digest `eth_signTypedData_v4` signs: keccak256(0x19 ‖ 0x01 ‖ domainSeparator ‖
 * hashStruct(message)); without the message hash when the primary type is `EIP712Domain`.
 */
export function hashTypedData(data: TypedData): Uint8Array {
  const types = typesOf(data)
  const parts = [
    Uint8Array.of(0x19, 0x01),
    hashStructIn(types, domainTypeName, data.domain, 'domain'),
  ]
  if (data.primaryType !== domainTypeName) {
    if (types[data.primaryType] === undefined) throw bad(`unknown type "${data.primaryType}"`)
    parts.push(hashStructIn(types, data.primaryType, data.message, 'message'))
  }
  return keccak256(concatBytes(...parts))
}
