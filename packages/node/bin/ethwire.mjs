#!/usr/bin/env node
// The `ethwire` command. In a checkout of the ethwire repository (src/ and tsconfig.json next to
// this folder, tsx installed) it runs the TypeScript sources directly, resolving the workspace
// packages through their `@ethwire/source` export condition — no build needed. Installed from npm
// it runs the built `dist/cli.js`. ETHWIRE_FROM_DIST=1 forces the build.
import { existsSync } from 'node:fs'
import { register } from 'node:module'

const here = new URL('..', import.meta.url)
const fromSource =
  process.env.ETHWIRE_FROM_DIST !== '1' &&
  existsSync(new URL('src/cli.ts', here)) &&
  existsSync(new URL('tsconfig.json', here))

if (fromSource) {
  // Resolve @ethwire/* to their TypeScript sources (the export condition the repo's tests use).
  const hook = `export async function resolve(specifier, context, next) {
    const conditions = context.conditions.includes('@ethwire/source') ? context.conditions : [...context.conditions, '@ethwire/source']
    return next(specifier, { ...context, conditions })
  }`
  register(`data:text/javascript,${encodeURIComponent(hook)}`)
  const { register: registerTsx } = await import('tsx/esm/api')
  registerTsx()
  await import(new URL('src/cli.ts', here).href)
} else {
  await import(new URL('dist/cli.js', here).href)
}
