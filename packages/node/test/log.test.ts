import { describe, expect, it } from 'vitest'
import { createLogger, formatLine } from '../src/log.js'

const at = new Date(Date.UTC(2026, 11, 1, 23, 5, 9, 42))

describe('log lines', () => {
  it('go-ethereum shape: level, UTC time, message padded, then key=value', () => {
    const line = formatLine(
      'info',
      'Imported new chain segment',
      { number: 12n, hash: Uint8Array.of(0xab, 0xcd) },
      at,
    )
    expect(line.startsWith('INFO  [12-01|23:05:09.042] Imported new chain segment')).toBe(true)
    expect(line.endsWith(' number=12 hash=0xabcd')).toBe(true)
  })

  it('quotes strings with spaces, gives an error its message, and leaves out undefined values', () => {
    const line = formatLine(
      'warn',
      'Peer removed',
      { id: 'a b', err: undefined, why: new Error('too many peers') },
      at,
    )
    expect(line).toContain('id="a b"')
    expect(line).toContain('why="too many peers"')
    expect(line).not.toContain('err=')
    expect(formatLine('info', 'Node stopped', { err: undefined }, at)).toBe(
      'INFO  [12-01|23:05:09.042] Node stopped',
    )
  })

  it('writes only levels at or below the verbosity', () => {
    const lines: string[] = []
    const log = createLogger(
      3,
      (l) => lines.push(l),
      () => at,
    )
    log.info('shown')
    log.debug('hidden')
    log.error('also shown')
    expect(lines.map((l) => l.split('] ')[1])).toEqual(['shown', 'also shown'])
  })
})
