/**
 * Builds the page: `src/main.ts` bundled with esbuild for the browser (`platform: 'browser'`,
 * `bundle: true`, from the workspace packages' TypeScript sources) plus `static/index.html`.
 * The build fails when the bundle imports a Node built-in or uses a Node global (see
 * `browser-bundle.ts`), so whatever the page runs is also proof that the packages it pulls in
 * are browser code.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import * as esbuild from 'esbuild'
import { bundleForBrowser, describeFindings } from './browser-bundle.js'

export const pageDir = join(import.meta.dirname, '..')

export interface Page {
  /** static/index.html */
  html: string
  /** The bundle, served as `demo.js`. */
  js: string
}

export async function buildPage(options: { minify?: boolean } = {}): Promise<Page> {
  const bundle = await bundleForBrowser('./src/main.ts', pageDir, { root: join(pageDir, '..') })
  const findings = describeFindings('the page', bundle)
  if (findings !== '') throw new Error(`the page bundle is not browser code:\n${findings}`)
  const js = options.minify
    ? (await esbuild.transform(bundle.code, { minify: true, format: 'esm', target: 'es2022' })).code
    : bundle.code
  return { html: readFileSync(join(pageDir, 'static', 'index.html'), 'utf8'), js }
}
