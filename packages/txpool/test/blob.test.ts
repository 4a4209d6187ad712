/**
 * Blob transactions validated as a whole (go-ethereum validation.go validateBlobSidecar and its
 * Osaka cell-proof version; ethtest TestBlobViolations / TestBlobTxWithoutSidecar /
 * TestBlobTxWithMismatchedSidecar), with real blobs, commitments and proofs from the KZG library.
 */
import { type BlobSidecar, Transaction } from '@ethwire/rlp-wire'
import { beforeAll, describe, expect, it } from 'vitest'
import {
  blobVersionedHash,
  createMemoryJournal,
  createTxPool,
  isTxPoolError,
  type TxPoolError,
  type TxPoolOptions,
} from '../src/index.js'
import { loadKzg } from '../src/kzg.js'
import { createMemoryChain, makeBlobSidecar, signTx, testBlob } from '../src/testing.js'
import cellFixture from './fixtures/cell-proofs.json' with { type: 'json' }
import { acceptAllProofs, alice, blobTx, chainId } from './helpers.js'

const hexOf = (b: Uint8Array) => `0x${Buffer.from(b).toString('hex')}`
const fromHex = (h: string) => new Uint8Array(Buffer.from(h.slice(2), 'hex'))
const eth = 10n ** 18n

function signBlobTx(nonce: bigint, hashes: Uint8Array[], sidecar?: BlobSidecar) {
  return signTx(
    {
      type: 3,
      chainId,
      nonce,
      maxPriorityFeePerGas: 2n,
      maxFeePerGas: 100n,
      maxFeePerBlobGas: 10n,
      blobVersionedHashes: hashes,
      gasLimit: 21_000n,
      to: new Uint8Array(20).fill(9),
      value: 0n,
      data: new Uint8Array(0),
      accessList: [],
    },
    alice.key,
    sidecar,
  )
}

/** A pool at a head of the given time, Osaka at t = 100. */
async function pool(
  time: bigint,
  opts: Partial<TxPoolOptions> = {},
  journal = createMemoryJournal(),
) {
  const chain = createMemoryChain({ [hexOf(alice.address)]: { balance: eth } }, { time })
  const p = createTxPool({ chain, journal }, { chainId, forks: { osakaTime: 100n }, ...opts })
  await p.start()
  return p
}

async function refused(p: Promise<unknown>) {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(isTxPoolError(err)).toBe(true)
  return err as TxPoolError
}

let v0: { sidecar: BlobSidecar; versionedHashes: Uint8Array[] }
let v1: { sidecar: BlobSidecar; versionedHashes: Uint8Array[] }

beforeAll(async () => {
  // version 0: one blob, its commitment and blob proof computed here by the library
  v0 = await makeBlobSidecar([testBlob(1)], 0)
  // version 1: 128 cell proofs take seconds to compute, so they come from the fixture (made by
  // the same library, test/fixtures/make-cell-proofs.ts); the commitment is recomputed here
  const kzg = await loadKzg()
  const blob = testBlob(2)
  const commitment = fromHex(cellFixture.commitment)
  expect(kzg.blobToKzgCommitment(hexOf(blob))).toBe(cellFixture.commitment)
  v1 = {
    sidecar: {
      version: 1,
      blobs: [blob],
      commitments: [commitment],
      proofs: cellFixture.proofs.map(fromHex),
    },
    versionedHashes: [blobVersionedHash(commitment)],
  }
}, 120_000)

