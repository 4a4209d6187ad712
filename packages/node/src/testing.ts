/**
 * Test helpers for @ethwire/node — and the contract for spawning the CLI from the repository
 * without a build: `node packages/node/bin/ethwire.mjs <args>` (the bin runs src/cli.ts through
 * tsx with the `@ethwire/source` condition when it sits in a checkout; `dist/cli.js` otherwise).
 */
import { type ChildProcess, type SpawnOptions, spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

/** Absolute path of bin/ethwire.mjs. */
export const cliBinPath = fileURLToPath(new URL('../bin/ethwire.mjs', import.meta.url))

/** `[command, ...args]` to spawn the CLI with `args` (e.g. `spawn(cmd, rest)`). */
export function cliCommand(args: readonly string[]): [string, ...string[]] {
  return [process.execPath, cliBinPath, ...args]
}

/** Spawns the CLI as a child process (stdio piped by default). */
export function spawnCli(args: readonly string[], options: SpawnOptions = {}): ChildProcess {
  const [cmd, ...rest] = cliCommand(args)
  return spawn(cmd, rest, { stdio: ['ignore', 'pipe', 'pipe'], ...options })
}

/** Runs the CLI to its end; resolves with exit code and output (bounded by `timeoutMs`). */
export function runCli(
  args: readonly string[],
  options: { timeoutMs?: number; env?: NodeJS.ProcessEnv; cwd?: string } = {},
): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawnCli(args, { env: options.env, cwd: options.cwd })
    const out: Buffer[] = []
    const err: Buffer[] = []
    child.stdout?.on('data', (d: Buffer) => out.push(d))
    child.stderr?.on('data', (d: Buffer) => err.push(d))
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(
        new Error(`ethwire ${args.join(' ')} timed out; stderr:\n${Buffer.concat(err).toString()}`),
      )
    }, options.timeoutMs ?? 60_000)
    child.on('error', (e) => {
      clearTimeout(timer)
      reject(e)
    })
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      resolve({
        code,
        signal,
        stdout: Buffer.concat(out).toString(),
        stderr: Buffer.concat(err).toString(),
      })
    })
  })
}

/** One JSON-RPC call over HTTP (bounded). */
export async function rpcCall<T = unknown>(
  url: string,
  method: string,
  params: unknown[] = [],
  timeoutMs = 5_000,
): Promise<T> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
    signal: AbortSignal.timeout(timeoutMs),
  })
  const body = (await res.json()) as { result?: T; error?: { code: number; message: string } }
  if (body.error) throw Object.assign(new Error(body.error.message), { rpcCode: body.error.code })
  return body.result as T
}
