// Typechecking here follows the workspace packages into their sources (the `@ethwire/source`
// condition), and @ethwire/transport-rlpx's source imports `snappyjs`, which ships no types.
// The same declaration as packages/transport-rlpx/src/snappyjs.d.ts.
declare module 'snappyjs' {
  export function compress(input: Uint8Array): Uint8Array
  export function uncompress(input: Uint8Array, maxLength?: number): Uint8Array
}
