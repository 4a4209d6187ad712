/**
 * Test helpers: a real ethwire dev node on loopback (RLPx and libp2p on 127.0.0.1, any port),
 * the examples run as child processes (the way a user runs them), signed transactions.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createNode, devchainCommand, type EthwireNode, silentLogger } from '@ethwire/node'
import { rpcCall } from '@ethwire/node/testing'
import { bytesToHex, hexToBytes, type Transaction } from '@ethwire/rlp-wire'

export { signTransfer } from '../lib/transfer.js'

const examplesDir = join(import.meta.dirname, '..')

export interface DevNode {
  node: EthwireNode
  datadir: string
  /** The dev signer key: the account the dev genesis funds. */
  key: Uint8Array
  stop(): Promise<void>
}

/**
 * A `--dev` node with RLPx and libp2p listening on 127.0.0.1 (port 0) and JSON-RPC. `blocks`
 * empty blocks are sealed into its datadir first (`ethwire devchain`); its own sealer is set to
 * an hour, so blocks come only from `node.sealBlock()`.
 */
export async function startDevNode(
  opts: { blocks?: number; ethVersions?: number[] } = {},
): Promise<DevNode> {
  const root = mkdtempSync(join(tmpdir(), 'ethwire-examples-'))
  const datadir = join(root, 'node')
  const ctx = { datadir, fakePow: false, log: silentLogger, out: () => {} }
  await devchainCommand(ctx, opts.blocks ?? 0)
  const node = createNode({
    datadir,
    dev: { periodSeconds: 3600 },
    http: { host: '127.0.0.1', port: 0 },
    port: 0,
    rlpxPort: 0,
    logger: silentLogger,
    logIntervalMs: 0,
    ...(opts.ethVersions ? { ethVersions: opts.ethVersions } : {}),
  })
  await node.start()
  const key = hexToBytes(`0x${readFileSync(join(datadir, 'dev-signer-key'), 'utf8').trim()}`)
  return {
    node,
    datadir,
    key,
    async stop() {
      await node.stop()
      rmSync(root, { recursive: true, force: true })
    },
  }
}

/** eth_sendRawTransaction; resolves with the hash the node reports. */
export async function sendTransaction(node: EthwireNode, tx: Transaction): Promise<string> {
  return rpcCall<string>(node.rpcUrl as string, 'eth_sendRawTransaction', [bytesToHex(tx.encode())])
}

export interface Example {
  readonly child: ChildProcess
  /** stdout lines so far. */
  readonly lines: string[]
  /** stderr so far (connection events and errors). */
  stderr(): string
  /** The first stdout line (already printed or to come) matching `re`; bounded. */
  waitForLine(re: RegExp, timeoutMs?: number): Promise<RegExpExecArray>
  /** stderr text (already printed or to come) matching `re`; bounded. */
  waitForStderr(re: RegExp, timeoutMs?: number): Promise<RegExpExecArray>
  /** SIGINT, then the exit code (SIGKILL and a rejection if it does not exit in time). */
  stop(timeoutMs?: number): Promise<number | null>
}

/**
 * Runs `examples/<file>` as `node --conditions=@ethwire/source --import tsx <file> <args>`
 * (from the sources, no build needed).
 */
export function runExample(file: string, args: string[]): Example {
  const child = spawn(
    process.execPath,
    ['--conditions=@ethwire/source', '--import', 'tsx', file, ...args],
    { cwd: examplesDir, stdio: ['ignore', 'pipe', 'pipe'] },
  )
  const lines: string[] = []
  let partial = ''
  let err = ''
  const waiters = new Set<() => void>()
  const wake = () => {
    for (const w of [...waiters]) w()
  }
  child.stdout!.on('data', (d: Buffer) => {
    const parts = (partial + d.toString()).split('\n')
    partial = parts.pop()!
    lines.push(...parts)
    wake()
  })
  child.stderr!.on('data', (d: Buffer) => {
    err += d.toString()
    wake()
  })
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve))
  child.once('exit', wake)

  const waitFor = (what: string, find: () => RegExpExecArray | undefined, timeoutMs: number) =>
    new Promise<RegExpExecArray>((resolve, reject) => {
      const check = () => {
        const m = find()
        if (m) return done(() => resolve(m))
        if (child.exitCode !== null || child.signalCode !== null)
          return done(() => reject(new Error(`${file} exited before ${what}\n${report()}`)))
      }
      const timer = setTimeout(
        () => done(() => reject(new Error(`timed out waiting for ${what}\n${report()}`))),
        timeoutMs,
      )
      const done = (f: () => void) => {
        clearTimeout(timer)
        waiters.delete(check)
        f()
      }
      waiters.add(check)
      check()
    })
  const report = () => `--- stdout:\n${lines.join('\n')}\n--- stderr:\n${err}`

  return {
    child,
    lines,
    stderr: () => err,
    waitForLine: (re, timeoutMs = 60_000) =>
      waitFor(
        `a line matching ${re}`,
        () => {
          for (const l of lines) {
            const m = re.exec(l)
            if (m) return m
          }
          return undefined
        },
        timeoutMs,
      ),
    waitForStderr: (re, timeoutMs = 60_000) =>
      waitFor(`stderr matching ${re}`, () => re.exec(err) ?? undefined, timeoutMs),
    async stop(timeoutMs = 20_000) {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode
      child.kill('SIGINT')
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
      const code = await exited
      clearTimeout(timer)
      if (child.signalCode === 'SIGKILL') throw new Error(`${file} did not exit\n${report()}`)
      return code
    },
  }
}
