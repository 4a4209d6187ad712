/**
 * Two (and more) ethwire peers in SEPARATE processes, talking over real libp2p on 127.0.0.1:
 * connect, agree on the highest common eth version, run the Status handshake, register in each
 * other's PeerSet; a wrong genesis or network id ends in the typed handshake error and the
 * UselessPeer disconnect on both sides; a disconnect unregisters on both sides; stop() leaves the
 * child with nothing but its IPC channel, so it exits by itself.
 */
import { type ChildProcess, fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DisconnectReason } from '../src/wire.js'

const script = fileURLToPath(new URL('./helpers/peer-node.ts', import.meta.url))
const genesisA = `0x${'11'.repeat(32)}`
const genesisB = `0x${'22'.repeat(32)}`

type Report = Record<string, unknown> & { type: string }

class Child {
  readonly proc: ChildProcess
  readonly reports: Report[] = []
  #waiters: Array<() => void> = []
  readonly exited: Promise<number | null>

  constructor(config: object) {
    this.proc = fork(script, [JSON.stringify(config)], {
      execArgv: ['--conditions=@ethwire/source', '--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    })
    this.proc.on('message', (m: Report) => {
      this.reports.push(m)
      for (const w of this.#waiters.splice(0)) w()
    })
    this.exited = new Promise((resolve) => this.proc.once('exit', (code) => resolve(code)))
  }

  /** The first report of `type` (matching `where`) not consumed yet, waiting up to `timeoutMs`. */
  async next(
    type: string,
    where: (r: Report) => boolean = () => true,
    timeoutMs = 15_000,
  ): Promise<Report> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const i = this.reports.findIndex((r) => r.type === type && where(r))
      if (i >= 0) return this.reports.splice(i, 1)[0] as Report
      const left = deadline - Date.now()
      if (left <= 0)
        throw new Error(
          `no '${type}' report within ${timeoutMs} ms; got ${JSON.stringify(this.reports)}`,
        )
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left)
        this.#waiters.push(() => {
          clearTimeout(t)
          resolve()
        })
      })
    }
  }

  send(m: Report): void {
    this.proc.send(m)
  }

  kill(): void {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill('SIGKILL')
  }
}

const children: Child[] = []
let listener: Child
let listenerAddr: string
let listenerId: string

function spawn(config: object): Child {
  const c = new Child(config)
  children.push(c)
  return c
}

beforeAll(async () => {
  listener = spawn({ versions: [66, 67, 68, 69], networkId: '1337', genesisHex: genesisA })
  const up = await listener.next('listening', undefined, 30_000)
  listenerAddr = (up.addrs as string[])[0] as string
  listenerId = up.peerId as string
  expect(listenerAddr).toMatch(/^\/ip4\/127\.0\.0\.1\/tcp\/\d+\/p2p\//)
}, 40_000)

afterAll(() => {
  for (const c of children) c.kill()
})

describe('libp2p peers in separate processes', () => {
  it('connect on the highest common version, handshake, register on both sides; disconnect unregisters both', async () => {
    const dialer = spawn({
      versions: [62, 63, 66, 67, 68],
      networkId: '1337',
      genesisHex: genesisA,
    })
    const up = await dialer.next('listening', undefined, 30_000)
    const dialerId = up.peerId as string
    dialer.send({ type: 'dial', addr: listenerAddr })

    const [dConn, lConn] = await Promise.all([
      dialer.next('connected'),
      listener.next('connected', (r) => r.id === dialerId),
    ])
    expect(dConn).toMatchObject({ direction: 'outbound', id: listenerId, version: 68 })
    expect(lConn).toMatchObject({ direction: 'inbound', version: 68 })

    const [dReg, lReg] = await Promise.all([
      dialer.next('registered'),
      listener.next('registered', (r) => r.id === dialerId),
    ])
    expect(dReg).toMatchObject({ id: listenerId, version: 68, size: 1 })
    expect(lReg).toMatchObject({ id: dialerId, version: 68 })

    // The dialer hangs up with a reason; both sides unregister and see the same reason.
    dialer.send({ type: 'disconnect', reason: DisconnectReason.TooManyPeers })
    const [dGone, lGone, lClosed] = await Promise.all([
      dialer.next('unregistered'),
      listener.next('unregistered', (r) => r.id === dialerId),
      listener.next('closed', (r) => r.id === dialerId),
    ])
    expect(dGone).toMatchObject({ id: listenerId, size: 0 })
    expect(lGone).toMatchObject({ id: dialerId })
    expect(lClosed).toMatchObject({
      code: 'ErrClosed',
      closeInfo: { reason: DisconnectReason.TooManyPeers, remote: true },
    })
    const dClosed = await dialer.next('closed')
    expect(dClosed).toMatchObject({
      closeInfo: { reason: DisconnectReason.TooManyPeers, remote: false },
    })

    // stop() leaves no sockets or timers: the child exits on its own once IPC is gone.
    dialer.send({ type: 'stop' })
    const stopped = await dialer.next('stopped')
    const resources = stopped.resources as string[]
    expect(
      resources.filter((r) => r === 'TCPWrap' || r === 'TCPServerWrap' || r === 'Timeout'),
    ).toEqual([])
    expect(await dialer.exited).toBe(0)
  })

  it('a different genesis ends in ErrGenesisMismatch and UselessPeer on both sides', async () => {
    const dialer = spawn({ versions: [68], networkId: '1337', genesisHex: genesisB })
    const up = await dialer.next('listening', undefined, 30_000)
    dialer.send({ type: 'dial', addr: listenerAddr })
    const [d, l] = await Promise.all([
      dialer.next('handshake-failed'),
      listener.next('handshake-failed', (r) => r.code === 'ErrGenesisMismatch'),
    ])
    expect(d).toMatchObject({
      code: 'ErrGenesisMismatch',
      closeInfo: { reason: DisconnectReason.UselessPeer },
    })
    expect(l).toMatchObject({
      code: 'ErrGenesisMismatch',
      closeInfo: { reason: DisconnectReason.UselessPeer },
    })
    // Neither side registered the other.
    expect(dialer.reports.some((r) => r.type === 'registered')).toBe(false)
    expect(listener.reports.some((r) => r.type === 'registered' && r.id === up.peerId)).toBe(false)
    dialer.send({ type: 'stop' })
    expect(await dialer.exited).toBe(0)
  })

  it('a different network id ends in ErrNetworkIdMismatch and UselessPeer on both sides', async () => {
    const dialer = spawn({ versions: [69, 68], networkId: '1', genesisHex: genesisA })
    await dialer.next('listening', undefined, 30_000)
    dialer.send({ type: 'dial', addr: listenerAddr })
    const [dConn, d, l] = await Promise.all([
      dialer.next('connected'),
      dialer.next('handshake-failed'),
      listener.next('handshake-failed', (r) => r.code === 'ErrNetworkIdMismatch'),
    ])
    expect(dConn.version).toBe(69)
    expect(d).toMatchObject({
      code: 'ErrNetworkIdMismatch',
      closeInfo: { reason: DisconnectReason.UselessPeer },
    })
    expect(l).toMatchObject({
      code: 'ErrNetworkIdMismatch',
      closeInfo: { reason: DisconnectReason.UselessPeer },
    })
    dialer.send({ type: 'stop' })
    expect(await dialer.exited).toBe(0)
  })
})
