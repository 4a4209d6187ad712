/**
 * Bundles a module for the browser with esbuild (`platform: 'browser'`, `bundle: true`, the
 * `@ethwire/source` condition so workspace packages come from their TypeScript sources) and
 * reports what in it would only run on Node:
 *
 * - imports of Node built-ins (`node:fs`, or bare `fs`, `crypto`, `events`, `buffer`,
 *   `worker_threads`, … — every name in `node:module`'s `builtinModules`) that no `browser` field
 *   of a package maps to a browser file, with the module that imports them;
 * - references to Node's globals (`Buffer`, `process`, `global`, `setImmediate`, `__dirname`, …)
 *   that are not behind a `typeof` check, with the module they are in.
 *
 * Used by `test/bundle.test.ts` (the packages of issue 17) and by `build.ts` (the demo page),
 * which both fail on any finding.
 */
import { builtinModules } from 'node:module'
import { relative } from 'node:path'
import * as esbuild from 'esbuild'

/** Node's globals that browsers lack; a reference to one not behind `typeof` is a finding. */
export const nodeGlobals = [
  'Buffer',
  'process',
  'global',
  'setImmediate',
  'clearImmediate',
  '__dirname',
  '__filename',
] as const

const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]))

/** `fs`, `node:fs`, `fs/promises`, `node:test`, … */
export function isNodeBuiltin(specifier: string): boolean {
  if (specifier.startsWith('node:')) return true
  return builtins.has(specifier) || builtins.has(specifier.split('/')[0]!)
}

const markerPrefix = '__ethwire_node_global_'

export interface NodeImport {
  /** The specifier as written (`node:crypto`, `events`). */
  specifier: string
  /** The module importing it, relative to `root`. */
  importer: string
}

export interface NodeGlobalUse {
  name: (typeof nodeGlobals)[number]
  /** The module the reference is in (esbuild's `// path` comment before it), relative to `root`. */
  module: string
  /** The line of the bundle around it. */
  excerpt: string
}

export interface BrowserBundle {
  /** The bundle (ESM), with Node globals replaced by markers when `markGlobals` (for checking). */
  code: string
  /** Its size in bytes. */
  bytes: number
  nodeImports: NodeImport[]
  nodeGlobals: NodeGlobalUse[]
  /** esbuild's warnings, formatted. */
  warnings: string[]
}

export interface BundleOptions {
  /** Paths in reports are relative to this directory. Default the current directory. */
  root?: string
  /** Minify (for the page; the check itself reads the unminified bundle). Default false. */
  minify?: boolean
  /** Extra esbuild options (e.g. `define`). */
  esbuild?: esbuild.BuildOptions
}

/** The `// path` comment esbuild puts before each module of an unminified bundle. */
function moduleAt(code: string, index: number): string {
  const re = /^\/\/ (\S+\.(?:[cm]?[jt]sx?|json))$/gm
  let last = '(unknown module)'
  for (let m = re.exec(code); m !== null && m.index < index; m = re.exec(code)) last = m[1]!
  return last
}

/**
 * Bundles `entry` (a file path or a package specifier resolved from `resolveDir`) for the
 * browser and returns the findings; a build error (a module esbuild cannot resolve, a syntax
 * error) rejects.
 */
export async function bundleForBrowser(
  entry: string,
  resolveDir: string,
  options: BundleOptions = {},
): Promise<BrowserBundle> {
  const root = options.root ?? process.cwd()
  const nodeImports: NodeImport[] = []
  const seen = new Set<string>()
  const define: Record<string, string> = {}
  for (const name of nodeGlobals) define[name] = `${markerPrefix}${name}`

  const result = await esbuild.build({
    stdin: {
      contents: `export * from ${JSON.stringify(entry)}`,
      resolveDir,
      sourcefile: `<${entry}>`,
      loader: 'ts',
    },
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    conditions: ['@ethwire/source'],
    write: false,
    logLevel: 'silent',
    minify: false,
    define,
    plugins: [
      {
        name: 'node-builtins',
        setup(build) {
          build.onResolve({ filter: /.*/ }, async (args) => {
            if (!isNodeBuiltin(args.path) || args.pluginData === 'node-builtins') return undefined
            // A package's `browser` field may map the built-in to a browser file or to `false`:
            // then esbuild resolves it and it is no finding.
            const mapped = await build.resolve(args.path, {
              kind: args.kind,
              importer: args.importer,
              resolveDir: args.resolveDir,
              pluginData: 'node-builtins',
            })
            if (mapped.errors.length === 0) return mapped
            const importer = relative(root, args.importer)
            const key = `${args.path} ${importer}`
            if (!seen.has(key)) {
              seen.add(key)
              nodeImports.push({ specifier: args.path, importer })
            }
            return { path: args.path, external: true }
          })
        },
      },
    ],
    ...options.esbuild,
  })
  const code = result.outputFiles?.[0]?.text ?? ''
  const found: NodeGlobalUse[] = []
  const markerRe = new RegExp(`(typeof\\s+)?${markerPrefix}(\\w+)`, 'g')
  for (let m = markerRe.exec(code); m !== null; m = markerRe.exec(code)) {
    if (m[1] !== undefined) continue // `typeof process !== 'undefined'`: guarded
    const lineStart = code.lastIndexOf('\n', m.index) + 1
    const lineEnd = code.indexOf('\n', m.index)
    const line = code.slice(lineStart, lineEnd < 0 ? undefined : lineEnd).trim()
    found.push({
      name: m[2] as NodeGlobalUse['name'],
      module: moduleAt(code, m.index),
      excerpt: line.replaceAll(markerPrefix, '').slice(0, 160),
    })
  }
  const warnings = await esbuild.formatMessages(result.warnings, { kind: 'warning' })
  return {
    code,
    bytes: new TextEncoder().encode(code).length,
    nodeImports,
    nodeGlobals: found,
    warnings,
  }
}

/** A readable list of the findings (empty string when there are none). */
export function describeFindings(name: string, bundle: BrowserBundle): string {
  const lines: string[] = []
  for (const i of bundle.nodeImports)
    lines.push(`${name}: imports Node built-in '${i.specifier}' (in ${i.importer})`)
  for (const g of bundle.nodeGlobals)
    lines.push(`${name}: uses Node global '${g.name}' (in ${g.module}): ${g.excerpt}`)
  return lines.join('\n')
}
