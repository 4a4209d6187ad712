/** A small go-ethereum style logger: `INFO [12-01|21:00:00.123] message   key=value`. */

export type LogLevel = 'error' | 'warn' | 'info' | 'debug' | 'trace'
export type LogContext = Record<string, unknown>

export interface Logger {
  error(message: string, context?: LogContext): void
  warn(message: string, context?: LogContext): void
  info(message: string, context?: LogContext): void
  debug(message: string, context?: LogContext): void
  trace(message: string, context?: LogContext): void
}

const LEVELS: Record<LogLevel, number> = { error: 1, warn: 2, info: 3, debug: 4, trace: 5 }
const TAGS: Record<LogLevel, string> = {
  error: 'ERROR',
  warn: 'WARN ',
  info: 'INFO ',
  debug: 'DEBUG',
  trace: 'TRACE',
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0')

function formatValue(v: unknown): string {
  if (typeof v === 'bigint') return v.toString()
  if (v instanceof Uint8Array) return `0x${Buffer.from(v).toString('hex')}`
  if (v instanceof Error) return JSON.stringify(v.message)
  if (typeof v === 'string') return /[\s"=]/.test(v) || v === '' ? JSON.stringify(v) : v
  try {
    return JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x))
  } catch {
    return String(v)
  }
}

export function formatLine(
  level: LogLevel,
  message: string,
  context: LogContext | undefined,
  now: Date,
): string {
  const ts = `${pad(now.getUTCMonth() + 1)}-${pad(now.getUTCDate())}|${pad(now.getUTCHours())}:${pad(now.getUTCMinutes())}:${pad(now.getUTCSeconds())}.${pad(now.getUTCMilliseconds(), 3)}`
  let line = `${TAGS[level]} [${ts}] ${message}`
  if (context) {
    // A key whose value is undefined is left out (a peer removed without an error has no `err`).
    const kv = Object.entries(context)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${k}=${formatValue(v)}`)
      .join(' ')
    if (kv) line = `${line.padEnd(48)} ${kv}`
  }
  return line
}

/** A logger writing lines at or below `verbosity` (0 silent … 5 trace) to `write` (default stderr). */
export function createLogger(
  verbosity: number,
  write: (line: string) => void = (l) => process.stderr.write(`${l}\n`),
  now: () => Date = () => new Date(),
): Logger {
  const make = (level: LogLevel) =>
    LEVELS[level] <= verbosity
      ? (message: string, context?: LogContext) => write(formatLine(level, message, context, now()))
      : () => {}
  return {
    error: make('error'),
    warn: make('warn'),
    info: make('info'),
    debug: make('debug'),
    trace: make('trace'),
  }
}

export const silentLogger: Logger = { error() {}, warn() {}, info() {}, debug() {}, trace() {} }
