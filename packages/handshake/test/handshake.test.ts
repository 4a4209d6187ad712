import { readFileSync } from 'node:fs'
import type { EthConnection } from '@ethwire/interface'
import { FakeClock } from '@ethwire/interface/testing'
import {
  DisconnectReason,
  encodeStatus,
  hexToBytes,
  MsgCode,
  rlpEncode,
  type Status,
  WireError,
} from '@ethwire/rlp-wire'
import { msgPipe } from '@ethwire/rlp-wire/testing'
import { describe, expect, it } from 'vitest'
import {
  buildStatus,
  computeForkId,
  disconnectReasonFor,
  type HandshakeError,
  type HandshakeErrorCode,
  handshake,
  isHandshakeError,
  type LocalStatus,
} from '../src/index.js'
import { testLocalStatus } from '../src/testing.js'

const versions = [62, 63, 64, 65, 66, 67, 68, 69, 70, 71, 72]

async function expectHandshakeError(
  p: Promise<unknown>,
  code: HandshakeErrorCode,
): Promise<HandshakeError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(isHandshakeError(err), String(err)).toBe(true)
  expect((err as HandshakeError).code).toBe(code)
  return err as HandshakeError
}

/** Sends `status` (or raw bytes) from the remote end and runs our handshake on the local end. */
async function against(
  version: number,
  send: (remote: EthConnection) => Promise<void>,
  local: LocalStatus = testLocalStatus(),
) {
  const clock = new FakeClock()
  const [ours, theirs] = msgPipe({ version, maxMessageSize: 11 * 1024 * 1024 })
  await send(theirs)
  const result = handshake({ conn: ours, local, clock })
  return { result, ours, theirs, clock }
}

describe('Status exchange', () => {
  for (const version of versions) {
    it(`eth/${version}: both sides agree and see each other's status`, async () => {
      const [a, b] = msgPipe({ version })
      const clock = new FakeClock()
      const localA = testLocalStatus()
      const localB = testLocalStatus({
        head: { hash: new Uint8Array(32).fill(0x33), number: 12n, time: 600n },
        td: 999n,
      })
      const [ra, rb] = await Promise.all([
        handshake({ conn: a, local: localA, clock }),
        handshake({ conn: b, local: localB, clock }),
      ])
      expect(ra.version).toBe(version)
      expect(ra.remote).toEqual(buildStatus(version, localB))
      expect(rb.remote).toEqual(buildStatus(version, localA))
      if (version >= 69) {
        expect(ra.remote).toMatchObject({ latestBlock: 12n, earliestBlock: 0n })
        expect('td' in ra.remote).toBe(false)
      } else {
        expect(ra.remote).toMatchObject({ td: 999n })
      }
      expect('forkId' in ra.remote).toBe(version >= 64)
      expect(clock.pending).toBe(0)
      expect(a.closeInfo).toBeUndefined()
    })
  }

  it('eth/68: accepts a peer at an earlier fork that knows our next fork (EIP-2124 rule 2)', async () => {
    const local = testLocalStatus()
    const behind = testLocalStatus({ head: { ...local.head, number: 3n, time: 100n } })
    const { result } = await against(68, (r) =>
      r.writeMsg(MsgCode.Status, encodeStatus(buildStatus(68, behind))),
    )
    const res = await result
    expect((res.remote as { forkId: { next: bigint } }).forkId.next).toBe(5n)
  })
})

describe('eth/70: Status as eth/69 (go-ethereum StatusPacket), fork ids on mainnet', () => {
  // mainnet from the EIP-2124 vectors (test/fixtures/forkid.json): genesis, block and time forks
  const fx = JSON.parse(
    readFileSync(new URL('./fixtures/forkid.json', import.meta.url), 'utf8'),
  ) as {
    networks: {
      network: string
      genesis_hash: string
      forks_by_block: number[]
      forks_by_time: number[]
    }[]
  }
  const net = fx.networks.find((n) => n.network === 'mainnet')!
  const genesisHash = hexToBytes(net.genesis_hash)
  const forks = {
    genesisHash,
    forksByBlock: net.forks_by_block.map(BigInt),
    forksByTime: net.forks_by_time.map(BigInt),
  }
  const osaka = 1764798551n // mainnet Osaka; BPO1 follows at 1765290071
  const at = (time: bigint): LocalStatus => ({
    networkId: 1n,
    genesisHash,
    head: { hash: new Uint8Array(32).fill(7), number: 23_000_000n, time },
    td: 0n, // not sent on eth/69+
    earliestBlock: 0n,
    forks,
  })

  it('an eth/70 Status has the eth/69 fields and version 70', () => {
    const s = buildStatus(70, at(osaka))
    expect(Object.keys(s).sort()).toEqual(Object.keys(buildStatus(69, at(osaka))).sort())
    expect(s.version).toBe(70)
  })
  it('a peer at Prague that knows Osaka is accepted; one that does not is stale', async () => {
    const prague = at(osaka - 1n) // its fork id: Prague, next = Osaka
    const { result } = await against(
      70,
      (r) => r.writeMsg(MsgCode.Status, encodeStatus(buildStatus(70, prague))),
      at(osaka + 10n),
    )
    expect(((await result).remote as { forkId: { next: bigint } }).forkId.next).toBe(osaka)

    const stale = {
      ...buildStatus(70, prague),
      forkId: { ...computeForkId(forks, prague.head), next: 0n },
    }
    const r2 = await against(
      70,
      (r) => r.writeMsg(MsgCode.Status, encodeStatus(stale)),
      at(osaka + 10n),
    )
    const err = await expectHandshakeError(r2.result, 'ErrForkIdRejected')
    expect(err.forkIdReason).toBe('ErrRemoteStale')
  })
  it('an eth/69 Status (version 69) on an eth/70 stream is a version mismatch', async () => {
    const { result } = await against(
      70,
      (r) => r.writeMsg(MsgCode.Status, encodeStatus(buildStatus(69, at(osaka)))),
      at(osaka),
    )
    await expectHandshakeError(result, 'ErrProtocolVersionMismatch')
  })
})

