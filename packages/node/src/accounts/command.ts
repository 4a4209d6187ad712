/**
 * `ethwire account new | list | import <keyfile>` over the CLI flags: `--datadir`,
 * `--keystore`, `--lightkdf` and `--password <file>` (its first line is the password; without
 * it there is no interactive prompt, so `new` and `import` refuse).
 */
import { accountImport, accountList, accountNew, readPasswordFile } from './cli.js'
import { AccountsError } from './errors.js'

export interface AccountCommandFlags {
  datadir: string
  keystore?: string
  lightkdf?: boolean
  /** Path of the password file. */
  password?: string
}

/** Runs one `account` subcommand; resolves to the text to print. */
export async function accountCommand(
  flags: AccountCommandFlags,
  args: readonly string[],
): Promise<string> {
  const [sub, ...rest] = args
  const base = {
    datadir: flags.datadir,
    ...(flags.keystore === undefined ? {} : { keystore: flags.keystore }),
    kdf: flags.lightkdf ? ('light' as const) : ('standard' as const),
  }
  const password = async (): Promise<string> => {
    if (flags.password === undefined)
      throw new AccountsError(
        'ErrPasswordFile',
        `account ${sub}: give the password in a file with --password <file>`,
      )
    return (await readPasswordFile(flags.password))[0] ?? ''
  }
  switch (sub) {
    case 'new':
      if (rest.length) break
      return (await accountNew({ ...base, password: await password() })).output
    case 'list':
      if (rest.length) break
      return (await accountList(base)).output
    case 'import':
      if (rest.length !== 1) break
      return (
        await accountImport({ ...base, keyfile: rest[0] as string, password: await password() })
      ).output
  }
  throw new AccountsError(
    'ErrInvalidParams',
    'usage: ethwire account new | account list | account import <keyfile>',
  )
}
