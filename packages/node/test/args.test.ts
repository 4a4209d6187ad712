import { describe, expect, it } from 'vitest'
import { defaultFlags, nodeConfigFromFlags, parseArgs, USAGE, UsageError } from '../src/args.js'

describe('parseArgs', () => {
  it('gives the defaults with no arguments', () => {
    const p = parseArgs([])
    expect(p.command).toBeUndefined()
    expect(p.positional).toEqual([])
    expect(p.flags).toEqual(defaultFlags())
    expect(p.flags.http).toBe(false)
    expect(p.flags.txannounce).toBe(true)
  })

  it('reads commands and their positional arguments', () => {
    expect(parseArgs(['init', 'g.json', '--datadir', 'd'])).toMatchObject({
      command: 'init',
      positional: ['g.json'],
      flags: { datadir: 'd' },
    })
    expect(parseArgs(['export', 'out.rlp', '5', '10'])).toMatchObject({
      command: 'export',
      positional: ['out.rlp', '5', '10'],
    })
    expect(parseArgs(['--datadir=x', 'devchain', '10000']).command).toBe('devchain')
    // a command word after a positional is positional
    expect(parseArgs(['import', 'init']).positional).toEqual(['init'])
  })

  it('takes --flag value, --flag=value and single dashes', () => {
    const p = parseArgs([
      '-datadir',
      '/tmp/a',
      '--port=0',
      '--rlpx.port',
      '30304',
      '--http.port',
      '9000',
      '--http.addr=0.0.0.0',
      '--networkid',
      '3503995874084926',
      '--maxpeers',
      '3',
      '--syncinterval',
      '2000',
      '--minsyncpeers=1',
      '--verbosity',
      '5',
    ])
    expect(p.flags).toMatchObject({
      datadir: '/tmp/a',
      port: 0,
      'rlpx.port': 30304,
      'http.port': 9000,
      'http.addr': '0.0.0.0',
      networkid: 3503995874084926n,
      maxpeers: 3,
      syncinterval: 2000,
      minsyncpeers: 1,
      verbosity: 5,
    })
  })

  it('splits bootnodes of both kinds', () => {
    const enode = `enode://${'ab'.repeat(64)}@127.0.0.1:30303`
    const p = parseArgs(['--bootnodes', `/ip4/127.0.0.1/tcp/30313/p2p/12D3KooWabc, ${enode},`])
    expect(p.flags.bootnodes).toEqual(['/ip4/127.0.0.1/tcp/30313/p2p/12D3KooWabc', enode])
  })

  it('parses eth version lists and refuses unknown versions', () => {
    expect(parseArgs(['--eth', '63']).flags.eth).toEqual([63])
    expect(parseArgs(['--eth=66,67,68']).flags.eth).toEqual([66, 67, 68])
    expect(() => parseArgs(['--eth', '65'])).toThrow(/unsupported eth version 65/)
    expect(() => parseArgs(['--eth', ','])).toThrow(UsageError)
  })

  it('booleans: bare, =value and a following true/false', () => {
    expect(parseArgs(['--txannounce', 'false']).flags.txannounce).toBe(false)
    expect(parseArgs(['--txannounce=false']).flags.txannounce).toBe(false)
    expect(parseArgs(['--txannounce', 'true']).flags.txannounce).toBe(true)
    expect(parseArgs(['--fakepow']).flags.fakepow).toBe(true)
    // a following word that is not a boolean is not taken as its value
    expect(parseArgs(['--fakepow', 'import', 'x'])).toMatchObject({
      command: 'import',
      positional: ['x'],
    })
    expect(() => parseArgs(['--http=maybe'])).toThrow(/invalid boolean/)
  })

  it('--dev turns JSON-RPC on unless --http=false is given', () => {
    expect(parseArgs(['--dev']).flags.http).toBe(true)
    expect(parseArgs(['--dev', '--http=false']).flags.http).toBe(false)
    expect(parseArgs(['--dev', '--dev.period', '1']).flags['dev.period']).toBe(1)
  })

  it('refuses unknown flags, missing values and bad numbers', () => {
    expect(() => parseArgs(['--nope'])).toThrow('flag provided but not defined: -nope')
    expect(() => parseArgs(['--datadir'])).toThrow('flag needs an argument: -datadir')
    expect(() => parseArgs(['--port', 'abc'])).toThrow(/not a number/)
    expect(() => parseArgs(['--port', '-1'])).toThrow(UsageError)
    expect(() => parseArgs(['--port', '70000'])).toThrow(/not a TCP port/)
    expect(() => parseArgs(['--verbosity', '9'])).toThrow(/verbosity/)
    // 0: a block whenever transactions arrive (go-ethereum's --dev default)
    expect(parseArgs(['--dev.period', '0']).flags['dev.period']).toBe(0)
    expect(() => parseArgs(['--miner.etherbase', '0x12'])).toThrow(/miner.etherbase/)
    expect(() => parseArgs(['--miner.extradata', 'x'.repeat(33)])).toThrow(/at most 32 bytes/)
    expect(() => parseArgs(['--miner.gaslimit', 'lots'])).toThrow(/miner.gaslimit/)
    expect(() => parseArgs(['--networkid', '0x10'])).toThrow(/not a number/)
  })

  it('--nat extip:<ip> becomes the enode address; other forms are refused', () => {
    expect(nodeConfigFromFlags(parseArgs(['--nat', 'extip:203.0.113.7']).flags).externalIp).toBe(
      '203.0.113.7',
    )
    expect(nodeConfigFromFlags(parseArgs(['--nat', 'none']).flags).externalIp).toBeUndefined()
    expect(() => parseArgs(['--nat', 'upnp'])).toThrow(/-nat/)
  })

  it('nodeConfigFromFlags maps every run flag', () => {
    const c = nodeConfigFromFlags(
      parseArgs([
        '--datadir=d',
        '--networkid=5',
        '--addr=0.0.0.0',
        '--port=1',
        '--rlpx.port=2',
        '--http',
        '--http.port=3',
        '--bootnodes=/ip4/1.2.3.4/tcp/5',
        '--maxpeers=7',
        '--dev',
        '--dev.period=4',
        '--fakepow',
        '--syncinterval=100',
        '--minsyncpeers=2',
        '--eth=66,68',
        '--txannounce=false',
        '--verbosity=1',
        '--txpool.globalslots=20000',
        '--txpool.accountslots=500',
        '--txpool.globalqueue',
        '2048',
        '--txpool.accountqueue=128',
        '--miner.etherbase=0x00000000000000000000000000000000000000aa',
        '--miner.gaslimit=36000000',
        '--miner.extradata=ethwire dev',
      ]).flags,
    )
    expect(c).toEqual({
      datadir: 'd',
      networkId: 5n,
      listenHost: '0.0.0.0',
      externalIp: undefined,
      port: 1,
      rlpxPort: 2,
      http: { host: '127.0.0.1', port: 3 },
      bootnodes: ['/ip4/1.2.3.4/tcp/5'],
      maxPeers: 7,
      dev: { periodSeconds: 4 },
      fakePow: true,
      syncIntervalMs: 100,
      minSyncPeers: 2,
      ethVersions: [66, 68],
      txAnnounce: false,
      verbosity: 1,
      miner: {
        etherbase: new Uint8Array(20).fill(0xaa, 19),
        gasLimit: 36_000_000n,
        extraData: new TextEncoder().encode('ethwire dev'),
      },
      txPool: { globalSlots: 20000, accountSlots: 500, globalQueue: 2048, accountQueue: 128 },
    })
    expect(nodeConfigFromFlags(parseArgs([]).flags)).toMatchObject({
      http: undefined,
      dev: undefined,
      ethVersions: undefined,
    })
  })

  it("the txpool flags say go-ethereum's defaults, the pool's own", () => {
    expect(USAGE).toMatch(
      /--txpool\.globalslots <n> +executable transaction slots guaranteed over all accounts \(default 5120\)/,
    )
    expect(USAGE).toMatch(
      /--txpool\.accountslots <n> +executable transaction slots guaranteed per account \(default 16\)/,
    )
    expect(USAGE).toMatch(
      /--txpool\.globalqueue <n> +non-executable transaction slots over all accounts \(default 1024\)/,
    )
    expect(USAGE).toMatch(
      /--txpool\.accountqueue <n> +non-executable transaction slots per account \(default 64\)/,
    )
  })

  it('help and version', () => {
    expect(parseArgs(['--help']).command).toBe('help')
    expect(parseArgs(['help']).command).toBe('help')
    expect(parseArgs(['version']).command).toBe('version')
  })

  it('-- ends the flags', () => {
    expect(parseArgs(['import', '--', '--weird-name.rlp']).positional).toEqual(['--weird-name.rlp'])
  })
})
