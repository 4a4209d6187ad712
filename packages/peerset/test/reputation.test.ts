import { FakeClock } from '@ethwire/interface/testing'
import { DisconnectReason, decodeMessage } from '@ethwire/rlp-wire'
import { describe, expect, it } from 'vitest'
import {
  type BanEntry,
  badMessageCost,
  badResponseCost,
  banDurationMs,
  banThresholdScore,
  isPeerError,
  minReputationScore,
  offenceOf,
  PeerError,
  PeerScores,
  PeerSet,
  timeoutCost,
  trustedMaxCost,
} from '../src/index.js'
import { peerPair } from '../src/testing.js'

const minute = 60_000

describe('PeerScores: costs and the ban threshold', () => {
  it('starts at 0, takes each cost, records the last and the worst offence', () => {
    const clock = new FakeClock()
    const s = new PeerScores({ clock })
    expect(s.score('a')).toBe(0)
    expect(s.info('a')).toEqual({ id: 'a', score: 0, kind: 'basic', banned: false, offences: 0 })
    const r1 = s.report('a', 'timeout', { detail: 'GetBlockHeaders' })
    expect(r1).toMatchObject({
      score: -timeoutCost,
      cost: timeoutCost,
      shouldDrop: false,
      banned: false,
    })
    expect(r1.reason).toBe(`timeout: GetBlockHeaders (score ${-timeoutCost})`)
    clock.tick(10)
    s.report('a', 'badResponse', { detail: 'headers do not link' })
    clock.tick(10)
    s.report('a', 'timeout')
    // 20 ms of recovery at 1 point a minute: a third of a thousandth of a point
    expect(s.score('a')).toBeCloseTo(-(2 * timeoutCost + badResponseCost), 2)
    const info = s.info('a')
    expect(info.offences).toBe(3)
    expect(info.lastOffence).toEqual({ kind: 'timeout', cost: timeoutCost, atMs: 20 })
    expect(info.worstOffence).toEqual({
      kind: 'badResponse',
      cost: badResponseCost,
      detail: 'headers do not link',
      atMs: 10,
    })
    expect(s.score('b')).toBe(0)
  })

  it('timeouts reduce the score: 12 in a row keep the peer, the 13th bans it', () => {
    const s = new PeerScores({ clock: new FakeClock() })
    const banned: BanEntry[] = []
    s.events.on('banned', (b) => banned.push(b))
    for (let i = 1; i <= 12; i++) {
      const r = s.report('slow', 'timeout')
      expect(r.shouldDrop, `timeout ${i}`).toBe(false)
      expect(s.shouldDrop('slow')).toBe(false)
    }
    expect(s.score('slow')).toBe(-48)
    const r = s.report('slow', 'timeout', { detail: 'GetBlockBodies' })
    expect(r.score).toBeLessThan(banThresholdScore)
    expect(r).toMatchObject({
      shouldDrop: true,
      banned: true,
      disconnectReason: DisconnectReason.UselessPeer,
    })
    expect(s.isBanned('slow')).toBe(true)
    expect(s.shouldDrop('slow')).toBe(true)
    expect(banned).toHaveLength(1)
    expect(banned[0]).toMatchObject({ id: 'slow', untilMs: banDurationMs, reason: r.reason })
    expect(banned[0]?.offence?.kind).toBe('timeout')
    // later offences while banned: still drop, no second ban
    const again = s.report('slow', 'timeout')
    expect(again).toMatchObject({ shouldDrop: true, banned: false })
    expect(banned).toHaveLength(1)
    expect(s.banOf('slow')?.untilMs).toBe(banDurationMs)
  })

  it('a timeout every five minutes is forgotten before the next (recovery of 1 point a minute)', () => {
    const clock = new FakeClock()
    const s = new PeerScores({ clock })
    for (let i = 0; i < 500; i++) {
      expect(s.report('flaky', 'timeout').shouldDrop).toBe(false)
      clock.tick(5 * minute)
    }
    expect(s.score('flaky')).toBe(0)
    // without recovery the same pattern bans at the 13th
    const strict = new PeerScores({ clock }, { recoveryPerMinute: 0 })
    let droppedAt = -1
    for (let i = 1; i <= 20 && droppedAt < 0; i++) {
      if (strict.report('flaky', 'timeout').shouldDrop) droppedAt = i
      clock.tick(5 * minute)
    }
    expect(droppedAt).toBe(13)
  })

  it('a protocol breach bans at once with ProtocolError; bad messages after four', () => {
    const s = new PeerScores({ clock: new FakeClock() })
    const r = s.report('evil', 'protocolBreach', { detail: 'no Status first' })
    expect(r).toMatchObject({
      score: minReputationScore,
      shouldDrop: true,
      banned: true,
      disconnectReason: DisconnectReason.ProtocolError,
    })
    expect(s.report('evil', 'protocolBreach').score).toBe(minReputationScore) // floored
    const drops = [1, 2, 3, 4].map((i) => s.report('noisy', 'badMessage', { detail: `msg ${i}` }))
    expect(drops.map((d) => d.shouldDrop)).toEqual([false, false, false, true])
    expect(drops[3]?.score).toBe(-4 * badMessageCost)
    expect(drops[3]?.disconnectReason).toBe(DisconnectReason.ProtocolError)
    expect(s.banOf('noisy')?.reason).toBe(`badMessage: msg 4 (score ${-4 * badMessageCost})`)
  })

  it('bans expire after banDurationMs: the id is accepted again with a fresh score', () => {
    const clock = new FakeClock()
    const s = new PeerScores({ clock }, { banDurationMs: 60_000 })
    const unbanned: string[] = []
    s.events.on('unbanned', (u) => unbanned.push(u.id))
    s.report('x', 'protocolBreach')
    clock.tick(59_999)
    expect(s.isBanned('x')).toBe(true)
    expect(s.bans().map((b) => b.id)).toEqual(['x'])
    clock.tick(1)
    expect(s.isBanned('x')).toBe(false)
    expect(unbanned).toEqual(['x'])
    expect(s.score('x')).toBe(0)
    expect(s.info('x')).toMatchObject({ banned: false, offences: 0 })
    expect(s.bans()).toEqual([])
    // the first offence after the ban counts from 0
    expect(s.report('x', 'timeout').score).toBe(-timeoutCost)
  })

  it('an expired ban found by report resets the score before the new offence', () => {
    const clock = new FakeClock()
    const s = new PeerScores({ clock }, { banDurationMs: 1_000, recoveryPerMinute: 0 })
    s.report('y', 'protocolBreach')
    clock.tick(1_000)
    const r = s.report('y', 'badResponse')
    expect(r).toMatchObject({ score: -badResponseCost, shouldDrop: false, banned: false })
  })

  it('ban and unban by hand; bans() lists those in force', () => {
    const clock = new FakeClock()
    const s = new PeerScores({ clock })
    expect(s.ban('op', 'operator', 5_000)).toBe(true)
    expect(s.banOf('op')).toEqual({ id: 'op', untilMs: 5_000, reason: 'operator' })
    expect(s.info('op')).toMatchObject({
      banned: true,
      bannedUntilMs: 5_000,
      banReason: 'operator',
    })
    s.report('op', 'badResponse')
    expect(s.unban('op')).toBe(true)
    expect(s.unban('op')).toBe(false)
    expect(s.isBanned('op')).toBe(false)
    expect(s.score('op')).toBe(0)
  })
})

