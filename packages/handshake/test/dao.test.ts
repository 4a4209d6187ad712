import { FakeClock } from '@ethwire/interface/testing'
import { BlockHeader, DisconnectReason } from '@ethwire/rlp-wire'
import { genHeaderData, Rand } from '@ethwire/rlp-wire/testing'
import { describe, expect, it } from 'vitest'
import {
  type ChallengeHeader,
  daoChallenge,
  daoForkExtraData,
  type HeaderRequester,
  isHandshakeError,
} from '../src/index.js'

const forkBlock = 1_920_000n

function header(number: bigint, extra: Uint8Array): ChallengeHeader {
  const d = genHeaderData(new Rand(7), 15)
  return BlockHeader.fromData({ ...d, number, extra })
}

function peerAnswering(answer: () => Promise<readonly ChallengeHeader[]>) {
  const asked: { number: bigint; amount: number }[] = []
  const peer: HeaderRequester = {
    requestHeadersByNumber(req, opts) {
      asked.push({ number: req.number, amount: req.amount })
      return new Promise((resolve, reject) => {
        opts?.signal?.addEventListener('abort', () => reject(new Error('aborted')), { once: true })
        answer().then(resolve, reject)
      })
    },
  }
  return { peer, asked }
}

describe('DAO fork challenge', () => {
  it('pro-fork peer with "dao-hard-fork" extra-data is verified', async () => {
    const { peer, asked } = peerAnswering(async () => [header(forkBlock, daoForkExtraData)])
    const clock = new FakeClock()
    await expect(daoChallenge({ peer, clock }, { forkBlock, support: true })).resolves.toBe(
      'verified',
    )
    expect(asked).toEqual([{ number: forkBlock, amount: 1 }])
    expect(clock.pending).toBe(0)
  })

  it('no-fork chain: a pro-fork header is a mismatch; another extra is fine', async () => {
    const pro = peerAnswering(async () => [header(forkBlock, daoForkExtraData)]).peer
    const err = await daoChallenge(
      { peer: pro, clock: new FakeClock() },
      { forkBlock, support: false },
    ).catch((e) => e)
    expect(isHandshakeError(err, 'ErrDaoForkMismatch')).toBe(true)
    expect(err.disconnectReason).toBe(DisconnectReason.UselessPeer)
    const classic = peerAnswering(async () => [header(forkBlock, new Uint8Array([1, 2]))]).peer
    await expect(
      daoChallenge({ peer: classic, clock: new FakeClock() }, { forkBlock, support: false }),
    ).resolves.toBe('verified')
  })

  it('wrong extra-data on the pro-fork chain drops the peer', async () => {
    const { peer } = peerAnswering(async () => [header(forkBlock, new Uint8Array())])
    const err = await daoChallenge(
      { peer, clock: new FakeClock() },
      { forkBlock, support: true },
    ).catch((e) => e)
    expect(isHandshakeError(err, 'ErrDaoForkMismatch')).toBe(true)
  })

  it('a header for another block is a mismatch', async () => {
    const { peer } = peerAnswering(async () => [header(forkBlock + 1n, daoForkExtraData)])
    const err = await daoChallenge(
      { peer, clock: new FakeClock() },
      { forkBlock, support: true },
    ).catch((e) => e)
    expect(isHandshakeError(err, 'ErrDaoForkMismatch')).toBe(true)
  })

  it('an empty answer means the peer is behind: kept', async () => {
    const { peer } = peerAnswering(async () => [])
    await expect(
      daoChallenge({ peer, clock: new FakeClock() }, { forkBlock, support: true }),
    ).resolves.toBe('peer-behind')
  })

  it('no answer within the timeout on the fake clock -> ErrDaoChallengeTimeout, request aborted', async () => {
    const { peer } = peerAnswering(() => new Promise(() => {}))
    const clock = new FakeClock()
    const p = daoChallenge({ peer, clock }, { forkBlock, support: true, timeoutMs: 15_000 })
    clock.tick(15_000)
    const err = await p.catch((e) => e)
    expect(isHandshakeError(err, 'ErrDaoChallengeTimeout')).toBe(true)
    expect(err.disconnectReason).toBe(DisconnectReason.Timeout)
    expect(clock.pending).toBe(0)
  })

  it('a failed request drops the peer too', async () => {
    const { peer } = peerAnswering(async () => {
      throw new Error('peer went away')
    })
    const err = await daoChallenge(
      { peer, clock: new FakeClock() },
      { forkBlock, support: true },
    ).catch((e) => e)
    expect(isHandshakeError(err, 'ErrDaoChallengeTimeout')).toBe(true)
  })
})
