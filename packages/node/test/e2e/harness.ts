/**
 * Process-level harness for the ethwire CLI: spawn nodes from source, talk JSON-RPC to them, wait
 * with bounded timeouts, stop them (SIGINT, then SIGKILL), keep their logs when something fails,
 * and build signed transactions. Shared by the e2e tests and the network benches.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { randomPrivateKey, sign } from '@ethwire/crypto'
import { bytesToHex, Transaction, type TxData } from '@ethwire/rlp-wire'

export const repoRoot = resolve(import.meta.dirname, '../../../..')
export const cliPath = join(repoRoot, 'packages/node/src/cli.ts')

/** argv (after the node binary) that runs the CLI from TypeScript sources. */
export function cliArgv(args: readonly string[], entry = cliPath): string[] {
  return ['--conditions=@ethwire/source', '--import', 'tsx', entry, ...args]
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

/** A TCP port that was free a moment ago on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer()
    srv.unref()
    srv.once('error', rej)
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address()
      const port = typeof addr === 'object' && addr ? addr.port : 0
      srv.close(() => res(port))
    })
  })
}

/**
 * Every wait in these tests is bounded, but process start-up (tsx, libp2p) slows down a lot when
 * the whole suite shares two cores: waits and test timeouts are multiplied by `E2E_TIME_SCALE`
 * (default 2). Assertions about latency (e.g. announcement lag) are not scaled.
 */
export const timeScale = Math.max(1, Number(process.env.E2E_TIME_SCALE ?? 2) || 2)

/** Polls `fn` until it returns a truthy value; throws after `timeoutMs` with the last value or error. */
export async function waitFor<T>(
  what: string,
  fn: () => T | Promise<T>,
  opts: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<NonNullable<T>> {
  const timeoutMs = (opts.timeoutMs ?? 20_000) * timeScale
  const intervalMs = opts.intervalMs ?? 100
  const deadline = Date.now() + timeoutMs
  let last: unknown
  for (;;) {
    try {
      const v = await fn()
      if (v) return v as NonNullable<T>
      last = v
    } catch (err) {
      last = err
    }
    if (Date.now() >= deadline) {
      const detail = last instanceof Error ? last.message : JSON.stringify(last, bigintJson)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${detail})`)
    }
    await sleep(intervalMs)
  }
}

const bigintJson = (_k: string, v: unknown) => (typeof v === 'bigint' ? `0x${v.toString(16)}` : v)

export class RpcCallError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message)
  }
}

/** A minimal JSON-RPC 2.0 client over HTTP with bounded requests. */
export class RpcClient {
  #id = 0
  constructor(readonly url: string) {}

  async call<T = unknown>(method: string, params: unknown[] = [], timeoutMs = 5_000): Promise<T> {
    const res = await fetch(this.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: ++this.#id, method, params }, bigintJson),
      signal: AbortSignal.timeout(timeoutMs),
    })
    const body = (await res.json()) as { result?: T; error?: { code: number; message: string } }
    if (body.error) throw new RpcCallError(body.error.code, `${method}: ${body.error.message}`)
    return body.result as T
  }

  /** One HTTP batch; returns results or errors in order (no throw on per-item errors). */
  async batch(calls: { method: string; params?: unknown[] }[], timeoutMs = 15_000) {
    const first = this.#id + 1
    const body = calls.map((c) => ({
      jsonrpc: '2.0',
      id: ++this.#id,
      method: c.method,
      params: c.params ?? [],
    }))
    const res = await fetch(this.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body, bigintJson),
      signal: AbortSignal.timeout(timeoutMs),
    })
    const out = (await res.json()) as {
      id: number
      result?: unknown
      error?: { code: number; message: string }
    }[]
    if (!Array.isArray(out)) throw new Error(`batch: ${JSON.stringify(out)}`)
    const byId = new Map(out.map((o) => [o.id, o]))
    return calls.map((_, i) => {
      const o = byId.get(first + i)
      return o?.error ? { error: o.error } : { result: o?.result }
    })
  }

  async blockNumber(): Promise<number> {
    return Number(BigInt(await this.call<string>('eth_blockNumber')))
  }

  async peerCount(): Promise<number> {
    return Number(BigInt(await this.call<string>('net_peerCount')))
  }

  async block(
    tag: number | 'latest' = 'latest',
  ): Promise<{ number: string; hash: string; parentHash: string } | null> {
    const t = typeof tag === 'number' ? `0x${tag.toString(16)}` : tag
    return this.call('eth_getBlockByNumber', [t, false])
  }

  async head(): Promise<{ number: number; hash: string }> {
    const b = await this.block('latest')
    if (!b) throw new Error('no latest block')
    return { number: Number(BigInt(b.number)), hash: b.hash }
  }

  async txpoolStatus(): Promise<{ pending: number; queued: number }> {
    const s = await this.call<{ pending: string; queued: string }>('txpool_status')
    return { pending: Number(BigInt(s.pending)), queued: Number(BigInt(s.queued)) }
  }
}

export interface NodeInfo {
  enode?: string
  listenAddrs?: string[]
  id?: string
  [k: string]: unknown
}

export interface PeerInfo {
  id?: string
  enode?: string
  name?: string
  network?: { remoteAddress?: string; inbound?: boolean; transport?: string; [k: string]: unknown }
  [k: string]: unknown
}

const logTailBytes = 6_000

/** Every child this process spawned and has not seen exit: killed if this process exits first. */
const liveChildren = new Set<ChildProcess>()
let exitHookInstalled = false
function track(child: ChildProcess): void {
  liveChildren.add(child)
  child.once('exit', () => liveChildren.delete(child))
  if (!exitHookInstalled) {
    exitHookInstalled = true
    process.once('exit', () => {
      for (const c of liveChildren) c.kill('SIGKILL')
    })
  }
}

/** One running `ethwire` process. */
export class EthwireProcess {
  readonly rpc: RpcClient
  readonly exited: Promise<number | null>
  exitCode: number | null | undefined = undefined
  #chunks: Buffer[] = []

  constructor(
    readonly name: string,
    readonly datadir: string,
    readonly httpPort: number,
    readonly child: ChildProcess,
    readonly logFile: string,
  ) {
    this.rpc = new RpcClient(`http://127.0.0.1:${httpPort}`)
    child.stdout?.on('data', (d: Buffer) => this.#chunks.push(d))
    child.stderr?.on('data', (d: Buffer) => this.#chunks.push(d))
    this.exited = new Promise((res) => {
      child.once('exit', (code, signal) => {
        this.exitCode = code ?? (signal ? -1 : null)
        this.flushLog()
        res(code)
      })
    })
  }

  get pid(): number {
    return this.child.pid ?? -1
  }

  get running(): boolean {
    return this.exitCode === undefined
  }

  log(): string {
    return Buffer.concat(this.#chunks).toString('utf8')
  }

  logTail(bytes = logTailBytes): string {
    const l = this.log()
    return l.length > bytes ? `…${l.slice(-bytes)}` : l
  }

  flushLog(): void {
    try {
      writeFileSync(this.logFile, Buffer.concat(this.#chunks))
    } catch {}
  }

  async nodeInfo(): Promise<NodeInfo> {
    return this.rpc.call<NodeInfo>('admin_nodeInfo')
  }

  async peers(): Promise<PeerInfo[]> {
    return this.rpc.call<PeerInfo[]>('admin_peers')
  }

  /** A loopback libp2p multiaddr to dial this node. */
  async multiaddr(): Promise<string> {
    const info = await this.nodeInfo()
    const addrs = info.listenAddrs ?? []
    const a =
      addrs.find((x) => x.includes('/ip4/127.0.0.1/')) ?? addrs.find((x) => x.startsWith('/ip4/'))
    if (!a)
      throw new Error(
        `${this.name}: no libp2p listen address in admin_nodeInfo: ${JSON.stringify(info)}`,
      )
    return a
  }

  async enode(): Promise<string> {
    const info = await this.nodeInfo()
    if (!info.enode) throw new Error(`${this.name}: no enode in admin_nodeInfo (rlpx off?)`)
    return info.enode
  }

  /** Peak resident set size in bytes (Linux /proc VmHWM), or undefined elsewhere. */
  peakRssBytes(): number | undefined {
    try {
      const status = readFileSync(`/proc/${this.pid}/status`, 'utf8')
      const m = /VmHWM:\s+(\d+) kB/.exec(status)
      return m ? Number(m[1]) * 1024 : undefined
    } catch {
      return undefined
    }
  }

  /** SIGINT, then SIGKILL after `graceMs`. Resolves with the exit code. */
  async stop(graceMs = 10_000): Promise<number | null> {
    if (!this.running) return this.exitCode ?? null
    this.child.kill('SIGINT')
    const timer = setTimeout(() => {
      if (this.running) this.child.kill('SIGKILL')
    }, graceMs)
    try {
      return await this.exited
    } finally {
      clearTimeout(timer)
    }
  }
}

export interface StartOptions {
  /** Extra CLI flags (besides --datadir, --http, --http.port, --http.addr, which the harness sets). */
  args?: string[]
  /** libp2p port; default 0 (any). */
  port?: number
  /** Bounded wait for JSON-RPC to answer. */
  startTimeoutMs?: number
  env?: NodeJS.ProcessEnv
  /** Flags for node itself, before the script (say `--cpu-prof`, which NODE_OPTIONS refuses). */
  nodeArgs?: string[]
}

/**
 * A set of ethwire processes under one temporary directory. `stopAll()` ends every child; the
 * directory (datadirs and logs) is removed unless `fail()` was called, in which case the paths
 * and log tails are printed.
 */
export class Cluster {
  readonly nodes: EthwireProcess[] = []
  #root: string | undefined
  #failed = false
  #oneShots = new Set<ChildProcess>()

  /**
   * `entry`: the script `start()` runs instead of the CLI (same flags). The directory is made on
   * first use, so a Cluster of a skipped suite leaves nothing behind.
   */
  constructor(
    readonly label: string,
    readonly opts: { root?: string; entry?: string } = {},
  ) {}

  get root(): string {
    if (this.#root === undefined) {
      if (this.opts.root) mkdirSync(this.opts.root, { recursive: true })
      this.#root = this.opts.root ?? mkdtempSync(join(tmpdir(), `ethwire-${this.label}-`))
    }
    return this.#root
  }

  dir(name: string): string {
    return join(this.root, name)
  }

  fail(): void {
    this.#failed = true
  }

  /** Runs a one-shot CLI command to completion (bounded); returns stdout. Throws with output on a non-zero exit. */
  async exec(
    args: readonly string[],
    timeoutMs = 60_000,
  ): Promise<{ stdout: string; stderr: string; ms: number }> {
    const t0 = performance.now()
    const child = spawn(process.execPath, cliArgv(args), {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    this.#oneShots.add(child)
    track(child)
    const out: Buffer[] = []
    const err: Buffer[] = []
    child.stdout.on('data', (d: Buffer) => out.push(d))
    child.stderr.on('data', (d: Buffer) => err.push(d))
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    const code = await new Promise<number | null>((res) => child.once('exit', (c) => res(c)))
    clearTimeout(timer)
    this.#oneShots.delete(child)
    const stdout = Buffer.concat(out).toString('utf8')
    const stderr = Buffer.concat(err).toString('utf8')
    if (code !== 0) {
      throw new Error(
        `ethwire ${args.join(' ')} exited ${code}\n--- stdout\n${stdout.slice(-4000)}\n--- stderr\n${stderr.slice(-4000)}`,
      )
    }
    return { stdout, stderr, ms: performance.now() - t0 }
  }

  /** Writes the genesis of a (stopped) datadir to a JSON file (dumpgenesis); returns the path. */
  async dumpGenesis(fromDatadir: string): Promise<string> {
    const file = join(this.root, `genesis-${Math.random().toString(36).slice(2, 8)}.json`)
    const { stdout } = await this.exec(['dumpgenesis', '--datadir', fromDatadir])
    writeFileSync(file, extractJson(stdout))
    return file
  }

  /** Initialises fresh datadirs (in parallel) from a genesis file. */
  async init(genesisFile: string, ...datadirs: string[]): Promise<void> {
    await Promise.all(datadirs.map((d) => this.exec(['init', genesisFile, '--datadir', d])))
  }

  /** Creates a --dev datadir with `blocks` sealed empty blocks (devchain) and returns its genesis file. */
  async devchain(name: string, blocks: number, timeoutMs = 120_000): Promise<string> {
    await this.exec(['devchain', String(blocks), '--datadir', this.dir(name)], timeoutMs)
    return this.dumpGenesis(this.dir(name))
  }

  /** Spawns a node with JSON-RPC on a free loopback port and waits until it answers. */
  async start(name: string, opts: StartOptions = {}): Promise<EthwireProcess> {
    const datadir = this.dir(name)
    const httpPort = await freePort()
    const args = [
      '--datadir',
      datadir,
      '--http',
      '--http.addr',
      '127.0.0.1',
      '--http.port',
      String(httpPort),
      '--port',
      String(opts.port ?? 0),
      ...(opts.args ?? []),
    ]
    const child = spawn(
      process.execPath,
      [...(opts.nodeArgs ?? []), ...cliArgv(args, this.opts.entry)],
      {
        cwd: repoRoot,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, ...opts.env },
      },
    )
    track(child)
    const node = new EthwireProcess(name, datadir, httpPort, child, join(this.root, `${name}.log`))
    this.nodes.push(node)
    const timeoutMs = (opts.startTimeoutMs ?? 30_000) * timeScale
    try {
      await waitFor(
        `${name} JSON-RPC`,
        async () => {
          if (!node.running) throw new Error(`exited with ${node.exitCode}`)
          return (await node.rpc.call('web3_clientVersion', [], 1_000)) as string
        },
        { timeoutMs, intervalMs: 150 },
      )
    } catch (err) {
      this.fail()
      throw new Error(
        `${name} did not start: ${(err as Error).message}\n--- log tail\n${node.logTail()}`,
      )
    }
    return node
  }

  /** Stops every node (in parallel) and cleans up, or keeps the directory after a failure. */
  async stopAll(): Promise<void> {
    for (const c of this.#oneShots) c.kill('SIGKILL')
    await Promise.all(this.nodes.map((n) => n.stop()))
    if (this.#failed) {
      const tails = this.nodes.map(
        (n) => `--- ${n.name} (exit ${n.exitCode}) ${n.logFile}\n${n.logTail(3_000)}`,
      )
      process.stderr.write(`[e2e] kept ${this.root} after a failure\n${tails.join('\n')}\n`)
    } else if (this.#root !== undefined) {
      rmSync(this.#root, { recursive: true, force: true })
    }
  }
}

/** The first JSON object in a command's stdout (log lines may precede it). */
export function extractJson(stdout: string): string {
  const start = stdout.indexOf('{')
  const end = stdout.lastIndexOf('}')
  if (start === -1 || end < start) throw new Error(`no JSON in output: ${stdout.slice(0, 400)}`)
  const text = stdout.slice(start, end + 1)
  JSON.parse(text)
  return text
}

// ---------------------------------------------------------------------------------------------
// Transactions

export interface SignedTx {
  raw: string
  hash: string
  size: number
}

/** Signs an EIP-1559 transfer. */
export function signTransfer(
  key: Uint8Array,
  fields: { chainId: bigint; nonce: bigint; to?: Uint8Array; value?: bigint; data?: Uint8Array },
): Transaction {
  return signDynamicFee(key, {
    chainId: fields.chainId,
    nonce: fields.nonce,
    gasLimit: 21_000n + 16n * BigInt(fields.data?.length ?? 0),
    to: fields.to ?? new Uint8Array(20).fill(0x11),
    value: fields.value ?? 1n,
    data: fields.data,
  })
}

/**
 * A signed EIP-1559 transaction with the tests' fees (tip 1 gwei, cap 100 gwei): `to: null`
 * creates a contract; value 0 and empty data unless given.
 */
export function signDynamicFee(
  key: Uint8Array,
  f: {
    chainId: bigint
    nonce: bigint
    gasLimit: bigint
    to: Uint8Array | null
    value?: bigint
    data?: Uint8Array
  },
): Transaction {
  const data: TxData = {
    type: 2,
    chainId: f.chainId,
    nonce: f.nonce,
    maxPriorityFeePerGas: 1_000_000_000n,
    maxFeePerGas: 100_000_000_000n,
    gasLimit: f.gasLimit,
    to: f.to,
    value: f.value ?? 0n,
    data: f.data ?? new Uint8Array(0),
    accessList: [],
    v: 0n,
    r: 0n,
    s: 0n,
  }
  const sig = sign(Transaction.fromData(data).sigHash(), key)
  return Transaction.fromData({ ...data, v: BigInt(sig.recovery), r: sig.r, s: sig.s })
}

/**
 * `count` signed transfers from `senders` accounts (fresh random ones, or the `keys` given), nonces
 * 0.. per sender, ordered round-robin so each sender's nonces arrive in order. The pool checks
 * them against the head state: the senders need funds (`fundAccounts`) and nonces from 0.
 */
export function makeTransfers(
  count: number,
  opts: { chainId: bigint; senders: number; keys?: readonly Uint8Array[] },
): SignedTx[] {
  const keys = opts.keys ?? Array.from({ length: opts.senders }, () => randomPrivateKey())
  const out: SignedTx[] = []
  for (let i = 0; i < count; i++) {
    const s = i % opts.senders
    const nonce = BigInt(Math.floor(i / opts.senders))
    const tx = signTransfer(keys[s]!, { chainId: opts.chainId, nonce })
    const raw = tx.encode()
    out.push({ raw: bytesToHex(raw), hash: bytesToHex(tx.hash), size: raw.length })
  }
  return out
}

/** Sends raw transactions in JSON-RPC batches; returns the error messages (empty when all were accepted). */
export async function sendRawTransactions(
  rpc: RpcClient,
  txs: readonly SignedTx[],
  batchSize = 100,
  batchTimeoutMs = 60_000,
): Promise<string[]> {
  const errors: string[] = []
  for (let i = 0; i < txs.length; i += batchSize) {
    const chunk = txs.slice(i, i + batchSize)
    try {
      const res = await rpc.batch(
        chunk.map((t) => ({ method: 'eth_sendRawTransaction', params: [t.raw] })),
        batchTimeoutMs,
      )
      for (const r of res) if ('error' in r && r.error) errors.push(r.error.message)
    } catch (err) {
      for (const _ of chunk) errors.push(`batch at ${i}: ${(err as Error).message}`)
    }
  }
  return errors
}

/** The `--dev` signer key of a datadir (funded by the dev genesis). */
export function devKeyOf(datadir: string): Uint8Array {
  const hex = readFileSync(join(datadir, 'dev-signer-key'), 'utf8').trim()
  return Uint8Array.from(Buffer.from(hex, 'hex'))
}

/**
 * Sends `value` wei from `from` (nonces `firstNonce`..) to each address in one JSON-RPC batch;
 * returns the transaction hashes. Throws on any rejection.
 */
export async function fundAccounts(
  rpc: RpcClient,
  from: Uint8Array,
  to: readonly Uint8Array[],
  opts: { chainId: bigint; value: bigint; firstNonce?: bigint },
): Promise<string[]> {
  const txs = to.map((addr, i) => {
    const tx = signTransfer(from, {
      chainId: opts.chainId,
      nonce: (opts.firstNonce ?? 0n) + BigInt(i),
      to: addr,
      value: opts.value,
    })
    return { raw: bytesToHex(tx.encode()), hash: bytesToHex(tx.hash), size: 0 }
  })
  const errors = await sendRawTransactions(rpc, txs)
  if (errors.length) throw new Error(`funding failed: ${errors.slice(0, 3).join('; ')}`)
  return txs.map((t) => t.hash)
}

/** Chain id of a node's genesis config (dumpgenesis JSON), default 1337. */
export function chainIdOf(genesisJson: string): bigint {
  const g = JSON.parse(genesisJson) as { config?: { chainId?: number | string } }
  const c = g.config?.chainId
  return c === undefined ? 1337n : BigInt(c)
}
