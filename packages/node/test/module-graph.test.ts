/**
 * The module graph of src/: every relative import (type-only ones included) is an edge; the test
 * fails on any cycle and names it. It also checks the layering: nothing under src/rpc/ imports
 * the node or its parts (the methods see the Backend interface only), and the parts do not import
 * node.ts.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'

const srcDir = resolve(import.meta.dirname, '../src')

function listTs(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name)
    if (statSync(p).isDirectory()) return listTs(p)
    return p.endsWith('.ts') && !p.endsWith('.d.ts') ? [p] : []
  })
}

/** Relative module specifiers of a file: static imports, re-exports, dynamic import(). */
export function importsOf(text: string): string[] {
  const out: string[] = []
  const patterns = [
    /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]/g,
    /(?:^|\n)\s*import\s*['"]([^'"]+)['"]/g,
    /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g,
  ]
  for (const re of patterns) for (const m of text.matchAll(re)) out.push(m[1] as string)
  return out.filter((s) => s.startsWith('.'))
}

function graph(): Map<string, string[]> {
  const g = new Map<string, string[]>()
  for (const file of listTs(srcDir)) {
    const text = readFileSync(file, 'utf8')
    const deps = importsOf(text).map((spec) => {
      const target = resolve(dirname(file), spec.replace(/\.js$/, '.ts'))
      return relative(srcDir, target)
    })
    g.set(relative(srcDir, file), deps)
  }
  return g
}

/** Every cycle's path (as found by a depth-first search), e.g. ['a.ts', 'b.ts', 'a.ts']. */
export function findCycles(g: Map<string, string[]>): string[][] {
  const cycles: string[][] = []
  const state = new Map<string, 'visiting' | 'done'>()
  const stack: string[] = []
  const visit = (n: string) => {
    state.set(n, 'visiting')
    stack.push(n)
    for (const d of g.get(n) ?? []) {
      const s = state.get(d)
      if (s === 'visiting') cycles.push([...stack.slice(stack.indexOf(d)), d])
      else if (s === undefined && g.has(d)) visit(d)
    }
    stack.pop()
    state.set(n, 'done')
  }
  for (const n of [...g.keys()].sort()) if (!state.has(n)) visit(n)
  return cycles
}

describe('src module graph', () => {
  const g = graph()

  it('the parser and the cycle search work (a made-up graph with a cycle)', () => {
    expect(
      importsOf(
        "import type { A } from './a.js'\nexport { b } from '../b.js'\nimport x from '@ethwire/chain'\nconst c = await import('./c.js')",
      ),
    ).toEqual(['./a.js', '../b.js', './c.js'])
    const bad = new Map([
      ['a.ts', ['b.ts']],
      ['b.ts', ['c.ts']],
      ['c.ts', ['a.ts']],
      ['d.ts', ['a.ts']],
    ])
    expect(findCycles(bad)).toEqual([['a.ts', 'b.ts', 'c.ts', 'a.ts']])
  })

  it('every import resolves to a file in src/', () => {
    const missing = [...g].flatMap(([f, deps]) =>
      deps.filter((d) => !g.has(d)).map((d) => `${f} → ${d}`),
    )
    expect(missing).toEqual([])
    expect(g.size).toBeGreaterThan(20)
  })

  it('has no import cycle', () => {
    expect(findCycles(g).map((c) => c.join(' → '))).toEqual([])
  })

  it('rpc/ sees only the Backend: no import of the node or its parts', () => {
    const bad = [...g]
      .filter(([f]) => f.startsWith('rpc/'))
      .flatMap(([f, deps]) =>
        deps.filter((d) => d === 'node.ts' || d.startsWith('parts/')).map((d) => `${f} → ${d}`),
      )
    expect(bad).toEqual([])
  })

  it('the parts do not import node.ts', () => {
    const bad = [...g]
      .filter(([f]) => f.startsWith('parts/') || f === 'lifecycle.ts')
      .flatMap(([f, deps]) => deps.filter((d) => d === 'node.ts').map((d) => `${f} → ${d}`))
    expect(bad).toEqual([])
  })
})
