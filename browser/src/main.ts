/**
 * The page: reads its options from the URL, dials the peer over libp2p WebSockets, and draws
 * what the {@link Follower} reports.
 *
 *   index.html?peer=/ip4/127.0.0.1/tcp/8546/ws/p2p/12D3Koo…[&last=1000][&poll=12]
 *             [&genesis=/genesis.json][&networkid=1337]
 *
 * - `peer` (required): the node's WebSockets multiaddr;
 * - `last`: blocks below the peer's head to start at (default 1000);
 * - `poll`: seconds between asking for headers above our head (default 12; 0 = never);
 * - `genesis`: URL of a go-ethereum genesis.json: our network id and fork schedule (checked
 *   against the peer's fork id); without it the page adopts the peer's network.
 *
 * State for tests and people alike is on the DOM: `body[data-state]` (`dialing`, `handshake`,
 * `syncing`, `live`, `closed`, `error`), `#handshake[data-ok]`, `#headers[data-count]`,
 * `#head[data-number]`, one `#blocks li[data-number]` per new block after the first sync.
 */
import { type ChainlessNetwork, networkFromGenesis } from '@ethwire/handshake'
import { createLibp2pTransport } from '@ethwire/transport-libp2p'
import { Follower } from './follower.js'

const $ = (id: string): HTMLElement => {
  const el = document.getElementById(id)
  if (el === null) throw new Error(`#${id} missing from the page`)
  return el
}

const short = (hex: string): string => `${hex.slice(0, 10)}…${hex.slice(-6)}`
const maxLogLines = 200
const maxBlockRows = 50

function setState(state: string, detail?: string): void {
  document.body.dataset.state = state
  $('state').textContent = detail === undefined ? state : `${state}: ${detail}`
}

function log(line: string): void {
  const pre = $('log')
  const stamp = new Date().toISOString().slice(11, 23)
  const lines = `${pre.textContent ?? ''}${stamp} ${line}\n`.split('\n')
  pre.textContent = lines.slice(-maxLogLines - 1).join('\n')
  pre.scrollTop = pre.scrollHeight
}

async function options(): Promise<{
  peer: string
  last: bigint
  pollMs: number
  network?: ChainlessNetwork
}> {
  const q = new URLSearchParams(location.search)
  const peer = q.get('peer')
  if (!peer) throw new Error('no ?peer=<ws multiaddr> in the URL')
  const last = BigInt(q.get('last') ?? '1000')
  const pollMs = Number(q.get('poll') ?? '12') * 1000
  const genesisUrl = q.get('genesis')
  const networkId = q.get('networkid')
  if (!genesisUrl) return { peer, last, pollMs }
  const res = await fetch(genesisUrl)
  if (!res.ok) throw new Error(`${genesisUrl}: HTTP ${res.status}`)
  const network = networkFromGenesis(
    await res.json(),
    networkId === null ? undefined : BigInt(networkId),
  )
  return { peer, last, pollMs, network }
}

async function main(): Promise<void> {
  const opts = await options()
  $('peer').textContent = opts.peer
  const transport = createLibp2pTransport({}, { transports: ['websockets'] })
  const follower = new Follower({ transport }, opts)
  ;(globalThis as { ethwireDemo?: Follower }).ethwireDemo = follower
  const e = follower.events
  e.on('log', log)
  e.on('connected', ({ remoteAddress, version }) => {
    setState('handshake')
    $('connection').textContent = `eth/${version} over ${remoteAddress}`
    log(`connected on eth/${version}`)
  })
  e.on('handshake', (h) => {
    setState('syncing')
    const el = $('handshake')
    el.dataset.ok = 'true'
    el.dataset.version = String(h.version)
    el.textContent =
      `ok: network ${h.networkId}, genesis ${short(h.genesis)}, peer head ${short(h.head)}, ` +
      `fork id ${h.forkCheck === 'genesis file' ? 'checked against our genesis file' : 'adopted'}`
    log(`Status exchanged with ${h.remoteId.slice(0, 12)}… (network ${h.networkId})`)
  })
  e.on('root', ({ number, hash }) => {
    $('root').textContent = `#${number} ${short(hash)}`
    log(`starting at #${number}`)
  })
  e.on('head', (h) => {
    const headers = $('headers')
    headers.dataset.count = String(h.headers)
    headers.textContent = h.headers.toLocaleString('en')
    const head = $('head')
    head.dataset.number = String(h.number)
    head.dataset.hash = h.hash
    const when = new Date(Number(h.time) * 1000).toISOString().replace('T', ' ').slice(0, 19)
    head.textContent = `#${h.number} ${h.hash} (${when} UTC, ${h.txs} txs)`
    if (!h.live) return
    const li = document.createElement('li')
    li.className = 'new'
    li.dataset.number = String(h.number)
    li.textContent = `#${h.number} ${short(h.hash)} ${when} UTC, ${h.txs} txs (+${h.added})`
    const list = $('blocks')
    list.prepend(li)
    while (list.children.length > maxBlockRows) list.lastElementChild?.remove()
    log(`new block #${h.number}`)
  })
  e.on('synced', ({ headers, head, ms }) => {
    setState('live')
    $('synced').textContent = `${headers.toLocaleString('en')} headers to #${head} in ${ms} ms`
    log(`synced: ${headers} headers in ${ms} ms; following new blocks`)
  })
  e.on('closed', ({ error }) => {
    setState('closed', error)
    log(`closed: ${error}`)
  })
  setState('dialing')
  await follower.start()
}

main().catch((err: unknown) => {
  const message = err instanceof Error ? err.message : String(err)
  setState('error', message)
  log(`error: ${message}`)
})
