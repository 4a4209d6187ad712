/**
 * The modules of src/ import each other without a circle (they did once: handlers.ts and
 * manager.ts imported each other). Parses every `import … from './x.js'`, `export … from` and
 * `import('./x.js')` of src/*.ts and fails on any cycle, naming it.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const srcDir = fileURLToPath(new URL('../src/', import.meta.url))

/** Local module names (without `.ts`) each module of `dir` imports. */
export function localImports(source: string): string[] {
  const out = new Set<string>()
  const patterns = [
    /\b(?:import|export)\b[^'";]*?\bfrom\s*['"](\.\/[^'"]+)['"]/g,
    /\bimport\s*['"](\.\/[^'"]+)['"]/g,
    /\bimport\s*\(\s*['"](\.\/[^'"]+)['"]\s*\)/g,
  ]
  // Comments may mention imports (examples): strip them first.
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:])\/\/.*$/gm, '$1')
  for (const re of patterns) {
    for (const m of code.matchAll(re)) out.add(m[1]!.replace(/^\.\//, '').replace(/\.(js|ts)$/, ''))
  }
  return [...out]
}

/** The first cycle found in `graph` (a path that starts and ends at the same module), or undefined. */
export function findCycle(graph: Map<string, string[]>): string[] | undefined {
  const state = new Map<string, 'visiting' | 'done'>()
  const stack: string[] = []
  const visit = (n: string): string[] | undefined => {
    if (state.get(n) === 'done') return undefined
    if (state.get(n) === 'visiting') return [...stack.slice(stack.indexOf(n)), n]
    state.set(n, 'visiting')
    stack.push(n)
    for (const m of graph.get(n) ?? []) {
      const c = visit(m)
      if (c !== undefined) return c
    }
    stack.pop()
    state.set(n, 'done')
    return undefined
  }
  for (const n of graph.keys()) {
    const c = visit(n)
    if (c !== undefined) return c
  }
  return undefined
}

function srcGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>()
  for (const f of readdirSync(srcDir).filter((f) => f.endsWith('.ts'))) {
    graph.set(f.replace(/\.ts$/, ''), localImports(readFileSync(srcDir + f, 'utf8')))
  }
  return graph
}

describe('module graph of src/', () => {
  it('has no import cycle', () => {
    const graph = srcGraph()
    expect(findCycle(graph)).toBeUndefined()
  })

  it('is the graph the split intends (the parser sees the imports)', () => {
    const graph = srcGraph()
    for (const m of [
      'types',
      'peer-loop',
      'handlers',
      'syncer',
      'broadcast',
      'drop',
      'adapters',
      'manager',
    ]) {
      expect(graph.has(m), m).toBe(true)
    }
    expect(graph.get('manager')).toEqual(
      expect.arrayContaining(['peer-loop', 'syncer', 'broadcast', 'drop', 'adapters']),
    )
    expect(graph.get('peer-loop')).toContain('handlers')
    expect(graph.get('handlers')).not.toContain('manager')
    // types.ts is the leaf the others share: it imports no local module.
    expect(graph.get('types')).toEqual([])
    // Every local import names a module that exists.
    for (const [m, deps] of graph)
      for (const d of deps) expect(graph.has(d), `${m} → ${d}`).toBe(true)
  })

  it('the checker finds a cycle when there is one', () => {
    const g = new Map([
      ['a', ['b']],
      ['b', ['c']],
      ['c', ['a']],
      ['d', ['a']],
    ])
    expect(findCycle(g)).toEqual(['a', 'b', 'c', 'a'])
    expect(findCycle(new Map([['a', ['a']]]))).toEqual(['a', 'a'])
    expect(
      findCycle(
        new Map([
          ['a', ['b']],
          ['b', []],
        ]),
      ),
    ).toBeUndefined()
    expect(
      localImports(
        "import { x } from './x.js'\nimport type {\n  Y,\n} from './y.js'\nexport * from './z.js'\n// import { w } from './w.js'\nconst q = import('./q.js')",
      ).sort(),
    ).toEqual(['q', 'x', 'y', 'z'])
  })
})
