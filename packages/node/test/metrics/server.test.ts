import { request as httpRequest } from 'node:http'
import { createServer } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { metricsPaths } from '../../src/metrics/constants.js'
import { createMetrics } from '../../src/metrics/registry.js'
import {
  createMetricsServer,
  type MetricsServer,
  startMetricsServer,
} from '../../src/metrics/server.js'
import { parsePrometheusText, sampleValue } from '../../src/metrics/testing.js'

interface Reply {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: string
}

/** One HTTP request to 127.0.0.1, bounded by a timeout. */
function get(
  port: number,
  path: string,
  method = 'GET',
  agent?: import('node:http').Agent,
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port, path, method, timeout: 5_000, ...(agent ? { agent } : {}) },
      (res) => {
        let body = ''
        res.setEncoding('utf8')
        res.on('data', (c: string) => {
          body += c
        })
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }))
      },
    )
    req.on('timeout', () => req.destroy(new Error('timed out')))
    req.on('error', reject)
    req.end()
  })
}

const servers: MetricsServer[] = []
afterEach(async () => {
  for (const s of servers.splice(0)) await s.stop()
})

describe('metrics server', () => {
  it('serves the text format on both paths, 404 elsewhere, 405 for other methods', async () => {
    const metrics = createMetrics({ processMetrics: false })
    const server = await startMetricsServer({ registry: metrics, host: '127.0.0.1', port: 0 })
    servers.push(server)
    expect(server.port).toBeGreaterThan(0)
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/debug/metrics/prometheus`)

    metrics.observeMessage('in', 0x07, 1234)
    for (const path of metricsPaths) {
      const r = await get(server.port, path)
      expect(r.status).toBe(200)
      expect(r.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8')
      const p = parsePrometheusText(r.body)
      expect(sampleValue(p, 'ethwire_message_bytes_total', { name: 'NewBlock' })).toBe(1234)
    }
    // The counter moved between two scrapes.
    metrics.observeMessage('in', 0x07, 1)
    const later = parsePrometheusText((await get(server.port, '/metrics?x=1')).body)
    expect(sampleValue(later, 'ethwire_message_bytes_total', { name: 'NewBlock' })).toBe(1235)

    const head = await get(server.port, '/metrics', 'HEAD')
    expect(head.status).toBe(200)
    expect(head.body).toBe('')
    expect((await get(server.port, '/')).status).toBe(404)
    expect((await get(server.port, '/debug/metrics')).status).toBe(404)
    const post = await get(server.port, '/metrics', 'POST')
    expect(post.status).toBe(405)
    expect(post.headers.allow).toBe('GET, HEAD')
  })

  it('listens on 127.0.0.1 by default and answers 500 when the scrape fails', async () => {
    const server = createMetricsServer({
      registry: { contentType: 'text/plain', scrape: () => Promise.reject(new Error('boom')) },
      port: 0,
    })
    servers.push(server)
    expect(server.host).toBe('127.0.0.1')
    await server.start()
    await server.start() // no-op
    const r = await get(server.port, '/metrics')
    expect(r.status).toBe(500)
    expect(r.body).toContain('boom')
  })

  it('stop() closes kept-alive connections and the server is not restarted', async () => {
    const { Agent } = await import('node:http')
    const agent = new Agent({ keepAlive: true, maxSockets: 1 })
    const server = await startMetricsServer({
      registry: createMetrics({ enabled: false }),
      port: 0,
    })
    const port = server.port
    expect((await get(port, '/metrics', 'GET', agent)).body).toBe('')
    // The agent holds an idle keep-alive socket; stop() must not wait for it to time out.
    const closed = new Promise<void>((resolve) => {
      const sockets = Object.values(agent.freeSockets).flat()
      expect(sockets.length).toBe(1)
      sockets[0]?.once('close', () => resolve())
    })
    await server.stop()
    await closed
    await server.stop() // idempotent
    await expect(get(port, '/metrics')).rejects.toThrow()
    await expect(server.start()).rejects.toThrow('stopped')
    agent.destroy()
  })

  it('start() rejects when the port is taken', async () => {
    const blocker = createServer()
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve))
    const port = (blocker.address() as import('node:net').AddressInfo).port
    try {
      const server = createMetricsServer({ registry: createMetrics({ enabled: false }), port })
      await expect(server.start()).rejects.toThrow(/EADDRINUSE/)
      await server.stop()
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()))
    }
  })
})
