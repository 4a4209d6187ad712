/**
 * What the handshake consumes from other packages, declared as narrowly as it needs it (the
 * clock and the connection are `@ethwire/interface`'s `Clock` and `MsgReadWriter`).
 */

/** A header as far as the DAO challenge looks at it. */
export interface ChallengeHeader {
  readonly number: bigint
  readonly extra: Uint8Array
}

/**
 * What the DAO-fork challenge needs from a peer: ask for headers by number. `@ethwire/peerset`'s
 * `Peer` satisfies it.
 */
export interface HeaderRequester {
  requestHeadersByNumber(
    request: { number: bigint; amount: number; skip?: number; reverse?: boolean },
    options?: { signal?: AbortSignal; timeoutMs?: number },
  ): Promise<readonly ChallengeHeader[]>
}
