#!/usr/bin/env node
/**
 * Release dry run: what `changeset publish` would ship, checked as a user would receive it.
 *
 *  1. Copies the repository (tracked files plus each package's built `dist/`) to a scratch directory
 *     and runs `changeset version` there, so the real tree is never touched.
 *  2. `pnpm -r publish --dry-run` in the scratch copy.
 *  3. Packs every public package (`pnpm pack` rewrites `workspace:` ranges to real versions) and
 *     checks each tarball with publint and are-the-types-wrong (ESM, CJS and types).
 *  4. Installs the tarballs with npm into an empty scratch project, imports every package both
 *     ways (ESM `import`, CJS `require`), and runs each README's runnable example (the code blocks
 *     fenced as ```ts example) against the installed tarballs, not the workspace.
 *
 * Needs a build first (`pnpm build`). Usage: node scripts/release-dry-run.mjs [--keep]
 */
import { execFileSync } from 'node:child_process'
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const keep = process.argv.includes('--keep')
const exampleTimeoutMs = 120_000

function run(cmd, args, cwd, opts = {}) {
  return execFileSync(cmd, args, {
    cwd,
    encoding: 'utf8',
    stdio: opts.quiet === false ? 'inherit' : ['ignore', 'pipe', 'pipe'],
    timeout: opts.timeoutMs ?? 600_000,
    env: { ...process.env, ...opts.env },
  })
}

function step(msg) {
  process.stdout.write(`\n== ${msg}\n`)
}

/** Runs a command, prints its output on failure, and rethrows. */
function checked(cmd, args, cwd, opts) {
  try {
    return run(cmd, args, cwd, opts)
  } catch (e) {
    process.stdout.write(`${e.stdout ?? ''}${e.stderr ?? ''}`)
    throw new Error(`${cmd} ${args.join(' ')} failed in ${relative(root, cwd) || cwd}`)
  }
}

/** The code blocks a README marks as runnable (```ts example). */
function readmeExamples(markdown) {
  const out = []
  const re = /^```ts example[^\n]*\n([\s\S]*?)^```/gm
  for (let m = re.exec(markdown); m !== null; m = re.exec(markdown)) out.push(m[1])
  return out
}

const packagesDir = join(root, 'packages')
const packages = readdirSync(packagesDir)
  .map((name) => ({ name, dir: join(packagesDir, name) }))
  .filter((p) => existsSync(join(p.dir, 'package.json')))
  .map((p) => ({ ...p, json: JSON.parse(readFileSync(join(p.dir, 'package.json'), 'utf8')) }))
  .filter((p) => p.json.private !== true)

for (const p of packages) {
  if (!existsSync(join(p.dir, 'dist')))
    throw new Error(`${p.json.name}: no dist/ (run pnpm build first)`)
}

