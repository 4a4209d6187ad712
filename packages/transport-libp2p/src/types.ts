/**
 * What this package consumes from libp2p, as narrow structural types: a stream after protocol
 * negotiation (`@libp2p/interface` `Stream` satisfies it). The clock is `@ethwire/interface`'s
 * `Clock` (only `now()` is used).
 */

/** The part of a libp2p 3 `Stream` the eth connection uses. */
export interface FrameStream {
  readonly protocol?: string
  readonly status: string
  readonly writeBufferLength: number
  maxReadBufferLength: number
  send(data: Uint8Array): boolean
  close(options?: { signal?: AbortSignal }): Promise<void>
  abort(err: Error): void
  pause(): void
  resume(): void
  addEventListener(
    type: 'message',
    listener: (evt: { data: Uint8Array | Iterable<Uint8Array> }) => void,
  ): void
  addEventListener(type: 'close', listener: (evt: { error?: Error; local?: boolean }) => void): void
  addEventListener(type: 'end' | 'drain' | 'idle', listener: () => void): void
  removeEventListener(
    type: 'message' | 'close' | 'end' | 'drain' | 'idle',
    listener: (evt: never) => void,
  ): void
}
