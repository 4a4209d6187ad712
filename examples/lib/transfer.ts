/** A signed EIP-1559 transfer (for send-transfer.ts and the tests). */
import { sign } from '@ethwire/crypto'
import { hexToBytes, Transaction, type TxData } from '@ethwire/rlp-wire'

export function signTransfer(
  key: Uint8Array,
  fields: { chainId: bigint; nonce: bigint; value: bigint; to?: string },
): Transaction {
  const data: TxData = {
    type: 2,
    chainId: fields.chainId,
    nonce: fields.nonce,
    maxPriorityFeePerGas: 1_000_000_000n,
    maxFeePerGas: 2_000_000_000n,
    gasLimit: 21_000n,
    to: hexToBytes(fields.to ?? '0x000000000000000000000000000000000000dead'),
    value: fields.value,
    data: new Uint8Array(0),
    accessList: [],
    v: 0n,
    r: 0n,
    s: 0n,
  }
  const sig = sign(Transaction.fromData(data).sigHash(), key)
  return Transaction.fromData({ ...data, v: BigInt(sig.recovery), r: sig.r, s: sig.s })
}
