/**
 * `ethwire --dev` in process (createNode, dev period 0: a block whenever a transaction arrives)
 * with HTTP and WebSocket JSON-RPC, driven by viem: eth_sendTransaction from the unlocked dev
 * account, newHeads and logs over WebSocket subscriptions, newPendingTransactions, a keystore
 * account made with `account new` and unlocked with `--unlock` / `--password`, and the unlock
 * refused over exposed RPC without `--allow-insecure-unlock`.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  type Address,
  createPublicClient,
  createWalletClient,
  type Hex,
  http,
  parseEther,
  webSocket,
} from 'viem'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { accountCommand } from '../src/accounts/command.js'
import { silentLogger } from '../src/log.js'
import { createNode, type EthwireNode } from '../src/node.js'
import { initCode } from './helpers/contract.js'
import { devChain } from './helpers/viem-chain.js'
import { within } from './helpers/wait.js'

const root = mkdtempSync(join(tmpdir(), 'ethwire-ws-'))
let node: EthwireNode
let dev: Address

beforeAll(async () => {
  node = createNode({
    datadir: join(root, 'dev'),
    dev: { periodSeconds: 0 },
    http: { host: '127.0.0.1', port: 0 },
    ws: { host: '127.0.0.1', port: 0 },
    port: 0,
    logger: silentLogger,
    logIntervalMs: 0,
  })
  await node.start()
  const [first] = await node.accounts.accounts()
  dev = `0x${Buffer.from(first?.address ?? []).toString('hex')}` as Address
})

afterAll(async () => {
  await node?.stop()
  rmSync(root, { recursive: true, force: true })
})

describe('--dev over HTTP and WebSocket (viem)', () => {
  it('unlocks the dev signer: eth_accounts and eth_sendTransaction, sealed on arrival', async () => {
    const pub = createPublicClient({ chain: devChain, transport: http(node.rpcUrl) })
    expect(await pub.request({ method: 'eth_accounts' as never })).toEqual([dev])
    const wallet = createWalletClient({ chain: devChain, transport: http(node.rpcUrl) })
    const to = `0x${'42'.repeat(20)}` as Address
    const hash = await wallet.sendTransaction({ account: dev, to, value: parseEther('1') })
    const receipt = await pub.waitForTransactionReceipt({
      hash,
      timeout: 20_000,
      pollingInterval: 50,
    })
    expect(receipt.status).toBe('success')
    expect(receipt.from).toBe(dev)
    expect(await pub.getBalance({ address: to })).toBe(parseEther('1'))
    // eth_sign and eth_signTypedData_v4 from the same account recover to it
    const sig = await wallet.signMessage({ account: dev, message: 'hello' })
    const { recoverMessageAddress } = await import('viem')
    expect((await recoverMessageAddress({ message: 'hello', signature: sig })).toLowerCase()).toBe(
      dev,
    )
    const typed = {
      domain: { name: 'ethwire', chainId: 1337 },
      types: { Greeting: [{ name: 'text', type: 'string' }] },
      primaryType: 'Greeting',
      message: { text: 'hi' },
    } as const
    const typedSig = await wallet.signTypedData({ account: dev, ...typed })
    const { recoverTypedDataAddress } = await import('viem')
    expect((await recoverTypedDataAddress({ ...typed, signature: typedSig })).toLowerCase()).toBe(
      dev,
    )
    // HTTP is on and --allow-insecure-unlock is not: personal_unlockAccount is refused, as geth
    await expect(
      pub.request({ method: 'personal_unlockAccount' as never, params: [dev, '', 0] as never }),
    ).rejects.toThrow('account unlock with HTTP access is forbidden')
    // subscriptions need WebSocket
    await expect(
      pub.request({ method: 'eth_subscribe' as never, params: ['newHeads'] as never }),
    ).rejects.toThrow('notifications not supported')
  })

  it('watches newHeads and logs over WebSocket subscriptions', async () => {
    const wsClient = createPublicClient({ chain: devChain, transport: webSocket(node.wsUrl) })
    const wallet = createWalletClient({ chain: devChain, transport: http(node.rpcUrl) })
    const pub = createPublicClient({ chain: devChain, transport: http(node.rpcUrl) })
    try {
      // deploy the test contract (its runtime logs LOG1(0x77, word) for any word sent)
      const deploy = await wallet.sendTransaction({
        account: dev,
        data: `0x${Buffer.from(initCode).toString('hex')}` as Hex,
      })
      const { contractAddress } = await pub.waitForTransactionReceipt({
        hash: deploy,
        timeout: 20_000,
        pollingInterval: 50,
      })
      const address = contractAddress as Address
      const heads: bigint[] = []
      const logs: { data: Hex; removed: boolean; address: string }[] = []
      let gotHead: () => void = () => {}
      let gotLog: () => void = () => {}
      const headSeen = new Promise<void>((r) => {
        gotHead = r
      })
      const logSeen = new Promise<void>((r) => {
        gotLog = r
      })
      const unwatchBlocks = wsClient.watchBlocks({
        poll: false,
        onBlock: (b) => {
          heads.push(b.number)
          gotHead()
        },
      })
      const unwatchLogs = wsClient.watchEvent({
        address,
        poll: false,
        onLogs: (ls) => {
          for (const l of ls) logs.push({ data: l.data, removed: l.removed, address: l.address })
          gotLog()
        },
      })
      // the subscriptions are in place once both eth_subscribe calls answered
      await within(
        (async () => {
          while ((node.rpc?.ws?.stats().connections ?? 0) < 1)
            await new Promise((r) => setTimeout(r, 20))
        })(),
        5000,
        'ws connection',
      )
      await new Promise((r) => setTimeout(r, 200)) // eth_subscribe round trips on the connection
      const word = `0x${'00'.repeat(31)}05` as Hex
      const call = await wallet.sendTransaction({ account: dev, to: address, data: word })
      const r = await pub.waitForTransactionReceipt({
        hash: call,
        timeout: 20_000,
        pollingInterval: 50,
      })
      await within(Promise.all([headSeen, logSeen]), 10_000, 'notifications')
      expect(heads).toContain(r.blockNumber)
      expect(logs).toEqual([{ data: word, removed: false, address }])
      unwatchBlocks()
      unwatchLogs()
    } finally {
      await wsClient.transport.getRpcClient().then((c) => c.close())
    }
  })

  it('newPendingTransactions sends hashes (and full transactions with true)', async () => {
    const c = new WebSocket(node.wsUrl as string)
    await within(new Promise((r) => c.once('open', r)), 5000, 'open')
    try {
      const messages: {
        id?: number
        result?: unknown
        params?: { subscription: string; result: unknown }
      }[] = []
      c.on('message', (d) => messages.push(JSON.parse(String(d))))
      c.send(
        JSON.stringify({
          jsonrpc: '2.0',
          id: 1,
          method: 'eth_subscribe',
          params: ['newPendingTransactions'],
        }),
      )
      c.send(
        JSON.stringify({
          jsonrpc: '2.0',
          id: 2,
          method: 'eth_subscribe',
          params: ['newPendingTransactions', true],
        }),
      )
      const until = async (f: () => boolean, what: string) =>
        within(
          (async () => {
            while (!f()) await new Promise((r) => setTimeout(r, 20))
          })(),
          10_000,
          what,
        )
      await until(() => messages.filter((m) => m.id !== undefined).length === 2, 'subscribed')
      const hashSub = messages.find((m) => m.id === 1)?.result
      const fullSub = messages.find((m) => m.id === 2)?.result
      const wallet = createWalletClient({ chain: devChain, transport: http(node.rpcUrl) })
      const hash = await wallet.sendTransaction({
        account: dev,
        to: `0x${'43'.repeat(20)}`,
        value: 1n,
      })
      await until(() => messages.filter((m) => m.params).length >= 2, 'notifications')
      const notes = messages.filter((m) => m.params)
      expect(notes.find((m) => m.params?.subscription === hashSub)?.params?.result).toBe(hash)
      const full = notes.find((m) => m.params?.subscription === fullSub)?.params?.result as {
        hash: string
        from: string
      }
      expect(full.hash).toBe(hash)
      expect(full.from).toBe(dev)
    } finally {
      c.terminate()
    }
  })
})

describe('keystore accounts on a node (account new, --unlock, --password)', () => {
  it('unlocks an account made with `account new` and sends from it', async () => {
    const datadir = join(root, 'ks')
    const pwFile = join(root, 'pw.txt')
    writeFileSync(pwFile, 'correct horse\n')
    const out = await accountCommand({ datadir, lightkdf: true, password: pwFile }, ['new'])
    const address = /0x[0-9a-fA-F]{40}/.exec(out)?.[0]?.toLowerCase() as Address
    expect(address).toBeTruthy()
    expect(await accountCommand({ datadir }, ['list'])).toContain(address.slice(2))

    // unlocking while HTTP is on needs --allow-insecure-unlock, as in go-ethereum
    const refused = createNode({
      datadir: join(root, 'refused'),
      dev: { periodSeconds: 0 },
      http: { host: '127.0.0.1', port: 0 },
      port: 0,
      logger: silentLogger,
      logIntervalMs: 0,
      accounts: { keystore: join(datadir, 'keystore'), unlock: address, passwordFile: pwFile },
    })
    await expect(refused.start()).rejects.toThrow('Account unlock with HTTP access is forbidden!')
    await refused.stop()

    // a dev node over that keystore: the dev account funds the new one, which then sends
    const ks = createNode({
      datadir: join(root, 'dev2'),
      dev: { periodSeconds: 0 },
      http: { host: '127.0.0.1', port: 0 },
      port: 0,
      logger: silentLogger,
      logIntervalMs: 0,
      accounts: {
        keystore: join(datadir, 'keystore'),
        unlock: address,
        passwordFile: pwFile,
        allowInsecureUnlock: true,
      },
    })
    await ks.start()
    try {
      const pub = createPublicClient({ chain: devChain, transport: http(ks.rpcUrl) })
      const accounts = (await pub.request({ method: 'eth_accounts' as never })) as string[]
      expect(accounts).toContain(address)
      const wallet = createWalletClient({ chain: devChain, transport: http(ks.rpcUrl) })
      // the keystore also holds the refused node's dev key (locked); the unlocked other one is ours
      const devAddr = accounts.find(
        (a) => a !== address && ks.accounts.isUnlocked(Buffer.from(a.slice(2), 'hex')),
      ) as Address
      const fund = await wallet.sendTransaction({
        account: devAddr,
        to: address,
        value: parseEther('2'),
      })
      await pub.waitForTransactionReceipt({ hash: fund, timeout: 20_000, pollingInterval: 50 })
      const hash = await wallet.sendTransaction({
        account: address,
        to: `0x${'44'.repeat(20)}`,
        value: parseEther('1'),
      })
      const receipt = await pub.waitForTransactionReceipt({
        hash,
        timeout: 20_000,
        pollingInterval: 50,
      })
      expect(receipt.from).toBe(address)
      expect(receipt.status).toBe('success')
      // personal_unlockAccount is allowed here (--allow-insecure-unlock)
      expect(
        await pub.request({
          method: 'personal_unlockAccount' as never,
          params: [address, 'correct horse', 60] as never,
        }),
      ).toBe(true)
    } finally {
      await ks.stop()
    }
  })
})
