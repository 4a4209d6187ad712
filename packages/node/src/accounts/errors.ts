import { isCodedError } from '@ethwire/interface/runtime'

/** Every failure of the accounts module has one of these codes. */
export type AccountsErrorCode =
  /** The account is known but locked: "authentication needed: password or unlock". */
  | 'ErrLocked'
  /** No key file in the keystore holds this address: "unknown account". */
  | 'ErrUnknownAccount'
  /** The MAC did not match: "could not decrypt key with given password". */
  | 'ErrDecrypt'
  /** Import of a key whose address is already in the keystore: "account already exists". */
  | 'ErrAccountExists'
  /** A key file that is not Web3 Secret Storage v3 we can read (JSON, version, cipher, kdf, hex). */
  | 'ErrInvalidKeyFile'
  /** A private key that is not 32 bytes in [1, n-1] (or a raw key file that is not 64 hex digits). */
  | 'ErrInvalidKey'
  /** Transaction arguments that cannot make a transaction (go-ethereum's messages). */
  | 'ErrInvalidTransaction'
  /** EIP-712 typed data that does not match its types. */
  | 'ErrInvalidTypedData'
  /** A signature that is not 65 bytes with v 27/28 (or 0/1 where allowed). */
  | 'ErrInvalidSignature'
  /** A `--password` file that cannot be read or has no line for an account. */
  | 'ErrPasswordFile'
  /** An `--unlock` entry that is neither a known address nor an index into the account list. */
  | 'ErrInvalidUnlock'
  /** JSON-RPC parameters of the wrong shape (map to -32602). */
  | 'ErrInvalidParams'
  /** `personal_unlockAccount` where unlocking is off (HTTP without `--allow-insecure-unlock`). */
  | 'ErrUnlockForbidden'

/** Messages go-ethereum uses for the same errors (JSON-RPC clients compare them). */
export const accountsErrorMessages = {
  ErrLocked: 'authentication needed: password or unlock',
  ErrUnknownAccount: 'unknown account',
  ErrDecrypt: 'could not decrypt key with given password',
  ErrAccountExists: 'account already exists',
  ErrUnlockForbidden: 'account unlock with HTTP access is forbidden',
} as const satisfies Partial<Record<AccountsErrorCode, string>>

/**
 * A typed error of the accounts module. `message` is the text a JSON-RPC error carries (for the
 * first four codes exactly go-ethereum's), `code` the stable code to branch on.
 */
export class AccountsError extends Error {
  override readonly name = 'AccountsError'
  readonly code: AccountsErrorCode

  constructor(code: AccountsErrorCode, message?: string, opts: { cause?: unknown } = {}) {
    super(
      message ??
        (accountsErrorMessages as Partial<Record<AccountsErrorCode, string>>)[code] ??
        code,
      opts.cause === undefined ? undefined : { cause: opts.cause },
    )
    this.code = code
  }
}

/** Whether `err` is an {@link AccountsError} (with `code`, when given), by its name brand and code. */
export function isAccountsError(err: unknown, code?: AccountsErrorCode): err is AccountsError {
  return isCodedError<AccountsError>(err, 'AccountsError', code)
}