describe('rejections', () => {
  const local = testLocalStatus()
  const statusFor = (version: number, patch: Partial<Record<string, unknown>> = {}) =>
    ({ ...buildStatus(version, local), ...patch }) as Status

  it('first message not Status -> ErrNoStatusMsg, ProtocolError sent', async () => {
    const { result, theirs } = await against(68, (r) =>
      r.writeMsg(MsgCode.Transactions, rlpEncode([])),
    )
    const err = await expectHandshakeError(result, 'ErrNoStatusMsg')
    expect(err.disconnectReason).toBe(DisconnectReason.ProtocolError)
    expect(theirs.closeInfo).toEqual({ reason: DisconnectReason.ProtocolError, remote: true })
  })

  it('Status over 10 MiB -> ErrMsgTooLarge', async () => {
    const huge = new Uint8Array(10 * 1024 * 1024 + 1)
    const { result } = await against(68, (r) => r.writeMsg(MsgCode.Status, huge))
    const err = await expectHandshakeError(result, 'ErrMsgTooLarge')
    expect(err.disconnectReason).toBe(DisconnectReason.ProtocolError)
  })

  it('a transport-reported ErrMsgTooLarge also maps to ErrMsgTooLarge', async () => {
    const [ours, theirs] = msgPipe({ version: 68 })
    const conn: EthConnection = {
      version: 68,
      direction: ours.direction,
      remoteId: ours.remoteId,
      remoteAddress: ours.remoteAddress,
      transport: 'pipe',
      get closeInfo() {
        return ours.closeInfo
      },
      writeMsg: (code, payload) => ours.writeMsg(code, payload),
      close: (reason) => ours.close(reason),
      readMsg: async () => {
        throw new WireError('ErrMsgTooLarge', 'length prefix over cap')
      },
    }
    await expectHandshakeError(handshake({ conn, local, clock: new FakeClock() }), 'ErrMsgTooLarge')
    expect(theirs.closeInfo).toEqual({ reason: DisconnectReason.ProtocolError, remote: true })
  })

  for (const [version, payload] of [
    [63, rlpEncode([63, 1337, 1])],
    [68, encodeStatus(statusFor(63))],
    [69, encodeStatus(statusFor(68))],
    [70, encodeStatus(statusFor(68))],
    [66, new Uint8Array([0xc1])],
  ] as const) {
    it(`undecodable eth/${version} Status -> ErrDecode`, async () => {
      const { result } = await against(version, (r) => r.writeMsg(MsgCode.Status, payload))
      const err = await expectHandshakeError(result, 'ErrDecode')
      expect(err.disconnectReason).toBe(DisconnectReason.ProtocolError)
    })
  }

  for (const version of versions) {
    it(`eth/${version}: network id mismatch -> ErrNetworkIdMismatch`, async () => {
      const { result } = await against(version, (r) =>
        r.writeMsg(MsgCode.Status, encodeStatus(statusFor(version, { networkId: 1n }))),
      )
      const err = await expectHandshakeError(result, 'ErrNetworkIdMismatch')
      expect(err.disconnectReason).toBe(DisconnectReason.UselessPeer)
    })
    it(`eth/${version}: genesis mismatch -> ErrGenesisMismatch`, async () => {
      const { result, ours } = await against(version, (r) =>
        r.writeMsg(
          MsgCode.Status,
          encodeStatus(statusFor(version, { genesis: new Uint8Array(32).fill(9) })),
        ),
      )
      const err = await expectHandshakeError(result, 'ErrGenesisMismatch')
      expect(err.disconnectReason).toBe(DisconnectReason.UselessPeer)
      expect(ours.closeInfo).toEqual({ reason: DisconnectReason.UselessPeer, remote: false })
    })
    it(`eth/${version}: protocol version mismatch -> ErrProtocolVersionMismatch`, async () => {
      const other = version === 62 ? 63 : version - 1
      const { result } = await against(version, (r) =>
        r.writeMsg(MsgCode.Status, encodeStatus(statusFor(version, { version: other }))),
      )
      const err = await expectHandshakeError(result, 'ErrProtocolVersionMismatch')
      expect(err.disconnectReason).toBe(DisconnectReason.IncompatibleVersion)
    })
  }

  for (const version of [64, 68, 69, 70, 72]) {
    it(`eth/${version}: fork id of another chain -> ErrForkIdRejected (local incompatible)`, async () => {
      const { result } = await against(version, (r) =>
        r.writeMsg(
          MsgCode.Status,
          encodeStatus(
            statusFor(version, { forkId: { hash: Uint8Array.of(1, 2, 3, 4), next: 0n } }),
          ),
        ),
      )
      const err = await expectHandshakeError(result, 'ErrForkIdRejected')
      expect(err.forkIdReason).toBe('ErrLocalIncompatibleOrStale')
      expect(err.disconnectReason).toBe(DisconnectReason.UselessPeer)
    })
  }

  it('eth/68: remote stuck before a fork we passed, unaware of it -> ErrForkIdRejected (remote stale)', async () => {
    const genesisOnly = computeForkId(local.forks, { number: 0n, time: 0n })
    const { result } = await against(68, (r) =>
      r.writeMsg(
        MsgCode.Status,
        encodeStatus(statusFor(68, { forkId: { hash: genesisOnly.hash, next: 0n } })),
      ),
    )
    const err = await expectHandshakeError(result, 'ErrForkIdRejected')
    expect(err.forkIdReason).toBe('ErrRemoteStale')
  })

  it('eth/68: remote announces a next fork we already passed -> ErrForkIdRejected (local stale)', async () => {
    const current = computeForkId(local.forks, local.head)
    const { result } = await against(68, (r) =>
      r.writeMsg(
        MsgCode.Status,
        encodeStatus(statusFor(68, { forkId: { hash: current.hash, next: 8n } })),
      ),
    )
    const err = await expectHandshakeError(result, 'ErrForkIdRejected')
    expect(err.forkIdReason).toBe('ErrLocalIncompatibleOrStale')
  })

  it('eth/69: earliest block above latest -> ErrInvalidBlockRange', async () => {
    const { result } = await against(69, (r) =>
      r.writeMsg(
        MsgCode.Status,
        encodeStatus(statusFor(69, { earliestBlock: 11n, latestBlock: 10n })),
      ),
    )
    const err = await expectHandshakeError(result, 'ErrInvalidBlockRange')
    expect(err.disconnectReason).toBe(DisconnectReason.ProtocolError)
  })

  it('eth/69: zero latest block hash -> ErrInvalidBlockRange', async () => {
    const { result } = await against(69, (r) =>
      r.writeMsg(
        MsgCode.Status,
        encodeStatus(statusFor(69, { latestBlockHash: new Uint8Array(32) })),
      ),
    )
    await expectHandshakeError(result, 'ErrInvalidBlockRange')
  })

  it('peer closes during the exchange -> ErrClosed carrying its reason', async () => {
    const { result } = await against(68, (r) => r.close(DisconnectReason.TooManyPeers))
    const err = await expectHandshakeError(result, 'ErrClosed')
    expect(err.remoteReason).toBe(DisconnectReason.TooManyPeers)
    expect(err.disconnectReason).toBe(DisconnectReason.TooManyPeers)
  })

  it('closeOnError: false leaves the connection open', async () => {
    const [ours, theirs] = msgPipe({ version: 68 })
    await theirs.writeMsg(MsgCode.Transactions, rlpEncode([]))
    await expectHandshakeError(
      handshake({ conn: ours, local, clock: new FakeClock() }, { closeOnError: false }),
      'ErrNoStatusMsg',
    )
    expect(ours.closeInfo).toBeUndefined()
  })
})

