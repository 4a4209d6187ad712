/**
 * The accounts of a running node: the keystore's {@link AccountManager}, the `--dev` signer
 * unlocked, `--unlock` / `--password`, and the `eth_` / `personal_` account methods over the
 * node's JSON-RPC backend (a {@link TxFillBackend} of pending nonce, gas estimate, tip, base fee
 * and chain id; `eth_sendTransaction` hands the signed transaction to the pool).
 */
import type { Clock } from '@ethwire/interface'
import type { Transaction } from '@ethwire/rlp-wire'
import { isTxPoolError } from '@ethwire/txpool'
import type { Backend } from '../rpc/backend.js'
import { RpcError, RpcErrorCode, type RpcMethods } from '../rpc/dispatch.js'
import { formatTransaction } from '../rpc/format.js'
import { executionError } from '../rpc/methods/state.js'
import { keystoreDir, readPasswordFile, unlockAccounts } from './cli.js'
import { AccountsError, isAccountsError } from './errors.js'
import { addressOfKey } from './keystore.js'
import { type AccountManager, createAccountManager } from './manager.js'
import { ethAccountMethods, personalAccountMethods } from './rpc-methods.js'
import type { TxFillBackend } from './tx.js'

export interface NodeAccountsOptions {
  datadir: string
  /** Keystore folder (`--keystore`); default `<datadir>/keystore`. */
  keystore?: string
  /** `--lightkdf`: light scrypt parameters for new key files. */
  lightKdf?: boolean
  /** `--unlock`: comma-separated addresses or `account list` indices. */
  unlock?: string
  /** `--password`: a file with one password per line. */
  passwordFile?: string
  /** Passwords given directly (tests); used when no `passwordFile`. */
  passwords?: string[]
  /** `--allow-insecure-unlock`: allow unlocking while HTTP/WS RPC is on. */
  allowInsecureUnlock?: boolean
  /** Whether HTTP or WS RPC is served (unlocking is then refused unless allowed). */
  rpcExposed?: boolean
  /** `--rpc.txfeecap` in wei; 0n for no cap. Default 1 ether. */
  txFeeCapWei?: bigint
}

export interface NodeAccounts {
  readonly manager: AccountManager
  /** Unlocks the dev signer (given its key) and the `--unlock` accounts. */
  start(devKey?: Uint8Array): Promise<{ warnings: string[] }>
  stop(): Promise<void>
  /** The `eth_` account methods and the `personal_` namespace, errors as go-ethereum's codes. */
  methods(backend: Backend): RpcMethods
}

/**
 * The transaction-filling backend over the node's JSON-RPC backend. A failed gas estimate is
 * `eth_estimateGas`' error, as go-ethereum's `setDefaults` returns it: a revert is error 3 with
 * the reason and the revert data (clients decode it), not a -32000 with the executor's code.
 */
export function txFillBackend(b: Backend): TxFillBackend {
  return {
    nonceAt: (address) => b.pendingNonce(address),
    estimateGas: async (call) => {
      try {
        return await b.estimateGas({
          header: b.currentHeader(),
          from: call.from,
          to: call.to,
          value: call.value,
          data: call.data,
          gasPrice: call.gasPrice,
          maxFeePerGas: call.maxFeePerGas,
          maxPriorityFeePerGas: call.maxPriorityFeePerGas,
          accessList: call.accessList,
        })
      } catch (err) {
        executionError(err)
      }
    },
    suggestTip: () => b.suggestTip(),
    baseFee: async () => b.currentHeader().baseFee,
    chainId: () => b.chainId,
  }
}

/** JSON-RPC codes for account and pool failures (geth: -32602 for bad params, else -32000). */
function mapErrors(methods: Record<string, (params: unknown[]) => Promise<unknown>>): RpcMethods {
  const out: RpcMethods = {}
  for (const [name, handler] of Object.entries(methods)) {
    out[name] = async (params) => {
      try {
        return await handler(params)
      } catch (err) {
        if (isAccountsError(err, 'ErrInvalidParams'))
          throw new RpcError(RpcErrorCode.InvalidParams, err.message)
        if (isAccountsError(err)) throw new RpcError(RpcErrorCode.Server, err.message)
        if (isTxPoolError(err))
          throw new RpcError(RpcErrorCode.Server, err.message, { code: err.code })
        if (err instanceof Error && !(err instanceof RpcError) && err.name !== 'RpcError')
          throw new RpcError(RpcErrorCode.Server, err.message)
        throw err
      }
    }
  }
  return out
}

export function createNodeAccounts(
  deps: { clock?: Clock },
  options: NodeAccountsOptions,
): NodeAccounts {
  const manager = createAccountManager(deps.clock ? { clock: deps.clock } : {}, {
    keystoreDir: keystoreDir({ datadir: options.datadir, keystore: options.keystore }),
    kdf: options.lightKdf ? 'light' : 'standard',
  })
  const unlockAllowed = !options.rpcExposed || !!options.allowInsecureUnlock
  return {
    manager,
    async start(devKey) {
      const warnings: string[] = []
      if (devKey) {
        // geth --dev: the developer account lives in the keystore with an empty password
        const dev = createAccountManager(deps.clock ? { clock: deps.clock } : {}, {
          keystoreDir: keystoreDir({ datadir: options.datadir, keystore: options.keystore }),
          kdf: 'light',
        })
        try {
          const imported = await dev.importKey(devKey, '')
          await manager.unlock(imported.address, '', 0)
        } catch (err) {
          if (!isAccountsError(err, 'ErrAccountExists')) throw err
          await manager.unlock(addressOfKey(devKey), '', 0)
        } finally {
          await dev.stop()
        }
      }
      if (options.unlock?.trim()) {
        if (!unlockAllowed)
          throw new AccountsError(
            'ErrUnlockForbidden',
            'Account unlock with HTTP access is forbidden!',
          )
        const passwords = options.passwordFile
          ? await readPasswordFile(options.passwordFile)
          : (options.passwords ?? [])
        if (passwords.length === 0)
          throw new AccountsError(
            'ErrPasswordFile',
            '--unlock needs --password <file> (no interactive prompt)',
          )
        const r = await unlockAccounts(manager, options.unlock, passwords)
        warnings.push(...r.warnings)
      }
      return { warnings }
    },
    stop: () => manager.stop(),
    methods(backend) {
      const rpcDeps = {
        manager,
        backend: txFillBackend(backend),
        submit: async (tx: Transaction) => {
          await backend.sendRawTransaction(tx.encode())
        },
        formatTransaction: (tx: Transaction, from: Uint8Array) =>
          formatTransaction(tx, `0x${Buffer.from(from).toString('hex')}`),
        unlockAllowed,
        ...(options.txFeeCapWei === undefined ? {} : { txFeeCapWei: options.txFeeCapWei }),
      }
      return mapErrors({ ...ethAccountMethods(rpcDeps), ...personalAccountMethods(rpcDeps) })
    },
  }
}
