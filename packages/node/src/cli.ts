/**
 * The `ethwire` command line (entry of bin/ethwire.mjs). Exit codes: 0 ok, 1 error, 2 usage error,
 * 130 forced exit on a second signal.
 */

import { limitHeapGrowth } from '@ethwire/executor'
import { errorCode } from '@ethwire/interface/runtime'
import { accountCommand } from './accounts/command.js'
import { isAccountsError } from './accounts/errors.js'
import { nodeConfigFromFlags, parseArgs, USAGE, UsageError } from './args.js'
import {
  type CommandContext,
  devchainCommand,
  dumpGenesisCommand,
  exportCommand,
  importCommand,
  initCommand,
} from './commands.js'
import { clientName, stopTimeoutMs } from './constants.js'
import { errorMessage, isNodeError } from './errors.js'
import { createLogger } from './log.js'
import { createNode } from './node.js'
import { clientVersion } from './version.js'

function parseBlockArg(v: string | undefined, name: string): bigint | undefined {
  if (v === undefined) return undefined
  if (!/^\d+$/.test(v)) throw new UsageError(`${name}: not a block number: ${v}`)
  return BigInt(v)
}

/** Installs SIGINT/SIGTERM: the first runs `onStop`, a second forces the exit. */
function onSignals(onStop: (signal: string) => void): () => void {
  let count = 0
  const handler = (signal: NodeJS.Signals) => {
    count++
    if (count === 1) onStop(signal)
    else {
      process.stderr.write(`Got ${signal} again, forcing exit\n`)
      process.exit(130)
    }
  }
  process.on('SIGINT', handler)
  process.on('SIGTERM', handler)
  return () => {
    process.off('SIGINT', handler)
    process.off('SIGTERM', handler)
  }
}

export async function main(argv: readonly string[]): Promise<number> {
  // block execution allocates fast and keeps little: bound V8's old-space growth (see
  // @ethwire/executor's limitHeapGrowth; about 490 MB instead of 760 MB peak RSS on the exec bench)
  limitHeapGrowth()
  let parsed: ReturnType<typeof parseArgs>
  try {
    parsed = parseArgs(argv)
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`${e.message}\n\n${USAGE}`)
      return 2
    }
    throw e
  }
  const { command, positional, flags } = parsed
  const log = createLogger(flags.verbosity)
  if (command === 'help') {
    process.stdout.write(USAGE)
    return 0
  }
  if (command === 'version') {
    process.stdout.write(`${clientName} ${clientVersion} (node ${process.versions.node})\n`)
    return 0
  }
  const abort = new AbortController()
  const ctx: CommandContext = {
    datadir: flags.datadir,
    fakePow: flags.fakepow,
    log,
    out: (t) => process.stdout.write(t),
    signal: abort.signal,
    importBatchBlocks: flags['import.batch'],
  }
  const expectArgs = (min: number, max: number, usage: string) => {
    if (positional.length < min || positional.length > max)
      throw new UsageError(`usage: ethwire ${usage}`)
  }
  try {
    switch (command) {
      case 'init':
        expectArgs(1, 1, 'init <genesis.json>')
        await initCommand(ctx, positional[0] as string)
        return 0
      case 'import': {
        expectArgs(1, 1, 'import <chain.rlp>')
        const off = onSignals(() => abort.abort())
        try {
          await importCommand(ctx, positional[0] as string)
        } finally {
          off()
        }
        return abort.signal.aborted ? 1 : 0
      }
      case 'export':
        expectArgs(1, 3, 'export <file> [first] [last]')
        await exportCommand(
          ctx,
          positional[0] as string,
          parseBlockArg(positional[1], 'first'),
          parseBlockArg(positional[2], 'last'),
        )
        return 0
      case 'dumpgenesis':
        expectArgs(0, 0, 'dumpgenesis')
        await dumpGenesisCommand(ctx)
        return 0
      case 'devchain': {
        expectArgs(1, 1, 'devchain <n>')
        const n = parseBlockArg(positional[0], 'n')
        if (n === undefined || n > 10_000_000n)
          throw new UsageError('devchain: n must be 0..10000000')
        const off = onSignals(() => abort.abort())
        try {
          await devchainCommand(ctx, Number(n))
        } finally {
          off()
        }
        return 0
      }
      case 'account':
        process.stdout.write(
          await accountCommand(
            {
              datadir: flags.datadir,
              keystore: flags.keystore,
              lightkdf: flags.lightkdf,
              password: flags.password,
            },
            positional,
          ),
        )
        return 0
      case undefined:
        break
    }
    if (positional.length) throw new UsageError(`unexpected argument: ${positional[0]}`)
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`${e.message}\n`)
      return 2
    }
    log.error(describeError(e))
    return 1
  }

  // run a node
  const node = createNode({ ...nodeConfigFromFlags(flags), logger: log })
  let stopRequested: ((signal: string) => void) | undefined
  const stopped = new Promise<string>((resolve) => {
    stopRequested = resolve
  })
  const off = onSignals((signal) => stopRequested?.(signal))
  // a stray rejection somewhere below (a peer's connection failing in a library callback) is
  // logged, not fatal: the node goes on
  process.on('unhandledRejection', (reason) => log.error('Unhandled rejection', { err: reason }))
  try {
    log.info(`Starting ${clientName}`, {
      version: clientVersion,
      datadir: flags.datadir,
      dev: flags.dev,
    })
    await node.start()
  } catch (e) {
    off()
    log.error(`Fatal: ${describeError(e)}`)
    return 1
  }
  const signal = await stopped
  log.info('Got interrupt, shutting down...', { signal })
  const force = setTimeout(() => {
    log.error('Shutdown took too long, forcing exit')
    process.exit(1)
  }, stopTimeoutMs)
  force.unref()
  await node.stop()
  clearTimeout(force)
  off()
  return 0
}

function describeError(e: unknown): string {
  if (isNodeError(e) || isAccountsError(e)) return e.message
  const code = errorCode(e)
  return code ? `${errorMessage(e)} (${code})` : errorMessage(e)
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code
    // the node leaves no handles; a short grace then exit in case a library left one
    setTimeout(() => process.exit(code), 500).unref()
  },
  (e) => {
    process.stderr.write(`Fatal: ${e instanceof Error ? e.stack : String(e)}\n`)
    process.exit(1)
  },
)
