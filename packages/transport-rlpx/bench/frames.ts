/**
 * Frame codec throughput and handshake rate, ours beside @ethereumjs/devp2p's own code path, in
 * the same process and run.
 *
 *   pnpm --filter @ethwire/transport-rlpx bench
 *
 * - frames: encode one 1 MiB message into a frame (AES-256-CTR + egress MAC) and decode it on
 *   the other side (ingress MAC check + AES), repeated; MB/s of message bytes. Our backends run
 *   round-robin (FRAME_ROUNDS rounds, median), beside the keccak this package used before
 *   @ethwire/keccak (hash-wasm 4.13 with save/digest/load per MAC read). devp2p: its
 *   ECIES.createBlockHeader/createBody then parseHeader/parseBody, the path its Peer uses.
 * - handshakes: the full EIP-8 auth/ack exchange and secret derivation for both sides, in
 *   memory (no TCP), per second. devp2p: createAuthEIP8/parseAuthEIP8/createAckEIP8/parseAckEIP8.
 * Not a test: figures depend on the machine and its load (printed with them).
 */
import { loadavg } from 'node:os'
import { ECIES } from '@ethereumjs/devp2p'
import { createKeccak as createHashWasmKeccak } from 'hash-wasm'
import { type CryptoBackend, loadCryptoBackend, pureCryptoBackend } from '../src/crypto.js'
import { publicKeyOf, randomSecretKey } from '../src/ecies.js'
import { FrameCodec } from '../src/frame.js'
import { createAck, createAuth, deriveSecrets, readAck, readAuth } from '../src/handshake.js'
import { createRlpxTransport } from '../src/transport.js'
import { systemRandom } from '../src/types.js'

const MiB = 1024 * 1024
const payload = systemRandom(MiB)

function rate(label: string, units: number, ms: number, unit: string): number {
  const r = units / (ms / 1000)
  console.log(`${label.padEnd(48)} ${r.toFixed(1).padStart(9)} ${unit}`)
  return r
}

/** Runs `fn` repeatedly for at least `minMs` (after a warm-up), returns iterations and time. */
function timeIt(fn: () => void, minMs: number, warmup = 3): { n: number; ms: number } {
  for (let i = 0; i < warmup; i++) fn()
  let n = 0
  const t0 = performance.now()
  let ms = 0
  while (ms < minMs) {
    fn()
    n++
    ms = performance.now() - t0
  }
  return { n, ms }
}

function handshakeOurs(): ReturnType<typeof deriveSecrets>[] {
  const kA = randomSecretKey(systemRandom)
  const kB = randomSecretKey(systemRandom)
  const eA = randomSecretKey(systemRandom)
  const eB = randomSecretKey(systemRandom)
  const nA = systemRandom(32)
  const nB = systemRandom(32)
  const auth = createAuth({
    nodeKey: kA,
    remoteId: publicKeyOf(kB),
    ephemeralKey: eA,
    nonce: nA,
    random: systemRandom,
  })
  const ai = readAuth(kB, auth, true)
  const ack = createAck({
    remoteId: ai.initiatorId,
    ephemeralKey: eB,
    nonce: nB,
    random: systemRandom,
  })
  const ki = readAck(kA, ack, true)
  const common = { initiatorNonce: nA, recipientNonce: nB, auth, ack }
  return [
    deriveSecrets({
      ...common,
      initiator: true,
      ephemeralKey: eA,
      remoteEphemeralId: ki.remoteEphemeralId,
    }),
    deriveSecrets({
      ...common,
      initiator: false,
      ephemeralKey: eB,
      remoteEphemeralId: ai.remoteEphemeralId,
    }),
  ]
}

// biome-ignore lint/suspicious/noExplicitAny: devp2p's ECIES keeps its handshake state in private fields
type AnyEcies = any

function handshakeDevp2p(): [AnyEcies, AnyEcies] {
  const kA = randomSecretKey(systemRandom)
  const kB = randomSecretKey(systemRandom)
  const idA = publicKeyOf(kA)
  const idB = publicKeyOf(kB)
  const a: AnyEcies = new ECIES(kA, idA, idB, undefined as never)
  const b: AnyEcies = new ECIES(kB, idB, null as never, undefined as never)
  const auth = a.createAuthEIP8()
  b._gotEIP8Auth = true
  b.parseAuthEIP8(auth)
  const ack = b.createAckEIP8()
  a._gotEIP8Ack = true
  a.parseAckEIP8(ack)
  return [a, b]
}

/** `fast` with the keccak this package had before @ethwire/keccak: hash-wasm, async, save/load. */
function hashWasmBackend(fast: CryptoBackend): CryptoBackend {
  return {
    ...fast,
    name: 'node-aes+hash-wasm-keccak, before',
    keccak: async () => {
      const h = await createHashWasmKeccak(256)
      return {
        update: (d: Uint8Array) => void h.update(d),
        digest: () => {
          const saved = h.save()
          const d = h.digest('binary')
          h.load(saved)
          return d
        },
      }
    },
  }
}

async function ourCodecs(backend: CryptoBackend): Promise<[FrameCodec, FrameCodec]> {
  const [a, b] = handshakeOurs()
  return [await FrameCodec.create(a!, backend), await FrameCodec.create(b!, backend)]
}