describe('PeerScores: trusted and static peers, eviction', () => {
  it('trusted peers pay at most trustedMaxCost and are never banned; marking one trusted lifts its ban', () => {
    const s = new PeerScores({ clock: new FakeClock() }, { recoveryPerMinute: 0 })
    s.setKind('t', 'trusted')
    const r = s.report('t', 'badResponse')
    expect(r.cost).toBe(trustedMaxCost)
    for (let i = 0; i < 1_000; i++) expect(s.report('t', 'protocolBreach').shouldDrop).toBe(false)
    expect(s.isBanned('t')).toBe(false)
    expect(s.ban('t', 'no')).toBe(false)
    s.report('u', 'protocolBreach')
    expect(s.isBanned('u')).toBe(true)
    s.setKind('u', 'trusted')
    expect(s.isBanned('u')).toBe(false)
    expect(s.kindOf('u')).toBe('trusted')
    s.setKind('u', 'basic')
    expect(s.kindOf('u')).toBe('basic')
  })

  it('static peers are scored and banned like others', () => {
    const s = new PeerScores({ clock: new FakeClock() })
    s.setKind('st', 'static')
    expect(s.report('st', 'protocolBreach').shouldDrop).toBe(true)
  })

  it('pickEvictee: lowest score first, never trusted or static, ties go to the last one', () => {
    const s = new PeerScores({ clock: new FakeClock() }, { recoveryPerMinute: 0 })
    const peers = ['a', 'b', 'c', 'd', 'e'].map((id) => ({ id }))
    expect(s.pickEvictee([])).toBeUndefined()
    expect(s.pickEvictee(peers)?.id).toBe('e') // all at 0: the most recently registered
    s.report('b', 'timeout')
    s.report('c', 'badResponse')
    s.report('d', 'badResponse')
    expect(s.pickEvictee(peers)?.id).toBe('d')
    s.setKind('d', 'trusted')
    s.setKind('c', 'static')
    expect(s.pickEvictee(peers)?.id).toBe('b')
    // flags on the peer object protect too
    expect(
      s.pickEvictee([{ id: 'b', static: true }, { id: 'a' }, { id: 'x', trusted: true }])?.id,
    ).toBe('a')
    expect(s.pickEvictee([{ id: 'c' }, { id: 'd' }])).toBeUndefined()
  })
})

