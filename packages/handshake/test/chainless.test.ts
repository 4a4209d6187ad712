import { readFileSync } from 'node:fs'
import { FakeClock } from '@ethwire/interface/testing'
import { DisconnectReason, MsgCode, type StatusEth64 } from '@ethwire/rlp-wire'
import { msgPipe } from '@ethwire/rlp-wire/testing'
import { describe, expect, it } from 'vitest'
import {
  buildStatus,
  chainlessHandshake,
  computeForkId,
  handshake,
  isHandshakeError,
  type LocalStatus,
  networkFromGenesis,
} from '../src/index.js'

const genesisJson = JSON.parse(
  readFileSync(new URL('./fixtures/ethtest-genesis.json', import.meta.url), 'utf8'),
) as Record<string, unknown>
const network = networkFromGenesis(genesisJson)

/** A node with a chain: the ethtest genesis, head well past Prague. */
function fullNode(overrides: Partial<LocalStatus> = {}): LocalStatus {
  const genesisHash = new Uint8Array(32).fill(0xab)
  return {
    networkId: network.networkId,
    genesisHash,
    head: { hash: new Uint8Array(32).fill(0xcd), number: 500n, time: 5_000n },
    td: 1_000_000n,
    earliestBlock: 0n,
    forks: {
      genesisHash,
      genesisTime: network.genesisTime,
      forksByBlock: network.forksByBlock,
      forksByTime: network.forksByTime,
    },
    ...overrides,
  }
}

describe('networkFromGenesis', () => {
  it('reads network id, genesis time/difficulty and the fork schedule of a geth genesis', () => {
    expect(network.networkId).toBe(3503995874084926n)
    expect(network.forksByTime).toEqual([0n, 60n, 120n]) // shanghaiTime 0 kept; gatherForks drops it
    expect(network.genesisDifficulty).toBe(BigInt(genesisJson.difficulty as string))
    expect(networkFromGenesis(genesisJson, 7n).networkId).toBe(7n)
  })
  it('names what is wrong with a file that is not a genesis', () => {
    expect(() => networkFromGenesis({ alloc: {} })).toThrow(/no "config" object/)
    expect(() => networkFromGenesis({ config: { chainId: 'x' } })).toThrow(/config.chainId/)
    expect(() => networkFromGenesis(null)).toThrow(/no "config" object/)
  })
})

describe('chainlessHandshake', () => {
  for (const version of [64, 66, 68, 69, 70]) {
    it(`eth/${version}: a full node accepts a chainless peer at genesis with an honest fork id`, async () => {
      const [ours, theirs] = msgPipe({ version })
      const clock = new FakeClock()
      const local = fullNode()
      const [mine, peer] = await Promise.all([
        chainlessHandshake({ conn: ours, network, clock }),
        handshake({ conn: theirs, local, clock }),
      ])
      expect(mine.remote).toEqual(buildStatus(version, local))
      // what we sent: head at the peer's genesis, our fork id = that of a node at genesis
      const sent = peer.remote as StatusEth64
      expect(sent.genesis).toEqual(local.genesisHash)
      expect(sent.forkId).toEqual(
        computeForkId(local.forks, { number: 0n, time: network.genesisTime }),
      )
      expect(clock.pending).toBe(0)
    })
  }

  it('without a network it adopts the peer network and echoes its fork id', async () => {
    const [ours, theirs] = msgPipe({ version: 68 })
    const local = fullNode({ networkId: 99n })
    const [mine, peer] = await Promise.all([
      chainlessHandshake({ conn: ours }),
      handshake({ conn: theirs, local }),
    ])
    expect(mine.sent.networkId).toBe(99n)
    expect((peer.remote as StatusEth64).forkId).toEqual((mine.remote as StatusEth64).forkId)
    expect((mine.sent as StatusEth64).td).toBe(0n)
  })

  it('refuses a peer of another network and closes with its disconnect reason', async () => {
    const [ours, theirs] = msgPipe({ version: 68 })
    await theirs.writeMsg(
      MsgCode.Status,
      (await import('@ethwire/rlp-wire')).encodeStatus(
        buildStatus(68, fullNode({ networkId: 1n })),
      ),
    )
    const err = await chainlessHandshake({ conn: ours, network }).catch((e: unknown) => e)
    expect(isHandshakeError(err) && err.code).toBe('ErrNetworkIdMismatch')
    expect(ours.closeInfo?.reason).toBe(DisconnectReason.UselessPeer)
  })

  it('refuses a peer whose fork id is from another chain (ErrForkIdRejected)', async () => {
    const [ours, theirs] = msgPipe({ version: 68 })
    const other = fullNode({
      forks: { ...fullNode().forks, forksByTime: [61n, 120n] },
    })
    await theirs.writeMsg(
      MsgCode.Status,
      (await import('@ethwire/rlp-wire')).encodeStatus(buildStatus(68, other)),
    )
    const err = await chainlessHandshake({ conn: ours, network }).catch((e: unknown) => e)
    expect(isHandshakeError(err) && err.code).toBe('ErrForkIdRejected')
  })

  it('a silent peer gives ErrTimeout after timeoutMs of the clock', async () => {
    const [ours] = msgPipe({ version: 68 })
    const clock = new FakeClock()
    const p = chainlessHandshake({ conn: ours, network, clock }, { timeoutMs: 1_000 })
    p.catch(() => {})
    clock.tick(999)
    await Promise.resolve()
    expect(ours.closeInfo).toBeUndefined()
    clock.tick(1)
    const err = await p.catch((e: unknown) => e)
    expect(isHandshakeError(err) && err.code).toBe('ErrTimeout')
  })

  it('an aborted signal rejects with its reason, not a handshake error', async () => {
    const [ours] = msgPipe({ version: 68 })
    const ac = new AbortController()
    const p = chainlessHandshake({ conn: ours, network }, { signal: ac.signal })
    ac.abort(new Error('stop'))
    await expect(p).rejects.toThrow('stop')
  })
})
