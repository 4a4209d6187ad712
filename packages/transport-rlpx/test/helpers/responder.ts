/**
 * A tiny eth responder over decoded RLP trees, used on BOTH sides of the interop tests (our
 * transport and @ethereumjs/devp2p): it serves headers (by number or hash, skip, reverse),
 * bodies and stand-in receipts from the test chain. The requester checks answers against
 * `expectedHeaders` etc., computed independently from the chain.
 */

import type { RlpItem } from '@ethwire/rlp-wire'
import { bytesToUint, equalBytes } from '../../src/bytes.js'
import { receiptsFor, type TestBlock, uintBytes } from './chain.js'

export const Eth = {
  Status: 0x00,
  GetBlockHeaders: 0x03,
  BlockHeaders: 0x04,
  GetBlockBodies: 0x05,
  BlockBodies: 0x06,
  GetReceipts: 0x0f,
  Receipts: 0x10,
} as const

export interface HeadersQuery {
  readonly origin: number | Uint8Array
  readonly amount: number
  readonly skip: number
  readonly reverse: boolean
}

const withId = (version: number, id: number, inner: RlpItem): RlpItem =>
  version >= 66 ? [uintBytes(id), inner] : inner

export function getHeadersRequest(version: number, id: number, q: HeadersQuery): RlpItem {
  const origin = typeof q.origin === 'number' ? uintBytes(q.origin) : q.origin
  return withId(version, id, [
    origin,
    uintBytes(q.amount),
    uintBytes(q.skip),
    q.reverse ? Uint8Array.of(1) : new Uint8Array(0),
  ])
}

export function hashesRequest(version: number, id: number, hashes: Uint8Array[]): RlpItem {
  return withId(version, id, hashes)
}

/** Splits `[id, inner]` (eth/66+) or returns `inner` with id undefined. */
export function unwrap(
  version: number,
  payload: RlpItem,
): { id: number | undefined; inner: RlpItem[] } {
  const list = payload as RlpItem[]
  if (version >= 66) return { id: bytesToUint(list[0] as Uint8Array), inner: list[1] as RlpItem[] }
  return { id: undefined, inner: list }
}

/** Block numbers a headers query selects from `blocks` (independent of the responder's code). */
export function expectedNumbers(blocks: TestBlock[], q: HeadersQuery): number[] {
  const start =
    typeof q.origin === 'number'
      ? q.origin
      : blocks.find((b) => equalBytes(b.hash, q.origin as Uint8Array))!.number
  const out: number[] = []
  const max = blocks[blocks.length - 1]!.number
  for (
    let i = 0, n = start;
    i < q.amount && n >= 1 && n <= max;
    i++, n += q.reverse ? -(q.skip + 1) : q.skip + 1
  )
    out.push(n)
  return out
}

/** The response to an eth request, or undefined if `code` is not a request we serve. */
export function respond(
  version: number,
  code: number,
  payload: RlpItem,
  blocks: TestBlock[],
): { code: number; payload: RlpItem } | undefined {
  const { id, inner } = unwrap(version, payload)
  const byHash = (h: RlpItem) => blocks.find((b) => equalBytes(b.hash, h as Uint8Array))
  const reply = (c: number, body: RlpItem) => ({
    code: c,
    payload: id === undefined ? body : [uintBytes(id), body],
  })
  switch (code) {
    case Eth.GetBlockHeaders: {
      const [originItem, amountItem, skipItem, reverseItem] = inner as Uint8Array[]
      const origin =
        originItem!.length === 32 ? byHash(originItem!)?.number : bytesToUint(originItem!)
      const amount = bytesToUint(amountItem!)
      const skip = bytesToUint(skipItem!)
      const reverse = bytesToUint(reverseItem!) === 1
      const headers: RlpItem[] = []
      if (origin !== undefined) {
        for (let i = 0, n = origin; i < amount; i++, n += reverse ? -(skip + 1) : skip + 1) {
          const b = blocks.find((x) => x.number === n)
          if (!b) break
          headers.push(b.header)
        }
      }
      return reply(Eth.BlockHeaders, headers)
    }
    case Eth.GetBlockBodies:
      return reply(
        Eth.BlockBodies,
        (inner as RlpItem[])
          .map((h) => byHash(h))
          .filter((b) => b !== undefined)
          .map((b) => b.body),
      )
    case Eth.GetReceipts:
      return reply(
        Eth.Receipts,
        (inner as RlpItem[])
          .map((h) => byHash(h))
          .filter((b) => b !== undefined)
          .map(receiptsFor),
      )
    default:
      return undefined
  }
}
