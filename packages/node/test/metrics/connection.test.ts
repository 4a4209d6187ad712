import { FakeClock } from '@ethwire/interface/testing'
import { encodeMessage, hexToBytes } from '@ethwire/rlp-wire'
import { msgPipe } from '@ethwire/rlp-wire/testing'
import { describe, expect, it } from 'vitest'
import { instrumentConnection, readRequestId } from '../../src/metrics/connection.js'
import { maxTrackedRequestsPerKind } from '../../src/metrics/constants.js'
import { createMetrics } from '../../src/metrics/registry.js'
import { parsePrometheusText, sampleValue } from '../../src/metrics/testing.js'

const scrape = async (m: ReturnType<typeof createMetrics>) => parsePrometheusText(await m.scrape())

const getHeaders = (requestId: bigint) =>
  encodeMessage(68, {
    name: 'GetBlockHeaders',
    requestId,
    request: { origin: { number: 1n }, amount: 2n, skip: 0n, reverse: false },
  })
const headers = (requestId: bigint) =>
  encodeMessage(68, { name: 'BlockHeaders', requestId, headers: [] })

describe('readRequestId', () => {
  it('reads the first item of an eth/66+ message', () => {
    for (const id of [0n, 1n, 0x7fn, 0x80n, 0xffffn, 2n ** 48n - 1n]) {
      expect(readRequestId(getHeaders(id).payload)).toBe(Number(id))
    }
    for (const id of [2n ** 48n, 2n ** 64n - 1n]) {
      expect(readRequestId(getHeaders(id).payload)).toBe(id)
    }
    // A long list (0xf8 prefix): 60 hashes.
    const many = encodeMessage(68, {
      name: 'GetBlockBodies',
      requestId: 300n,
      hashes: Array.from({ length: 60 }, () => new Uint8Array(32)),
    })
    expect(many.payload[0]).toBeGreaterThan(0xf7)
    expect(readRequestId(many.payload)).toBe(300)
  })

  it('gives undefined for what is not a request id', () => {
    expect(readRequestId(new Uint8Array())).toBe(undefined)
    expect(readRequestId(hexToBytes('0x05'))).toBe(undefined) // not a list
    expect(readRequestId(hexToBytes('0xc0'))).toBe(undefined) // empty list
    expect(readRequestId(hexToBytes('0xc3c0c0c0'))).toBe(undefined) // first item a list
    expect(readRequestId(hexToBytes('0xc3838001'))).toBe(undefined) // truncated
    expect(readRequestId(hexToBytes('0xca89010203040506070809'))).toBe(undefined) // 9 bytes
  })
})

describe('instrumentConnection', () => {
  it('counts messages both ways and times requests to their answers', async () => {
    const clock = new FakeClock({ startMs: 1000 })
    const m = createMetrics({ processMetrics: false, clock })
    const [ours, theirs] = msgPipe({ version: 68 })
    const conn = instrumentConnection(m, ours)
    // Everything else is the connection's own (getters over private fields included).
    expect(conn.version).toBe(68)
    expect(conn.transport).toBe('pipe')
    expect(conn.remoteId).toBe(ours.remoteId)
    expect(conn.closeInfo).toBe(undefined)

    const req = getHeaders(7n)
    await conn.writeMsg(req.code, req.payload)
    await conn.writeMsg(getHeaders(8n).code, getHeaders(8n).payload)
    expect((await theirs.readMsg()).code).toBe(0x03)
    clock.tick(250)
    const res = headers(7n)
    await theirs.writeMsg(res.code, res.payload)
    const got = await conn.readMsg()
    expect(got.code).toBe(0x04)
    // An answer nobody asked for (or a second one) is not timed.
    await theirs.writeMsg(res.code, res.payload)
    await conn.readMsg()

    let p = await scrape(m)
    expect(
      sampleValue(p, 'ethwire_messages_total', {
        direction: 'out',
        code: '0x03',
        name: 'GetBlockHeaders',
      }),
    ).toBe(2)
    expect(sampleValue(p, 'ethwire_message_bytes_total', { direction: 'out' })).toBe(
      req.payload.length * 2,
    )
    expect(
      sampleValue(p, 'ethwire_messages_total', { direction: 'in', name: 'BlockHeaders' }),
    ).toBe(2)
    expect(sampleValue(p, 'ethwire_request_duration_seconds_count', { kind: 'headers' })).toBe(1)
    expect(sampleValue(p, 'ethwire_request_duration_seconds_sum', { kind: 'headers' })).toBe(0.25)
    expect(sampleValue(p, 'ethwire_requests_total', { kind: 'headers', result: 'answered' })).toBe(
      1,
    )

    // Closing with request 8 outstanding: it was lost.
    await theirs.close()
    await expect(conn.readMsg()).rejects.toThrow()
    p = await scrape(m)
    expect(sampleValue(p, 'ethwire_requests_total', { kind: 'headers', result: 'lost' })).toBe(1)
  })

  it('counts the oldest outstanding request as lost past the per-kind limit', async () => {
    const m = createMetrics({ processMetrics: false, clock: new FakeClock() })
    const [ours] = msgPipe({ version: 68 })
    const conn = instrumentConnection(m, ours)
    for (let i = 0; i < maxTrackedRequestsPerKind + 3; i++) {
      const r = getHeaders(BigInt(i))
      await conn.writeMsg(r.code, r.payload)
    }
    const p = await scrape(m)
    expect(sampleValue(p, 'ethwire_requests_total', { kind: 'headers', result: 'lost' })).toBe(3)
  })

  it('does not match requests before eth/66 (no request ids), but still counts messages', async () => {
    const m = createMetrics({ processMetrics: false, clock: new FakeClock() })
    const [ours, theirs] = msgPipe({ version: 63 })
    const conn = instrumentConnection(m, ours)
    const req = encodeMessage(63, {
      name: 'GetBlockHeaders',
      request: { origin: { number: 1n }, amount: 1n, skip: 0n, reverse: false },
    })
    await conn.writeMsg(req.code, req.payload)
    const res = encodeMessage(63, { name: 'BlockHeaders', headers: [] })
    await theirs.writeMsg(res.code, res.payload)
    await conn.readMsg()
    const p = await scrape(m)
    expect(sampleValue(p, 'ethwire_messages_total')).toBe(2)
    expect(sampleValue(p, 'ethwire_requests_total')).toBe(undefined)
  })
})
