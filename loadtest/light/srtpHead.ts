import { type Cipher, createCipheriv } from 'node:crypto';
import { ProtectionProfileAes128CmHmacSha1_80, SrtcpSession, SrtpSession } from 'werift';

/** The SRTP auth tag of AES_CM_128_HMAC_SHA1_80, at the end of every packet. */
export const SRTP_TAG_BYTES = 10;

export interface SrtpKeys {
  localMasterKey: Buffer;
  localMasterSalt: Buffer;
  remoteMasterKey: Buffer;
  remoteMasterSalt: Buffer;
}

/**
 * The light site's SRTP: it reads only the first bytes of each payload (the VP8 descriptor, a
 * key frame's size, RTX's original sequence number), which in AES counter mode costs one AES
 * block per 16 bytes, instead of decrypting and authenticating whole packets. RTCP goes through
 * werift's full SRTCP both ways (a few packets a second).
 */
export class SrtpHeadReader {
  private readonly ecb: Cipher;
  private readonly salt: Buffer;
  private readonly counters = Buffer.alloc(32);
  private readonly srtcp: SrtcpSession;

  constructor(keys: SrtpKeys) {
    const config = { keys, profile: ProtectionProfileAes128CmHmacSha1_80 };
    // werift derives the session keys (RFC 3711 §4.3); the remote context decrypts what we get.
    const session = new SrtpSession(config);
    const ctx = session.remoteContext;
    this.ecb = createCipheriv('aes-128-ecb', ctx.srtpSessionKey, null);
    this.ecb.setAutoPadding(false);
    this.salt = Buffer.from(ctx.srtpSessionSalt);
    this.srtcp = new SrtcpSession(config);
  }

  /**
   * The first `bytes` (16 or 32) of the payload of an SRTP packet, decrypted: keystream block k
   * is AES(key, salt ⊕ (ssrc, roc, seq) with k in the last two bytes), RFC 3711 §4.1.1.
   */
  head(
    packet: Buffer,
    payloadOffset: number,
    ssrc: number,
    roc: number,
    seq: number,
    bytes: 16 | 32,
  ): Buffer {
    const c = this.counters;
    for (let blk = 0; blk < bytes / 16; blk++) {
      const o = blk * 16;
      c.fill(0, o, o + 16);
      c.writeUInt32BE(ssrc >>> 0, o + 4);
      c.writeUInt32BE(roc >>> 0, o + 8);
      c.writeUInt16BE(seq, o + 12);
      c.writeUInt16BE(blk, o + 14);
      for (let i = 0; i < this.salt.length; i++) c[o + i]! ^= this.salt[i]!;
    }
    const keystream = this.ecb.update(c.subarray(0, bytes));
    const end = Math.min(payloadOffset + bytes, packet.length - SRTP_TAG_BYTES);
    const out = Buffer.allocUnsafe(Math.max(0, end - payloadOffset));
    for (let i = 0; i < out.length; i++) out[i] = packet[payloadOffset + i]! ^ keystream[i]!;
    return out;
  }

  decryptRtcp(packet: Buffer): Buffer {
    return this.srtcp.decrypt(packet);
  }

  encryptRtcp(packet: Buffer): Buffer {
    return this.srtcp.encrypt(packet);
  }
}