describe('blob sidecars before Osaka (version 0, one proof per blob)', () => {
  it('accepts a blob transaction whose sidecar matches, by addRaw of its network form too', async () => {
    const tx = signBlobTx(0n, v0.versionedHashes, v0.sidecar)
    const p = await pool(0n)
    const added = await p.add(tx)
    expect(added.pending).toBe(true)
    expect(added.tx.sidecar?.proofs).toHaveLength(1)
    // eth_sendRawTransaction carries the network form: 0x03 ‖ rlp([tx, blobs, commitments, proofs])
    const q = await pool(0n)
    const raw = tx.encodeNetwork() as Uint8Array
    expect((await q.addRaw(raw, { local: true })).tx.sidecar?.blobs[0]).toEqual(v0.sidecar.blobs[0])
  })

  it('a local blob transaction keeps its sidecar across a restart (journal)', async () => {
    const journal = createMemoryJournal()
    const tx = signBlobTx(0n, v0.versionedHashes, v0.sidecar)
    const p1 = await pool(0n, {}, journal)
    await p1.add(tx, { local: true })
    await p1.stop()
    const p2 = await pool(0n, {}, journal)
    expect(p2.get(tx.hash)?.tx.sidecar?.commitments).toEqual(v0.sidecar.commitments)
  })

  it('rejects a bad proof (KZG verification error), blaming the peer', async () => {
    const bad = { ...v0.sidecar, proofs: [v0.sidecar.commitments[0] as Uint8Array] } // a valid point, the wrong proof
    const err = await refused((await pool(0n)).add(signBlobTx(0n, v0.versionedHashes, bad)))
    expect(err.code).toBe('ErrKzgVerification')
    expect(err.message).toBe('KZG verification error: invalid blob proof')
    expect(err.peerFault).toBe(true)
  })

  it('rejects a versioned hash that is not 0x01 ‖ sha256(commitment)[1:]', async () => {
    const wrong = new Uint8Array(v0.versionedHashes[0] as Uint8Array)
    wrong[31] = (wrong[31] as number) ^ 1
    const err = await refused((await pool(0n)).add(signBlobTx(0n, [wrong], v0.sidecar)))
    expect(err.code).toBe('ErrBlobHashMismatch')
    expect(err.message).toBe(
      `blob 0: computed hash ${hexOf(v0.versionedHashes[0] as Uint8Array)} mismatches transaction one ${hexOf(wrong)}`,
    )
    expect(err.peerFault).toBe(true)
    // the hash rule itself: version byte 0x01, then sha256 of the commitment from byte 1
    const { sha256 } = await import('@noble/hashes/sha2.js')
    const h = sha256(v0.sidecar.commitments[0] as Uint8Array)
    expect(hexOf((v0.versionedHashes[0] as Uint8Array).subarray(1))).toBe(hexOf(h.subarray(1)))
    expect(v0.versionedHashes[0]?.[0]).toBe(0x01)
  })

  it('rejects a blob transaction without its sidecar (the consensus form)', async () => {
    const bare = Transaction.decode(signBlobTx(0n, v0.versionedHashes, v0.sidecar).encode())
    expect(bare.sidecar).toBeUndefined()
    const err = await refused((await pool(0n)).add(bare))
    expect(err).toMatchObject({
      code: 'ErrBlobSidecarMissing',
      message: 'missing sidecar in blob transaction',
      peerFault: true,
    })
  })

  it('rejects counts that do not match (blobs, commitments, proofs, versioned hashes)', async () => {
    const p = await pool(0n)
    const second = blobVersionedHash(new Uint8Array(48).fill(0xc0))
    const twoHashes = await refused(
      p.add(signBlobTx(0n, [...v0.versionedHashes, second], v0.sidecar)),
    )
    expect(twoHashes).toMatchObject({
      code: 'ErrBlobSidecarFormat',
      message: 'Wrong sidecar format: invalid number of 1 blobs compared to 2 blob hashes',
      peerFault: true,
    })
    const twoProofs = { ...v0.sidecar, proofs: [...v0.sidecar.proofs, ...v0.sidecar.proofs] }
    const err = await refused(p.add(signBlobTx(0n, v0.versionedHashes, twoProofs)))
    expect(err.message).toBe('Wrong sidecar format: invalid number of 2 blob proofs expected 1')
  })

  it('addRemotes hands the peer-fault errors back per transaction (for the fetcher to drop the sender)', async () => {
    const p = await pool(0n)
    const bare = Transaction.decode(signBlobTx(0n, v0.versionedHashes, v0.sidecar).encode())
    const [r] = await p.addRemotes([bare])
    expect(r).toMatchObject({ code: 'ErrBlobSidecarMissing', peerFault: true })
  })
})

describe('blob sidecars from Osaka (version 1, 128 cell proofs per blob)', () => {
  it('accepts cell proofs that verify', async () => {
    const p = await pool(100n)
    expect((await p.add(signBlobTx(0n, v1.versionedHashes, v1.sidecar))).pending).toBe(true)
  })

  it('rejects a bad cell proof', async () => {
    const proofs = [...v1.sidecar.proofs]
    ;[proofs[0], proofs[1]] = [proofs[1] as Uint8Array, proofs[0] as Uint8Array]
    const err = await refused(
      (await pool(100n)).add(signBlobTx(0n, v1.versionedHashes, { ...v1.sidecar, proofs })),
    )
    expect(err).toMatchObject({
      code: 'ErrKzgVerification',
      message: 'KZG verification error: invalid cell proof',
      peerFault: true,
    })
  })

  it('rejects 127 cell proofs, and the version the fork does not want', async () => {
    const p = await pool(100n)
    const short = { ...v1.sidecar, proofs: v1.sidecar.proofs.slice(1) }
    const err = await refused(p.add(signBlobTx(0n, v1.versionedHashes, short)))
    expect(err.message).toBe('Wrong sidecar format: invalid number of 127 blob proofs expected 128')
    const old = await refused(p.add(signBlobTx(0n, v0.versionedHashes, v0.sidecar)))
    expect(old).toMatchObject({
      code: 'ErrBlobSidecarFormat',
      message: 'Wrong sidecar format: unexpected sidecar version, want: 1, got: 0',
    })
    const early = await refused(
      (await pool(99n)).add(signBlobTx(0n, v1.versionedHashes, v1.sidecar)),
    )
    expect(early.message).toBe('Wrong sidecar format: unexpected sidecar version, want: 0, got: 1')
  })
})

describe('without a fork schedule', () => {
  it('takes either sidecar version, each verified its own way (cell proofs computed here)', async () => {
    // 128 cell proofs of an all-zero blob are cheap to compute, so this one is made in the test
    const zero = await makeBlobSidecar([new Uint8Array(131_072)], 1)
    expect(zero.sidecar.proofs).toHaveLength(128)
    const p = createTxPool({}, { chainId })
    await p.add(signBlobTx(0n, v0.versionedHashes, v0.sidecar))
    await p.add(signBlobTx(1n, zero.versionedHashes, zero.sidecar))
    expect(p.status()).toEqual({ pending: 2, queued: 0 })
    const bad = { ...zero.sidecar, proofs: [...zero.sidecar.proofs] }
    bad.proofs[5] = v1.sidecar.proofs[5] as Uint8Array
    const err = await refused(p.add(signBlobTx(2n, zero.versionedHashes, bad)))
    expect(err.code).toBe('ErrKzgVerification')
  }, 60_000)

  it('too many blobs is an ordinary rejection, not the peer’s fault', async () => {
    const p = createTxPool({ blobVerifier: acceptAllProofs }, { chainId })
    const err = await refused(p.add(blobTx(alice.key, 0n, { blobs: 7 })))
    expect(err).toMatchObject({
      code: 'ErrBlobLimit',
      message: 'transaction blob limit exceeded: blob count 7, limit 6',
      peerFault: false,
    })
  })
})
