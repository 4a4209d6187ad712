// Manual check of the browser story (not part of CI): bundles the built package (dist/index.js)
// into a classic script, runs it on the main thread of headless Chromium and prints what it saw:
// the backend, a known answer, equality with noble, a 32-byte hash rate per backend. Then the
// same page under a Content-Security-Policy without 'wasm-unsafe-eval', where WebAssembly may
// not compile and the package must fall back to noble.
//
//   pnpm --filter @ethwire/keccak build && node scripts/browser-check.mjs
//
// Needs `chromium-headless-shell` (Debian: apt-get install -y chromium-headless-shell) or CHROME=…
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

const dist = fileURLToPath(new URL('../dist/index.js', import.meta.url))
const chrome = process.env.CHROME ?? 'chromium-headless-shell'
const entry = `
import { createKeccak, keccak256, keccakBackend, keccakWasmSizeBytes } from ${JSON.stringify(dist)}
const hex = (b) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('')
const out = { backend: keccakBackend(), moduleBytes: keccakWasmSizeBytes }
out.abc = hex(keccak256(new TextEncoder().encode('abc')))
const noble = createKeccak({ backend: 'noble' })
const fast = createKeccak()
let same = true
for (let n = 0; n <= 1100; n++) {
  const d = new Uint8Array(n).map((_, i) => (i * 7 + n) & 255)
  if (hex(noble.keccak256(d)) !== hex(fast.keccak256(d))) same = false
}
out.equalsNoble0to1100 = same
const d = new Uint8Array(32)
for (const [name, k] of [[fast.backend, fast], ['noble', noble]]) {
  for (let i = 0; i < 20000; i++) k.keccak256(d)
  const t0 = performance.now()
  let n = 0
  while (performance.now() - t0 < 300) { for (let i = 0; i < 1000; i++) k.keccak256(d); n += 1000 }
  out[name + 'HashesPerSec32B'] = Math.round(n / ((performance.now() - t0) / 1000))
}
document.getElementById('out').textContent = JSON.stringify(out)
`
const dir = mkdtempSync(join(tmpdir(), 'keccak-browser-'))
try {
  const js = (
    await build({
      stdin: { contents: entry, resolveDir: dir, loader: 'js' },
      bundle: true,
      format: 'iife',
      write: false,
      logLevel: 'warning',
    })
  ).outputFiles[0].text
  for (const [name, csp] of [
    ['plain page', ''],
    [
      "CSP script-src 'unsafe-inline' (no 'wasm-unsafe-eval')",
      `<meta http-equiv="Content-Security-Policy" content="script-src 'unsafe-inline'">`,
    ],
  ]) {
    const page = join(dir, 'page.html')
    writeFileSync(
      page,
      `<!doctype html><html><head>${csp}</head><body><pre id="out">did not run</pre><script>${js}</script></body></html>`,
    )
    const dom = execFileSync(
      chrome,
      ['--no-sandbox', '--disable-gpu', '--dump-dom', `file://${page}`],
      {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
        timeout: 60_000,
      },
    )
    console.log(`${name}: ${/<pre id="out">(.*)<\/pre>/.exec(dom)?.[1] ?? dom}`)
  }
  console.log(execFileSync(chrome, ['--version'], { encoding: 'utf8' }).trim())
} finally {
  rmSync(dir, { recursive: true, force: true })
}
