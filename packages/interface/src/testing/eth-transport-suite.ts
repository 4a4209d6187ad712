/**
 * The compliance suite every `EthTransport` runs: what a node needs to listen, dial and accept
 * without knowing which transport it is talking to (see `EthTransport` in `../transport.ts`).
 */

// vitest is loaded when a suite is registered, not when this entry is imported: FakeClock and the
// other helpers work without a test framework (benchmarks, examples, CommonJS).
type Vitest = typeof import('vitest')
let afterEach!: Vitest['afterEach']
let describe!: Vitest['describe']
let expect!: Vitest['expect']
let it!: Vitest['it']
async function loadVitest(): Promise<void> {
  ;({ afterEach, describe, expect, it } = await import('vitest'))
}

import type { EthConnection, EthTransport } from '../transport.js'

export interface EthTransportSuiteOptions {
  /** Shown in the suite's title. Default `'transport'`. */
  readonly name?: string
  /**
   * A fresh transport, not listening yet, that listens on 127.0.0.1 with a free port and speaks
   * the same eth versions as every other one this returns. The suite closes each one it created
   * after every case.
   */
  create(): EthTransport | Promise<EthTransport>
  /** Per-case timeout in ms. Default 20 000. */
  readonly timeoutMs?: number
}

const ClientQuitting = 0x08

/** Resolves with the first connection `transport` announces from now on. */
function nextConnection(transport: EthTransport): Promise<EthConnection> {
  return new Promise((resolve) => {
    const off = transport.onConnection((c) => {
      off()
      resolve(c)
    })
  })
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p
  } catch (err) {
    return err
  }
  throw new Error('expected a rejection')
}

/**
 * Registers the `EthTransport` compliance cases with vitest. Await it at the top level of a test
 * file (it loads vitest first, so the cases are registered before vitest collects the file).
 *
 * @example
 * ```ts
 * import { ethTransportSuite } from '@ethwire/interface/testing'
 *
 * await ethTransportSuite({ name: 'RLPx', create: () => createRlpxTransport({ nodeKey: freshKey(), listen: { host: '127.0.0.1', port: 0 } }) })
 * ```
 */
export async function ethTransportSuite(options: EthTransportSuiteOptions): Promise<void> {
  await loadVitest()
  const timeout = options.timeoutMs ?? 20_000
  const name = options.name ?? 'transport'

  describe(`${name}: EthTransport compliance`, () => {
    const created: EthTransport[] = []
    const create = async (): Promise<EthTransport> => {
      const t = await options.create()
      created.push(t)
      return t
    }

    afterEach(async () => {
      await Promise.all(created.splice(0).map((t) => t.close()))
    }, timeout)

    it(
      'listen resolves with the addresses to dial it at (again when called again); the transport can dial them',
      async () => {
        const t = await create()
        expect(t.addresses()).toEqual([])
        expect(t.connectionCount).toBe(0)
        expect(typeof t.name).toBe('string')
        const addrs = await t.listen()
        expect(addrs.length).toBeGreaterThan(0)
        expect(t.addresses()).toEqual(addrs)
        expect(await t.listen()).toEqual(addrs) // idempotent
        for (const a of addrs) expect(t.canDial(a)).toBe(true)
        expect(t.canDial('not an address')).toBe(false)
        expect(t.canDial('')).toBe(false)
      },
      timeout,
    )

    it(
      'dial resolves with an outbound connection that onConnection saw first; the listener sees it inbound',
      async () => {
        const a = await create()
        const b = await create()
        const [addr] = await b.listen()
        const seenByA: EthConnection[] = []
        let resolvedYet = false
        a.onConnection((c) => {
          expect(resolvedYet).toBe(false)
          seenByA.push(c)
        })
        const accepted = nextConnection(b)
        const out = await a.dial(addr as string)
        resolvedYet = true
        const inn = await accepted
        expect(seenByA).toEqual([out])
        expect(seenByA[0]).toBe(out)
        expect(out.direction).toBe('outbound')
        expect(inn.direction).toBe('inbound')
        expect(out.transport).toBe(a.name)
        expect(inn.transport).toBe(b.name)
        expect(out.version).toBe(inn.version)
        expect(out.remoteId).not.toBe(inn.remoteId)
        expect(a.connectionCount).toBe(1)
        expect(b.connectionCount).toBe(1)
        await out.writeMsg(1, Uint8Array.of(1, 2, 3))
        expect([...(await inn.readMsg()).payload]).toEqual([1, 2, 3])
        await inn.writeMsg(2, Uint8Array.of(4))
        expect((await out.readMsg()).code).toBe(2)
      },
      timeout,
    )

    it(
      'the function onConnection returns unsubscribes',
      async () => {
        const a = await create()
        const b = await create()
        const [addr] = await b.listen()
        const seen: EthConnection[] = []
        const off = a.onConnection((c) => seen.push(c))
        off()
        const accepted = nextConnection(b)
        await a.dial(addr as string)
        await accepted
        expect(seen).toEqual([])
      },
      timeout,
    )

    it(
      'a closed connection no longer counts, on either side',
      async () => {
        const a = await create()
        const b = await create()
        const [addr] = await b.listen()
        const accepted = nextConnection(b)
        const out = await a.dial(addr as string)
        const inn = await accepted
        const gone = inn.readMsg().catch((e: unknown) => e)
        await out.close(0x03)
        expect(await gone).toMatchObject({ code: 'ErrClosed', reason: 0x03, remote: true })
        expect(a.connectionCount).toBe(0)
        // the listener's side lets go of it once its end is closed too
        for (let i = 0; i < 1_000 && b.connectionCount > 0; i++)
          await new Promise((r) => setTimeout(r, 10))
        expect(b.connectionCount).toBe(0)
      },
      timeout,
    )

    it(
      'dialing an address nobody listens on rejects with a coded error',
      async () => {
        const a = await create()
        const gone = await create()
        const [addr] = await gone.listen()
        await gone.close()
        const err = await rejection(a.dial(addr as string))
        expect(err).toMatchObject({ code: expect.any(String) })
        expect(a.connectionCount).toBe(0)
      },
      timeout,
    )

    it(
      'dialing with an aborted signal rejects with its reason',
      async () => {
        const a = await create()
        const b = await create()
        const [addr] = await b.listen()
        const reason = new Error('not now')
        expect(await rejection(a.dial(addr as string, { signal: AbortSignal.abort(reason) }))).toBe(
          reason,
        )
        expect(a.connectionCount).toBe(0)
      },
      timeout,
    )

    it(
      'close ends every connection with ClientQuitting; it is idempotent; dial and listen reject after it',
      async () => {
        const a = await create()
        const b = await create()
        const [addr] = await b.listen()
        const accepted = nextConnection(b)
        const out = await a.dial(addr as string)
        const inn = await accepted
        const ended = inn.readMsg().catch((e: unknown) => e)
        await a.close()
        expect(out.closeInfo).toEqual({ reason: ClientQuitting, remote: false })
        expect(await ended).toMatchObject({
          code: 'ErrClosed',
          reason: ClientQuitting,
          remote: true,
        })
        expect(a.connectionCount).toBe(0)
        await a.close()
        await rejection(a.dial(addr as string))
        await rejection(a.listen())
      },
      timeout,
    )
  })
}
