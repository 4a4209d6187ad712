import { readFileSync } from 'node:fs'
import { expect, it } from 'vitest'
import * as lib from '../src/index.js'

it('the README example runs and prints what it says', () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')
  const code = /```ts example\n([\s\S]*?)```/.exec(readme)![1]!
  const body = code
    .replace(/import \{([^}]*)\} from '@ethwire\/keccak'/, 'const {$1} = lib')
    .replace(/\(b: Uint8Array\)/g, '(b)')
  const lines: unknown[][] = []
  const fakeConsole = { log: (...a: unknown[]) => lines.push(a) }
  new Function('lib', 'console', body)(lib, fakeConsole)
  expect(lines).toEqual([
    ['wasm'],
    ['4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45'],
    [2],
    [true],
    [true],
  ])
})