describe('both sides', () => {
  for (const [what, patch, code] of [
    ['genesis', { genesisHash: new Uint8Array(32).fill(0x99) }, 'ErrGenesisMismatch'],
    ['network id', { networkId: 1n }, 'ErrNetworkIdMismatch'],
  ] as const) {
    it(`${what} mismatch: both sides end with a typed error and a UselessPeer disconnect`, async () => {
      const [a, b] = msgPipe({ version: 68 })
      const clock = new FakeClock()
      const base = testLocalStatus()
      const other = { ...base, ...patch }
      if ('genesisHash' in patch) other.forks = { ...base.forks, genesisHash: patch.genesisHash }
      const [ra, rb] = await Promise.allSettled([
        handshake({ conn: a, local: base, clock }),
        handshake({ conn: b, local: other, clock }),
      ])
      for (const r of [ra, rb]) {
        expect(r.status).toBe('rejected')
        const err = (r as PromiseRejectedResult).reason
        expect(isHandshakeError(err)).toBe(true)
        // Either side may see the mismatch itself or the other side's close overtaking it.
        if (err.code === 'ErrClosed') expect(err.remoteReason).toBe(DisconnectReason.UselessPeer)
        else expect(err.code).toBe(code)
        expect(err.disconnectReason).toBe(DisconnectReason.UselessPeer)
      }
      expect(a.closeInfo?.reason).toBe(DisconnectReason.UselessPeer)
      expect(clock.pending).toBe(0)
    })
  }
})

