/** `pnpm --filter @ethwire/browser-demo build`: writes the page to browser/dist/ (minified). */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { buildPage, pageDir } from './page.js'

const out = join(pageDir, 'dist')
const page = await buildPage({ minify: true })
mkdirSync(out, { recursive: true })
writeFileSync(join(out, 'index.html'), page.html)
writeFileSync(join(out, 'demo.js'), page.js)
console.log(`dist/index.html, dist/demo.js (${Math.round(page.js.length / 1024)} KiB)`)
