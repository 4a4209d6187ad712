/** Defaults and limits of the accounts module (go-ethereum's accounts/keystore values). */

/** scrypt N of a standard key file: 256 MiB of memory and about a second of CPU (`StandardScryptN`). */
export const standardScryptN = 1 << 18
/** scrypt p of a standard key file (`StandardScryptP`). */
export const standardScryptP = 1
/** scrypt N of a light key file: 4 MiB, about 100 ms (`LightScryptN`, geth's `--lightkdf`). */
export const lightScryptN = 1 << 12
/** scrypt p of a light key file (`LightScryptP`). */
export const lightScryptP = 6
/** scrypt r of every key file we write. */
export const scryptR = 8
/** Derived key length of every key file we write. */
export const derivedKeyLengthBytes = 32
/** PBKDF2 iteration count of the key files we write with `kdf: 'pbkdf2'`. */
export const defaultPbkdf2Iterations = 262_144
/** Largest scrypt memory (128·N·r·p bytes, plus slack) a key file may ask for: 1 GiB. */
export const maxScryptMemoryBytes = 1024 * 1024 * 1024
/** Largest PBKDF2 iteration count a key file may ask for. */
export const maxPbkdf2Iterations = 10_000_000
/** Key file format version (Web3 Secret Storage v3). */
export const keyFileVersion = 3
/** The keystore folder inside the data directory. */
export const keystoreDirName = 'keystore'
/** Mode of key files and of the keystore folder's files (owner read/write only). */
export const keyFileMode = 0o600
/** Mode of the keystore folder. */
export const keystoreDirMode = 0o700
/** Largest key file read from the keystore folder (anything bigger is not a key file). */
export const maxKeyFileBytes = 64 * 1024
/** How long `personal_unlockAccount` keeps an account unlocked when no duration is given. */
export const defaultUnlockDurationMs = 300_000
/** Largest unlock duration a timer can hold (2^31-1 ms, about 24.8 days); longer means until locked. */
export const maxTimerMs = 2 ** 31 - 1
/** Largest fee (gas × fee cap) `eth_sendTransaction` signs: go-ethereum's `--rpc.txfeecap` default, 1 ether. */
export const defaultTxFeeCapWei = 10n ** 18n
