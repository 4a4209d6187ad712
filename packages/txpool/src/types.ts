/**
 * Interfaces the pool consumes. Structural: any object with these methods will do.
 */

/** Account state at the head, when execution is available. Sync or async. */
export interface StateReader {
  getNonce(address: Uint8Array): bigint | Promise<bigint>
  getBalance(address: Uint8Array): bigint | Promise<bigint>
}

/** What the pool needs from a batch recovery pool (`@ethwire/crypto`'s `createRecoveryPool`). */
export interface BatchRecoverer {
  recoverAddresses(
    batch: ReadonlyArray<{ hash: Uint8Array; r: bigint; s: bigint; recovery: number }>,
    opts?: { signal?: AbortSignal },
  ): Promise<Array<Uint8Array | null>>
}

/** Where local transactions are journaled. `createFileJournal(path)` is the disk one. */
export interface JournalStore {
  /** All entries written so far, oldest first (empty when none). */
  load(): Promise<Uint8Array[]>
  /** Appends one entry. */
  append(entry: Uint8Array): Promise<void>
  /** Replaces the whole journal with these entries (atomically where the store can). */
  rewrite(entries: Uint8Array[]): Promise<void>
  close(): Promise<void>
}
