/**
 * Brand checks for typed errors. Every ethwire package ships ESM and CJS builds, so two copies of
 * an error class can meet in one process and `instanceof` can lie; a guard checks the `name` the
 * class sets and a string `code` instead (as libp2p's errors do).
 */

/** The string `code` of an error-like value, or undefined (a typed accessor instead of a cast). */
export function errorCode(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined
  const code = (err as { code?: unknown }).code
  return typeof code === 'string' ? code : undefined
}

/**
 * Whether `err` is a typed error of the class whose `name` is `name` — an object with that `name`
 * and a string `code` — and, when `code` is given, with that code.
 */
export function isCodedError<E extends Error & { readonly code: string }>(
  err: unknown,
  name: string,
  code?: string,
): err is E {
  if (typeof err !== 'object' || err === null) return false
  if ((err as { name?: unknown }).name !== name) return false
  const c = errorCode(err)
  return c !== undefined && (code === undefined || c === code)
}