async function main(): Promise<void> {
  const [l1, l5] = loadavg()
  console.log(
    `# RLPx frames and handshakes — node ${process.version}, load average ${l1!.toFixed(2)} / ${l5!.toFixed(2)} (1/5 min)`,
  )
  const minMs = Number(process.env.BENCH_MS ?? 3000)

  // --- frames, 1 MiB messages ---
  const fast = await loadCryptoBackend('auto')
  const results: Record<string, number> = {}
  const rounds = Number(process.env.FRAME_ROUNDS ?? 7)
  const ours = [
    [`ethwire (${fast.name})`, fast],
    [`ethwire (${hashWasmBackend(fast).name})`, hashWasmBackend(fast)],
    ['ethwire (pure: noble aes + noble keccak)', pureCryptoBackend],
  ] as const
  // MB/s by wall clock and by process CPU time (which leaves out time spent descheduled while
  // other jobs share the machine), each the median over the rounds.
  const samples = new Map<string, { wall: number[]; cpu: number[] }>(
    ours.map(([name]) => [name, { wall: [], cpu: [] }]),
  )
  const cpuMs = (): number => {
    const u = process.cpuUsage()
    return (u.user + u.system) / 1000
  }
  const codecs = await Promise.all(ours.map(([, backend]) => ourCodecs(backend)))
  for (let r = 0; r < rounds; r++) {
    ours.forEach(([name], i) => {
      const [enc, dec] = codecs[i]!
      const c0 = cpuMs()
      const { n, ms } = timeIt(
        () => {
          for (const part of enc.encodeMessage(0x10, payload)) dec.push(part)
          const f = dec.next()
          if (!f || f.data.length !== payload.length) throw new Error('frame did not round-trip')
        },
        minMs / rounds,
        r === 0 ? 3 : 0,
      )
      const cpu = cpuMs() - c0
      samples.get(name)!.wall.push(n / (ms / 1000))
      samples.get(name)!.cpu.push((n + (r === 0 ? 3 : 0)) / (cpu / 1000))
    })
  }
  const median = (xs: number[]): number => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
  for (const [name] of ours) {
    const { wall, cpu } = samples.get(name)!
    results[name] = median(wall)
    console.log(
      `${`frame enc+dec 1 MiB: ${name}`.padEnd(48)} ${results[name]!.toFixed(1).padStart(9)} MB/s  (cpu time: ${median(cpu).toFixed(1)} MB/s; median of ${rounds}, wall ${wall[0]!.toFixed(1)}..${wall[wall.length - 1]!.toFixed(1)})`,
    )
  }
  {
    const [a, b] = handshakeDevp2p()
    const msg = new Uint8Array(payload.length + 1)
    msg[0] = 0x10
    msg.set(payload, 1)
    const { n, ms } = timeIt(() => {
      const header = a.createBlockHeader(msg.length)
      const body = a.createBody(msg)
      const size = b.parseHeader(header)
      const out = b.parseBody(body)
      if (size !== msg.length || out.length !== msg.length)
        throw new Error('devp2p frame did not round-trip')
    }, minMs)
    results.devp2p = rate('frame enc+dec 1 MiB: @ethereumjs/devp2p (ECIES)', n, ms, 'MB/s')
  }
  const mine = results[`ethwire (${fast.name})`]!
  console.log(`speed-up over devp2p (frames): ${(mine / results.devp2p!).toFixed(1)}x`)
  console.log(
    `@ethwire/keccak over hash-wasm (frames): ${(mine / results[`ethwire (${hashWasmBackend(fast).name})`]!).toFixed(2)}x`,
  )

  // --- handshakes ---
  const hsMs = Math.max(1000, minMs / 2)
  const h1 = timeIt(() => handshakeOurs(), hsMs)
  const hOurs = rate('handshakes (auth+ack+secrets, both sides): ethwire', h1.n, h1.ms, '/s')
  const h2 = timeIt(() => handshakeDevp2p(), hsMs)
  const hJs = rate('handshakes (auth+ack+secrets, both sides): devp2p', h2.n, h2.ms, '/s')
  console.log(`speed-up over devp2p (handshakes): ${(hOurs / hJs).toFixed(1)}x`)

  // --- end to end, for context: eth messages over 127.0.0.1 TCP, snappy on ---
  for (const [label, data] of [
    ['incompressible', payload],
    ['compressible', new Uint8Array(MiB).map((_, i) => (i >> 6) & 0xff)],
  ] as const) {
    const a = createRlpxTransport({
      nodeKey: randomSecretKey(systemRandom),
      listen: { host: '127.0.0.1', port: 0 },
    })
    let inbound: Awaited<ReturnType<typeof a.dial>> | undefined
    const b = createRlpxTransport({
      nodeKey: randomSecretKey(systemRandom),
      listen: { host: '127.0.0.1', port: 0 },
      onConnection: (c) => {
        inbound = c
      },
    })
    await b.listen()
    const conn = await a.dial(b.enode)
    while (!inbound) await new Promise((r) => setTimeout(r, 1))
    const rx = inbound
    const count = 64
    const t0 = performance.now()
    const reading = (async () => {
      for (let i = 0; i < count; i++) await rx.readMsg()
    })()
    for (let i = 0; i < count; i++) await conn.writeMsg(0x06, data)
    await reading
    rate(`TCP end to end, 1 MiB ${label} eth messages`, count, performance.now() - t0, 'MB/s')
    await a.stop()
    await b.stop()
  }
}

await main()