const scratch = mkdtempSync(join(tmpdir(), 'ethwire-release-'))
let failed = false
try {
  step(`scratch copy in ${scratch}`)
  const repo = join(scratch, 'repo')
  const files = run('git', ['ls-files', '-z'], root).split('\0').filter(Boolean)
  for (const f of files) {
    if (!existsSync(join(root, f))) continue // deleted in the work tree
    mkdirSync(dirname(join(repo, f)), { recursive: true })
    cpSync(join(root, f), join(repo, f))
  }
  for (const p of packages)
    cpSync(join(p.dir, 'dist'), join(repo, 'packages', p.name, 'dist'), { recursive: true })
  // The workspace's installed tools (changesets, publint, attw) are used from the real tree.
  const bin = join(root, 'node_modules', '.bin')

  step('changeset version')
  checked(join(bin, 'changeset'), ['version'], repo)
  const versions = {}
  for (const p of packages) {
    const j = JSON.parse(readFileSync(join(repo, 'packages', p.name, 'package.json'), 'utf8'))
    versions[j.name] = j.version
    if (!existsSync(join(repo, 'packages', p.name, 'CHANGELOG.md')))
      throw new Error(`${j.name}: changeset version wrote no CHANGELOG.md (no changeset for it?)`)
  }
  process.stdout.write(
    `${Object.entries(versions)
      .map(([n, v]) => `  ${n}@${v}`)
      .join('\n')}\n`,
  )

  step('pnpm -r publish --dry-run')
  // pnpm resolves `workspace:` ranges through the installed links: install from the local store
  // (nothing is built or fetched); --no-git-checks because the scratch copy is not a git checkout.
  checked('pnpm', ['install', '--offline', '--frozen-lockfile', '--ignore-scripts'], repo)
  const publishOut = checked('pnpm', ['-r', 'publish', '--dry-run', '--no-git-checks'], repo, {
    env: { npm_config_registry: 'https://registry.npmjs.org/' },
  })
  for (const name of Object.keys(versions)) {
    if (!publishOut.includes(name)) throw new Error(`publish --dry-run did not list ${name}`)
  }

  step('pack, publint, are-the-types-wrong')
  const tarballs = join(scratch, 'tarballs')
  mkdirSync(tarballs)
  const packed = {}
  for (const p of packages) {
    const dir = join(repo, 'packages', p.name)
    const out = checked('pnpm', ['pack', '--pack-destination', tarballs], dir)
    const file = out.trim().split('\n').pop().trim()
    packed[p.json.name] = file.startsWith('/') ? file : join(tarballs, file)
    checked(join(bin, 'publint'), ['--strict', packed[p.json.name]], dir)
    // Types-only packages have no runtime to resolve; attw still checks their declarations.
    checked(
      join(bin, 'attw'),
      ['--profile', 'node16', '--format', 'table-flipped', packed[p.json.name]],
      dir,
    )
    process.stdout.write(`  ${p.json.name}: packed, publint and attw clean\n`)
  }

  step('install the tarballs into an empty project')
  const app = join(scratch, 'app')
  mkdirSync(app)
  const deps = Object.fromEntries(Object.entries(packed).map(([n, f]) => [n, `file:${f}`]))
  writeFileSync(
    join(app, 'package.json'),
    JSON.stringify(
      {
        name: 'ethwire-release-check',
        private: true,
        type: 'module',
        dependencies: { ...deps, tsx: '^4.20.0' },
        // Every internal dependency resolves to its tarball, never to the registry.
        overrides: deps,
      },
      null,
      2,
    ),
  )
  checked('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], app, {
    timeoutMs: 900_000,
  })

  step('import every package (ESM and CJS)')
  for (const name of Object.keys(packed)) {
    checked(
      process.execPath,
      ['--input-type=module', '-e', `await import(${JSON.stringify(name)})`],
      app,
    )
    checked(process.execPath, ['-e', `require(${JSON.stringify(name)})`], app)
    process.stdout.write(`  ${name}: import and require work\n`)
  }

  step('README examples, run from the tarballs')
  let examples = 0
  for (const p of packages) {
    const blocks = readmeExamples(readFileSync(join(p.dir, 'README.md'), 'utf8'))
    if (blocks.length === 0) throw new Error(`${p.json.name}: README has no \`\`\`ts example block`)
    blocks.forEach((code, i) => {
      const file = join(app, `${p.name}-${i}.ts`)
      writeFileSync(file, code)
      const t0 = Date.now()
      checked(process.execPath, ['--import', 'tsx', file], app, { timeoutMs: exampleTimeoutMs })
      examples++
      process.stdout.write(`  ${p.json.name} example ${i + 1}: ran in ${Date.now() - t0} ms\n`)
    })
  }
  step(`release dry run passed: ${packages.length} packages, ${examples} README examples`)
} catch (e) {
  failed = true
  process.stdout.write(`\nrelease dry run FAILED: ${e.message}\n`)
} finally {
  if (keep) process.stdout.write(`scratch kept at ${scratch}\n`)
  else rmSync(scratch, { recursive: true, force: true })
}
process.exit(failed ? 1 : 0)
