/**
 * The execution-apis conformance cases (`tests/<method>/<case>.io`) and how hive's rpc-compat
 * simulator judges an answer, as a small library for the runner in `../rpc-compat.test.ts`.
 *
 * A `.io` file is a few `// comment` lines, then `>> request` / `<< response` lines in pairs.
 * A `// speconly` comment means only the shape of the answer is checked, not its values.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'

export interface RpcExchange {
  request: string
  response: string
}

export interface RpcCase {
  /** `<method dir>/<file name without .io>`, the id used in the expected-pass list. */
  id: string
  method: string
  comments: string[]
  specOnly: boolean
  exchanges: RpcExchange[]
}

/** Every case under `dir`, sorted by method directory then file name (hive's order). */
export function loadCases(dir: string): RpcCase[] {
  const cases: RpcCase[] = []
  for (const method of readdirSync(dir).sort()) {
    const mdir = join(dir, method)
    if (!statSync(mdir).isDirectory()) continue
    for (const file of readdirSync(mdir).sort()) {
      if (!file.endsWith('.io')) continue
      cases.push(
        parseCase(`${method}/${file.slice(0, -3)}`, method, readFileSync(join(mdir, file), 'utf8')),
      )
    }
  }
  return cases
}

export function parseCase(id: string, method: string, text: string): RpcCase {
  const comments: string[] = []
  const exchanges: RpcExchange[] = []
  let pending: string | undefined
  for (const raw of text.split('\n')) {
    const line = raw.trim()
    if (line === '') continue
    if (line.startsWith('//')) comments.push(line.slice(2).trim())
    else if (line.startsWith('>> ')) {
      if (pending !== undefined) throw new Error(`${id}: two requests without a response`)
      pending = line.slice(3)
    } else if (line.startsWith('<< ')) {
      if (pending === undefined) throw new Error(`${id}: a response without a request`)
      exchanges.push({ request: pending, response: line.slice(3) })
      pending = undefined
    } else throw new Error(`${id}: cannot read line ${JSON.stringify(line.slice(0, 40))}`)
  }
  if (pending !== undefined) throw new Error(`${id}: a request without a response`)
  if (exchanges.length === 0) throw new Error(`${id}: no exchange`)
  return {
    id,
    method,
    comments,
    specOnly: comments.some((c) => c.startsWith('speconly')),
    exchanges,
  }
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json }

const kind = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v)

/**
 * Why `actual` does not pass for `expected`, or undefined when it does. Values are compared as
 * JSON (object key order ignored). An expected error passes with an error of the same code (hive
 * does not compare messages). With `specOnly`, a result passes when it has the expected shape:
 * the same JSON kinds, and every key the expected object has.
 */
export function judge(actual: unknown, expected: unknown, specOnly: boolean): string | undefined {
  const a = actual as { result?: Json; error?: { code?: number } }
  const e = expected as { result?: Json; error?: { code?: number } }
  if (e.error !== undefined) {
    if (a.error === undefined) return `expected error ${e.error.code}, got a result`
    if (a.error.code !== e.error.code) return `error code ${a.error.code}, expected ${e.error.code}`
    return undefined
  }
  if (a.error !== undefined)
    return `error ${a.error.code}: ${(a.error as { message?: string }).message}`
  if (!('result' in a)) return 'no result'
  return specOnly
    ? sameShape(a.result, e.result as Json, '$')
    : sameJson(a.result, e.result as Json, '$')
}

function sameJson(a: unknown, e: Json, at: string): string | undefined {
  if (kind(a) !== kind(e)) return `${at}: ${kind(a)} ${short(a)}, expected ${kind(e)} ${short(e)}`
  if (Array.isArray(e)) {
    const arr = a as unknown[]
    if (arr.length !== e.length) return `${at}: ${arr.length} items, expected ${e.length}`
    for (let i = 0; i < e.length; i++) {
      const d = sameJson(arr[i], e[i] as Json, `${at}[${i}]`)
      if (d) return d
    }
    return undefined
  }
  if (e !== null && typeof e === 'object') {
    const obj = a as Record<string, unknown>
    for (const k of Object.keys(e)) {
      if (!(k in obj)) return `${at}.${k}: missing`
      const d = sameJson(obj[k], e[k] as Json, `${at}.${k}`)
      if (d) return d
    }
    for (const k of Object.keys(obj)) if (!(k in e)) return `${at}.${k}: not expected`
    return undefined
  }
  return a === e ? undefined : `${at}: ${short(a)}, expected ${short(e)}`
}

function sameShape(a: unknown, e: Json, at: string): string | undefined {
  if (kind(a) !== kind(e)) return `${at}: ${kind(a)}, expected ${kind(e)}`
  if (Array.isArray(e)) {
    const arr = a as unknown[]
    if (e.length > 0 && arr.length > 0) return sameShape(arr[0], e[0] as Json, `${at}[0]`)
    return undefined
  }
  if (e !== null && typeof e === 'object') {
    const obj = a as Record<string, unknown>
    const keys = Object.keys(e)
    if (keys.length > 0 && keys.every((k) => dataKey.test(k))) {
      // a map keyed by data (addresses, nonces: txpool_content): every entry has an entry's shape
      for (const k of Object.keys(obj)) {
        if (!dataKey.test(k)) return `${at}.${k}: not a map key`
        // the entry of the same key when the fixture has one (a contract creation's `to` is null)
        const like = (k in e ? e[k] : e[keys[0] as string]) as Json
        const d = sameShape(obj[k], like, `${at}.${k}`)
        if (d) return d
      }
      return undefined
    }
    // a tagged union of the spec (`oneOf` variants told apart by a word in `type`, e.g.
    // eth_capabilities' deleteStrategy `none` | `window`): another variant has other fields, so
    // only its tag is checked. A transaction's `type` is a hex quantity, never a word: a
    // transaction of another type than the fixture's is still checked field by field.
    const tag = (e as { type?: unknown }).type
    if (isUnionTag(tag) && isUnionTag(obj.type) && obj.type !== tag) return undefined
    for (const k of keys) {
      if (!(k in obj)) return `${at}.${k}: missing`
      const d = sameShape(obj[k], e[k] as Json, `${at}.${k}`)
      if (d) return d
    }
  }
  return undefined
}

const dataKey = /^(0x[0-9a-fA-F]*|[0-9]+)$/

/** A variant name of a spec union: a lowercase word, not a hex quantity like a tx type. */
const isUnionTag = (v: unknown): v is string => typeof v === 'string' && /^[a-z][a-z_]*$/.test(v)

const short = (v: unknown): string => {
  const s = JSON.stringify(v) ?? String(v)
  return s.length > 80 ? `${s.slice(0, 77)}...` : s
}
