/** The JSON-RPC server and account flags (go-ethereum's names) and what they become. */
import { describe, expect, it } from 'vitest'
import { etherToWei, nodeConfigFromFlags, parseArgs, USAGE, UsageError } from '../src/args.js'

describe('RPC and account flags', () => {
  it('--ws, --http.api, --http.corsdomain, --http.vhosts and the account flags', () => {
    const p = parseArgs([
      '--http',
      '--http.api=eth,net,web3',
      '--http.corsdomain',
      'https://a.example,https://b.example',
      '--http.vhosts=localhost,node.example',
      '--ws',
      '--ws.addr=0.0.0.0',
      '--ws.port=0',
      '--ws.api=eth',
      '--keystore=/k',
      '--lightkdf',
      '--password=/pw',
      '--unlock=0x00000000000000000000000000000000000000aa,1',
      '--allow-insecure-unlock',
      '--rpc.txfeecap=0.5',
    ])
    const c = nodeConfigFromFlags(p.flags)
    expect(c.http).toEqual({
      host: '127.0.0.1',
      port: 8545,
      api: ['eth', 'net', 'web3'],
      corsDomains: ['https://a.example', 'https://b.example'],
      vhosts: ['localhost', 'node.example'],
    })
    expect(c.ws).toEqual({ host: '0.0.0.0', port: 0, api: ['eth'] })
    expect(c.accounts).toEqual({
      keystore: '/k',
      lightKdf: true,
      unlock: '0x00000000000000000000000000000000000000aa,1',
      passwordFile: '/pw',
      allowInsecureUnlock: true,
      txFeeCapWei: 500_000_000_000_000_000n,
    })
  })

  it('defaults: ws off on 127.0.0.1:8546, no account config', () => {
    const p = parseArgs([])
    expect(p.flags.ws).toBe(false)
    expect(p.flags['ws.addr']).toBe('127.0.0.1')
    expect(p.flags['ws.port']).toBe(8546)
    expect(nodeConfigFromFlags(p.flags)).toMatchObject({ ws: undefined, accounts: undefined })
  })

  it('reads the account command and refuses bad values', () => {
    expect(parseArgs(['account', 'new', '--password', 'f'])).toMatchObject({
      command: 'account',
      positional: ['new'],
    })
    expect(() => parseArgs(['--ws.port=70000'])).toThrow(UsageError)
    expect(() => parseArgs(['--rpc.txfeecap=lots'])).toThrow(UsageError)
    expect(etherToWei('1')).toBe(10n ** 18n)
    expect(etherToWei('0')).toBe(0n)
    expect(etherToWei('0.000000000000000001')).toBe(1n)
    expect(USAGE).toMatch(/--ws\.port <n> +WebSocket port \(default 8546/)
    expect(USAGE).toMatch(/--allow-insecure-unlock/)
  })
})
