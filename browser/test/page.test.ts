/**
 * The page in headless Chromium (Debian's `chromium`, driven by `playwright-core`) against a dev
 * node on 127.0.0.1 with 1,200 blocks: it must dial over libp2p WebSockets, pass the Status
 * handshake (fork id checked against the node's genesis file), download the last 1,000 headers
 * with the downloader, and show a block the node seals afterwards (by announcement: the page's
 * poll timer is off). A second page with another network id must be refused by the handshake.
 *
 * Skipped, saying so, only when no Chromium binary exists (`CHROMIUM_PATH`, else `chromium` or
 * `chromium-browser` on PATH, else /usr/bin/chromium).
 */
import { accessSync, constants } from 'node:fs'
import { tmpdir } from 'node:os'
import { delimiter, join } from 'node:path'
import { bytesToHex } from '@ethwire/rlp-wire'
import { type Browser, chromium, type Page } from 'playwright-core'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { type Demo, startDemo } from '../scripts/demo-server.js'

function findChromium(): string | undefined {
  const executable = (p: string) => {
    try {
      accessSync(p, constants.X_OK)
      return true
    } catch {
      return false
    }
  }
  const fromEnv = process.env.CHROMIUM_PATH
  if (fromEnv) return executable(fromEnv) ? fromEnv : undefined
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    for (const name of ['chromium', 'chromium-browser']) {
      const p = join(dir, name)
      if (dir && executable(p)) return p
    }
  }
  return executable('/usr/bin/chromium') ? '/usr/bin/chromium' : undefined
}

const chromiumPath = findChromium()
const noChromium =
  'no Chromium binary (set CHROMIUM_PATH, or `apt-get install -y chromium`): the page test is skipped'
if (chromiumPath === undefined) console.warn(`[browser-demo] ${noChromium}`)

const blocks = 1200
const last = 1000
const timeoutMs = 30_000

let demo: Demo | undefined
let browser: Browser | undefined

beforeAll(async () => {
  if (chromiumPath === undefined) return
  demo = await startDemo({ blocks, periodSeconds: 0, last, pollSeconds: 0 })
  browser = await chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    // Root in CI: no sandbox. The rest keeps Chromium off the (closed) network. playwright-core
    // gives it a fresh profile directory and removes it on close.
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    timeout: timeoutMs,
  })
}, 60_000)

afterAll(async () => {
  await browser?.close()
  await demo?.stop()
})

/** What the page printed to its console, for the failure message. */
function recordConsole(page: Page): string[] {
  const lines: string[] = []
  page.on('console', (m) => lines.push(`${m.type()}: ${m.text()}`))
  page.on('pageerror', (e) => lines.push(`pageerror: ${e.message}`))
  return lines
}

async function attr(page: Page, selector: string, name: string): Promise<string | null> {
  return page.locator(selector).getAttribute(name, { timeout: timeoutMs })
}

it('handshakes, downloads the last 1,000 headers and shows a new block', async (ctx) => {
  if (chromiumPath === undefined || demo === undefined || browser === undefined) {
    ctx.skip(noChromium)
    return
  }
  const page = await browser.newPage()
  const consoleLines = recordConsole(page)
  try {
    await page.goto(demo.url, { timeout: timeoutMs })
    await page.waitForSelector('body[data-state="live"]', { timeout: timeoutMs })

    expect(await attr(page, '#handshake', 'data-ok')).toBe('true')
    expect(await page.locator('#handshake').textContent()).toMatch(
      /^ok: network 1337, .*checked against our genesis file$/,
    )
    const head = demo.node.chain.currentHeader()
    expect(head.number).toBe(BigInt(blocks))
    expect(Number(await attr(page, '#headers', 'data-count'))).toBeGreaterThanOrEqual(last)
    expect(await page.locator('#root').textContent()).toMatch(new RegExp(`^#${blocks - last} `))
    expect(await attr(page, '#head', 'data-number')).toBe(String(blocks))
    expect(await attr(page, '#head', 'data-hash')).toBe(bytesToHex(head.hash))
    expect(await page.locator('#blocks li').count()).toBe(0) // nothing new yet

    const block = await demo.node.sealBlock()
    const row = page.locator(`#blocks li[data-number="${block.header.number}"]`)
    await row.waitFor({ timeout: timeoutMs })
    expect(await attr(page, '#head', 'data-hash')).toBe(bytesToHex(block.hash))
    expect(Number(await attr(page, '#headers', 'data-count'))).toBeGreaterThanOrEqual(last + 1)
    expect(await page.locator('body').getAttribute('data-state')).toBe('live')
  } catch (err) {
    const shot = join(tmpdir(), `ethwire-browser-demo-${Date.now()}.png`)
    await page.screenshot({ path: shot }).catch(() => {})
    const log = await page
      .locator('#log')
      .textContent()
      .catch(() => '')
    throw new Error(
      `${(err as Error).message}\n--- page log:\n${log}\n--- console:\n${consoleLines.join('\n')}\n--- screenshot: ${shot}`,
    )
  } finally {
    await page.close()
  }
}, 90_000)

it('is refused by the handshake when its genesis file says another network', async (ctx) => {
  if (chromiumPath === undefined || demo === undefined || browser === undefined) {
    ctx.skip(noChromium)
    return
  }
  const page = await browser.newPage()
  try {
    const url = new URL(demo.url)
    url.searchParams.set('networkid', '999')
    await page.goto(url.toString(), { timeout: timeoutMs })
    await page.waitForSelector('body[data-state="closed"]', { timeout: timeoutMs })
    expect(await page.locator('#state').textContent()).toMatch(/ErrNetworkIdMismatch/)
    expect(await page.locator('#handshake').getAttribute('data-ok')).toBeNull()
  } finally {
    await page.close()
  }
}, 60_000)