describe('PeerScores: bounded tables', () => {
  it('the ban table forgets the least recently banned first, expired bans before that', () => {
    const clock = new FakeClock()
    const s = new PeerScores({ clock }, { maxBannedPeers: 3 })
    for (const id of ['a', 'b', 'c']) s.ban(id, 'x')
    s.ban('a', 'again') // a becomes the most recent
    s.ban('d', 'x')
    expect(s.bans().map((b) => b.id)).toEqual(['c', 'a', 'd'])
    expect(s.isBanned('b')).toBe(false)
    // expired entries go first: c's short ban has expired by the time e is banned
    s.ban('c', 'short', 10)
    clock.tick(10)
    s.ban('e', 'x')
    expect(s.bans().map((b) => b.id)).toEqual(['a', 'd', 'e'])
  })

  it('the score table forgets the least recently reported id first', () => {
    const s = new PeerScores(
      { clock: new FakeClock() },
      { maxScoredPeers: 2, recoveryPerMinute: 0 },
    )
    s.report('a', 'timeout')
    s.report('b', 'timeout')
    s.report('a', 'timeout') // a is now the most recent
    s.report('c', 'timeout')
    expect(s.size).toBe(2)
    expect([s.score('a'), s.score('b'), s.score('c')]).toEqual([-8, 0, -4])
    s.forget('a')
    expect(s.score('a')).toBe(0)
  })

  it('costs can be changed; negative costs are refused', () => {
    const s = new PeerScores({ clock: new FakeClock() }, { costs: { timeout: 10 } })
    expect(s.costOf('timeout')).toBe(10)
    expect(s.report('a', 'timeout').score).toBe(-10)
    expect(s.report('a', 'badResponse', { cost: 1 }).score).toBe(-11)
    expect(() => s.report('a', 'timeout', { cost: -1 })).toThrow(RangeError)
    expect(() => new PeerScores({}, { costs: { flood: -2 } })).toThrow(RangeError)
  })
})

describe('offenceOf', () => {
  it('maps the error codes the packages raise about a peer', () => {
    expect(offenceOf(new PeerError('ErrTimeout', 'x'))).toBe('timeout')
    expect(offenceOf(new PeerError('ErrInvalidResponse', 'x'))).toBe('badResponse')
    expect(offenceOf(new PeerError('ErrClosed', 'x'))).toBeUndefined()
    expect(offenceOf(new PeerError('ErrUnsupported', 'x'))).toBeUndefined()
    let wire: unknown
    try {
      decodeMessage(68, { code: 0x03, payload: Uint8Array.of(0xff) })
    } catch (e) {
      wire = e
    }
    expect(offenceOf(wire)).toBe('badMessage')
    const coded = (code: string) => Object.assign(new Error(code), { name: 'FetcherError', code })
    expect(offenceOf(coded('ErrUnrequestedTx'))).toBe('unsolicitedResponse')
    expect(offenceOf(coded('ErrDuplicateTx'))).toBe('alreadySeen')
    expect(offenceOf(coded('ErrTxSizeMismatch'))).toBe('uselessAnnouncement')
    expect(offenceOf(coded('ErrNoStatusMsg'))).toBe('protocolBreach')
    expect(offenceOf(coded('ErrGenesisMismatch'))).toBeUndefined()
    expect(offenceOf(new Error('plain'))).toBeUndefined()
    expect(offenceOf(undefined)).toBeUndefined()
  })
})

describe('PeerSet with PeerScores', () => {
  it('report drops a peer that crossed the threshold; register refuses it while banned, accepts it after', async () => {
    const clock = new FakeClock()
    const scores = new PeerScores({ clock }, { banDurationMs: 10 * minute })
    const set = new PeerSet({ scores })
    expect(set.scores).toBe(scores)
    const { peer } = peerPair({ id: 'bad' })
    set.register(peer)
    expect(set.report('bad', 'badResponse').shouldDrop).toBe(false)
    expect(peer.closed).toBe(false)
    const r = set.report('bad', 'protocolBreach', { detail: 'test' })
    expect(r.shouldDrop).toBe(true)
    await Promise.resolve()
    expect(peer.closed).toBe(true)
    // the connection's owner unregisters it, as for any disconnect
    expect(set.has('bad')).toBe(true)
    set.unregister('bad')
    const again = peerPair({ id: 'bad' }).peer
    let err: unknown
    try {
      set.register(again)
    } catch (e) {
      err = e
    }
    expect(isPeerError(err, 'ErrBanned')).toBe(true)
    expect((err as PeerError).disconnectReason).toBe(DisconnectReason.UselessPeer)
    expect((err as Error).message).toContain('protocolBreach: test')
    clock.tick(10 * minute)
    set.register(again)
    expect(set.has('bad')).toBe(true)
    // reports of unregistered ids only score them
    expect(set.report('nobody', 'protocolBreach').shouldDrop).toBe(true)
  })

  it('evictionCandidate picks the lowest-scored unprotected registered peer', () => {
    const scores = new PeerScores({ clock: new FakeClock() })
    const set = new PeerSet({ scores, maxPeers: 3 })
    for (const id of ['p1', 'p2', 'p3']) set.register(peerPair({ id }).peer)
    expect(set.evictionCandidate()?.id).toBe('p3')
    set.report('p1', 'timeout')
    expect(set.evictionCandidate()?.id).toBe('p1')
    scores.setKind('p1', 'static')
    expect(set.evictionCandidate()?.id).toBe('p3')
    expect(new PeerSet().evictionCandidate()).toBeUndefined()
  })
})
