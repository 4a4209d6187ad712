import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createNode, silentLogger } from '@ethwire/node'
import { JsonRpcProvider, Network, parseEther } from 'ethers'
import { createPublicClient, createWalletClient, defineChain, http } from 'viem'

// A --dev node that seals a block whenever a transaction arrives; its dev account is unlocked.
const datadir = mkdtempSync(join(tmpdir(), 'ethwire-clients-'))
const node = createNode({
  datadir,
  dev: { periodSeconds: 0 },
  http: { host: '127.0.0.1', port: 0 },
  port: 0,
  logger: silentLogger,
  logIntervalMs: 0,
})
await node.start()
const rpcUrl = node.rpcUrl as string
const to = `0x${'42'.repeat(20)}` as const

// ethers v6. Blocks come only with transactions: poll often, and turn off the 250 ms cache that
// answers repeated requests (a stale receipt or nonce) from the previous reply.
const network = new Network('ethwire-dev', 1337n)
const provider = new JsonRpcProvider(rpcUrl, network, {
  staticNetwork: network,
  pollingInterval: 100,
  cacheTimeout: -1,
})
const [dev] = await provider.listAccounts() // a JsonRpcSigner: the node signs (eth_sendTransaction)
const tx = await dev!.sendTransaction({ to, value: parseEther('1') })
const receipt = await tx.wait()
const fees = await provider.getFeeData()
console.log('ethers: block', receipt?.blockNumber, 'status', receipt?.status)
console.log('ethers: maxFeePerGas', fees.maxFeePerGas, 'tip', fees.maxPriorityFeePerGas)

// viem: the same account as a JSON-RPC account
const chain = defineChain({
  id: 1337,
  name: 'ethwire dev',
  nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
  rpcUrls: { default: { http: [rpcUrl] } },
})
const client = createPublicClient({ chain, transport: http(rpcUrl), pollingInterval: 100 })
const wallet = createWalletClient({ chain, transport: http(rpcUrl) })
const [account] = await wallet.getAddresses()
const hash = await wallet.sendTransaction({ account: account!, to, value: parseEther('1') })
const mined = await client.waitForTransactionReceipt({ hash })
console.log('viem: block', mined.blockNumber, 'status', mined.status)
console.log('viem: balance of', to, await client.getBalance({ address: to }))
console.log('viem: fees', await client.estimateFeesPerGas())

provider.destroy()
await node.stop()
rmSync(datadir, { recursive: true, force: true })
