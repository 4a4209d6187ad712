/** Structured fields of a log line. A key whose value is `undefined` is left out of the line. */
export type LogContext = Record<string, unknown>

/**
 * A structured logger with go-ethereum's levels. A package that only logs at some levels declares
 * what it uses with `Pick<Logger, 'debug' | 'warn'>`, so any logger with those methods fits.
 */
export interface Logger {
  error(message: string, context?: LogContext): void
  warn(message: string, context?: LogContext): void
  info(message: string, context?: LogContext): void
  debug(message: string, context?: LogContext): void
  trace(message: string, context?: LogContext): void
}
