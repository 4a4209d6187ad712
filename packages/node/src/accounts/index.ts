/**
 * The accounts module of the ethwire node (go-ethereum's `accounts/keystore` and the signing RPC
 * methods): Web3 Secret Storage v3 key files in `<datadir>/keystore`, an account manager with
 * timed unlocking on an injected clock, EIP-191 / EIP-712 signing, transaction filling and
 * signing for `eth_sendTransaction` / `eth_signTransaction`, the JSON-RPC handlers and the
 * bodies of the `account` CLI commands. See README.md beside this file.
 *
 * @example
 * ```ts
 * import { createAccountManager, signText } from '@ethwire/node'
 *
 * const accounts = createAccountManager({}, { keystoreDir: './data/keystore', kdf: 'light' })
 * const { address } = await accounts.newAccount('correct horse')
 * await accounts.unlock(address, 'correct horse', 60_000)
 * const signature = await signText(accounts, address, new TextEncoder().encode('hello'))
 * await accounts.stop()
 * ```
 */
export { addressKey, parseAddress, toChecksumAddress } from './address.js'
export {
  type AccountCommandOptions,
  type AccountCommandResult,
  accountImport,
  accountList,
  accountNew,
  keystoreDir,
  passwordFor,
  type ResolvedUnlock,
  readPasswordFile,
  readRawKeyFile,
  resolveUnlockList,
  splitUnlockFlag,
  unlockAccounts,
} from './cli.js'
export { type AccountCommandFlags, accountCommand } from './command.js'
export {
  defaultPbkdf2Iterations,
  defaultTxFeeCapWei,
  defaultUnlockDurationMs,
  derivedKeyLengthBytes,
  keyFileMode,
  keystoreDirMode,
  keystoreDirName,
  lightScryptN,
  lightScryptP,
  maxKeyFileBytes,
  maxPbkdf2Iterations,
  maxScryptMemoryBytes,
  scryptR,
  standardScryptN,
  standardScryptP,
} from './constants.js'
export {
  AccountsError,
  type AccountsErrorCode,
  accountsErrorMessages,
  isAccountsError,
} from './errors.js'
export {
  addressOfKey,
  checkPrivateKey,
  type DecryptedKey,
  decryptKey,
  type EncryptKeyOptions,
  encryptKey,
  type KdfOption,
  type KeyFileCrypto,
  type KeyFileJson,
  keyFileAddress,
  keyFileName,
  type Pbkdf2Kdf,
  parseKeyFile,
  resolveKdf,
  type ScryptKdf,
  writeKeyFile,
} from './keystore.js'
export {
  type Account,
  type AccountManager,
  type AccountManagerDeps,
  type AccountManagerOptions,
  createAccountManager,
  type SignOptions,
} from './manager.js'
export {
  createNodeAccounts,
  type NodeAccounts,
  type NodeAccountsOptions,
  txFillBackend,
} from './node.js'
export {
  type AccountRpcDeps,
  type AccountRpcHandler,
  ethAccountMethods,
  formatPendingTransaction,
  personalAccountMethods,
} from './rpc-methods.js'
export {
  decodeSignature,
  encodeSignature,
  type HashSigner,
  recoverTextSigner,
  signText,
  signTypedData,
  textHash,
} from './sign.js'
export {
  type CallArgs,
  checkTxFee,
  type FillOptions,
  fillTransaction,
  parseTransactionArgs,
  prepareTransaction,
  type SignedTransaction,
  signTransaction,
  type TransactionArgs,
  type TxFillBackend,
  txSigHash,
  type UnsignedTx,
  withSignature,
} from './tx.js'
export {
  domainSeparator,
  encodeData,
  encodeType,
  hashStruct,
  hashTypedData,
  parseTypedData,
  type TypedData,
  type TypedDataField,
  typeHash,
} from './typed-data.js'
