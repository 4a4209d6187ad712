import { readFileSync } from 'node:fs'
import { expect, it } from 'vitest'
import * as lib from '../src/index.js'

it('the README example runs and prints what it says', () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')
  const code = /```ts(?: example)?\n([\s\S]*?)```/.exec(readme)![1]!
  const body = code.replace(/import \{([^}]*)\} from '@ethwire\/rlp-wire'/, 'const {$1} = lib')
  const lines: unknown[][] = []
  const fakeConsole = { log: (...a: unknown[]) => lines.push(a) }
  new Function('lib', 'console', body)(lib, fakeConsole)
  expect(lines[0]).toEqual([
    1111n,
    '0x00000000000000000000000000000000000000000000000000000000deadc0de',
    5n,
  ])
  expect(lines[1]).toEqual([true])
})