describe('timeout and abort', () => {
  it('a write that never completes still times out', async () => {
    const clock = new FakeClock()
    const [ours, theirs] = msgPipe({ version: 66 })
    await theirs.writeMsg(MsgCode.Status, encodeStatus(buildStatus(66, testLocalStatus())))
    const conn: EthConnection = {
      version: 66,
      direction: ours.direction,
      remoteId: ours.remoteId,
      remoteAddress: ours.remoteAddress,
      transport: 'pipe',
      get closeInfo() {
        return ours.closeInfo
      },
      readMsg: (signal) => ours.readMsg(signal),
      writeMsg: () => new Promise(() => {}),
      close: (reason) => ours.close(reason),
    }
    const p = handshake({ conn, local: testLocalStatus(), clock })
    await new Promise((r) => setTimeout(r, 5))
    clock.tick(5_000)
    await expectHandshakeError(p, 'ErrTimeout')
    expect(theirs.closeInfo?.reason).toBe(DisconnectReason.Timeout)
  })

  it('no Status within 5 s on the injected clock -> ErrTimeout, Timeout sent', async () => {
    const clock = new FakeClock()
    const [ours, theirs] = msgPipe({ version: 68 })
    const p = handshake({ conn: ours, local: testLocalStatus(), clock })
    const settled = p.then(
      () => 'resolved',
      () => 'rejected',
    )
    clock.tick(4_999)
    await new Promise((r) => setTimeout(r, 5))
    expect(await Promise.race([settled, Promise.resolve('pending')])).toBe('pending')
    clock.tick(1)
    const err = await expectHandshakeError(p, 'ErrTimeout')
    expect(err.disconnectReason).toBe(DisconnectReason.Timeout)
    expect(theirs.closeInfo).toEqual({ reason: DisconnectReason.Timeout, remote: true })
    expect(clock.pending).toBe(0)
  })

  it('custom timeout', async () => {
    const clock = new FakeClock()
    const [ours] = msgPipe({ version: 62 })
    const p = handshake({ conn: ours, local: testLocalStatus(), clock }, { timeoutMs: 100 })
    clock.tick(100)
    await expectHandshakeError(p, 'ErrTimeout')
  })

  it('abort signal rejects with its reason and does not close', async () => {
    const clock = new FakeClock()
    const [ours] = msgPipe({ version: 68 })
    const ac = new AbortController()
    const p = handshake({ conn: ours, local: testLocalStatus(), clock }, { signal: ac.signal })
    ac.abort(new Error('shutting down'))
    await expect(p).rejects.toThrow('shutting down')
    expect(ours.closeInfo).toBeUndefined()
    expect(clock.pending).toBe(0)
  })
})

describe('disconnectReasonFor', () => {
  it('maps every code', () => {
    const table: Record<HandshakeErrorCode, number> = {
      ErrNoStatusMsg: DisconnectReason.ProtocolError,
      ErrMsgTooLarge: DisconnectReason.ProtocolError,
      ErrDecode: DisconnectReason.ProtocolError,
      ErrInvalidBlockRange: DisconnectReason.ProtocolError,
      ErrGenesisMismatch: DisconnectReason.UselessPeer,
      ErrNetworkIdMismatch: DisconnectReason.UselessPeer,
      ErrForkIdRejected: DisconnectReason.UselessPeer,
      ErrDaoForkMismatch: DisconnectReason.UselessPeer,
      ErrProtocolVersionMismatch: DisconnectReason.IncompatibleVersion,
      ErrTimeout: DisconnectReason.Timeout,
      ErrDaoChallengeTimeout: DisconnectReason.Timeout,
      ErrClosed: DisconnectReason.NetworkError,
    }
    for (const [code, reason] of Object.entries(table)) {
      expect(disconnectReasonFor(code as HandshakeErrorCode)).toBe(reason)
    }
  })
})
