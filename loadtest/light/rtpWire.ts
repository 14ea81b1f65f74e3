/*
 * The few RTP and RTCP wire formats a light site reads and writes (RFC 3550, 4585, 7741 and
 * draft-holmer-rmcat-transport-wide-cc-extensions-01). Pure functions on buffers: unit-tested
 * without a network.
 */

export interface RtpHeader {
  payloadType: number;
  marker: boolean;
  sequenceNumber: number;
  timestamp: number;
  ssrc: number;
  /** Where the (encrypted) payload starts. */
  payloadOffset: number;
  /** Padding bytes at the end of the payload (P bit), 0 when unknown before decryption. */
  padding: boolean;
  /** transport-wide-cc sequence number, when the extension with `twccId` is present. */
  twcc?: number;
}

/** RTCP packet types share the second byte's range 192–223 with nothing in RTP (RFC 5761). */
export function isRtcp(buf: Buffer): boolean {
  const pt = buf[1]! & 0x7f;
  return buf.length >= 8 && pt >= 64 && pt <= 95;
}

/** The clear-text header of an SRTP packet (SRTP encrypts the payload only). */
export function parseRtpHeader(buf: Buffer, twccId: number | undefined): RtpHeader | undefined {
  if (buf.length < 12 || buf[0]! >> 6 !== 2) return undefined;
  const cc = buf[0]! & 0x0f;
  let offset = 12 + cc * 4;
  let twcc: number | undefined;
  if (buf[0]! & 0x10) {
    if (buf.length < offset + 4) return undefined;
    const profile = buf.readUInt16BE(offset);
    const words = buf.readUInt16BE(offset + 2);
    const start = offset + 4;
    const end = start + words * 4;
    if (end > buf.length) return undefined;
    if (twccId !== undefined) twcc = findTwcc(buf, start, end, profile, twccId);
    offset = end;
  }
  return {
    payloadType: buf[1]! & 0x7f,
    marker: (buf[1]! & 0x80) !== 0,
    sequenceNumber: buf.readUInt16BE(2),
    timestamp: buf.readUInt32BE(4),
    ssrc: buf.readUInt32BE(8),
    payloadOffset: offset,
    padding: (buf[0]! & 0x20) !== 0,
    ...(twcc !== undefined ? { twcc } : {}),
  };
}

/** One-byte (0xBEDE) or two-byte (0x100x) header extensions (RFC 8285). */
function findTwcc(
  buf: Buffer,
  start: number,
  end: number,
  profile: number,
  id: number,
): number | undefined {
  let i = start;
  if (profile === 0xbede) {
    while (i < end) {
      const b = buf[i]!;
      if (b === 0) {
        i++;
        continue;
      }
      const extId = b >> 4;
      const len = (b & 0x0f) + 1;
      if (extId === 15) return undefined;
      if (extId === id && len >= 2) return buf.readUInt16BE(i + 1);
      i += 1 + len;
    }
  } else if ((profile & 0xfff0) === 0x1000) {
    while (i + 1 < end) {
      const extId = buf[i]!;
      if (extId === 0) {
        i++;
        continue;
      }
      const len = buf[i + 1]!;
      if (extId === id && len >= 2) return buf.readUInt16BE(i + 2);
      i += 2 + len;
    }
  }
  return undefined;
}

export interface Vp8Descriptor {
  /** S bit and partition 0: the first packet of a frame. */
  frameStart: boolean;
  /** Temporal layer (TID), when the descriptor carries it. */
  temporalLayer?: number;
  pictureId?: number;
  /** Set on a frame's first packet: a key frame (VP8 payload header P bit 0). */
  keyFrame?: boolean;
  /** A key frame's picture size (in its first packet). */
  width?: number;
  height?: number;
}

/** The VP8 payload descriptor (RFC 7741 §4.2) and, on a frame's first packet, its header. */
export function parseVp8(payload: Buffer): Vp8Descriptor | undefined {
  if (payload.length < 1) return undefined;
  const b0 = payload[0]!;
  const out: Vp8Descriptor = { frameStart: (b0 & 0x10) !== 0 && (b0 & 0x07) === 0 };
  let i = 1;
  if (b0 & 0x80) {
    const x = payload[i++];
    if (x === undefined) return undefined;
    if (x & 0x80) {
      const p = payload[i];
      if (p === undefined) return undefined;
      if (p & 0x80) {
        out.pictureId = ((p & 0x7f) << 8) | (payload[i + 1] ?? 0);
        i += 2;
      } else {
        out.pictureId = p;
        i += 1;
      }
    }
    if (x & 0x40) i++;
    if (x & 0x30) {
      const t = payload[i++];
      if (t !== undefined && x & 0x20) out.temporalLayer = t >> 6;
    }
  }
  if (out.frameStart && payload.length > i) {
    out.keyFrame = (payload[i]! & 0x01) === 0;
    // Key frame: 3-byte frame tag, start code 9d 01 2a, 14-bit width and height.
    if (
      out.keyFrame &&
      payload.length >= i + 10 &&
      payload[i + 3] === 0x9d &&
      payload[i + 4] === 0x01 &&
      payload[i + 5] === 0x2a
    ) {
      out.width = payload.readUInt16LE(i + 6) & 0x3fff;
      out.height = payload.readUInt16LE(i + 8) & 0x3fff;
    }
  }
  return out;
}

/** Bytes of a VP8 payload needed to read its descriptor and a key frame's size. */
export const VP8_HEAD_BYTES = 32;

function rtcpHeader(fmtOrCount: number, pt: number, lengthWords: number): Buffer {
  const b = Buffer.alloc(4);
  b[0] = 0x80 | (fmtOrCount & 0x1f);
  b[1] = pt;
  b.writeUInt16BE(lengthWords, 2);
  return b;
}

export interface ReportBlock {
  ssrc: number;
  fractionLost: number;
  cumulativeLost: number;
  extendedHighestSeq: number;
  jitter: number;
  lsr: number;
  dlsr: number;
}

/** A receiver report (PT 201) with up to 31 blocks. */
export function receiverReport(senderSsrc: number, blocks: ReportBlock[]): Buffer {
  const list = blocks.slice(0, 31);
  const b = Buffer.alloc(8 + 24 * list.length);
  rtcpHeader(list.length, 201, 1 + 6 * list.length).copy(b, 0);
  b.writeUInt32BE(senderSsrc >>> 0, 4);
  list.forEach((r, k) => {
    const o = 8 + 24 * k;
    b.writeUInt32BE(r.ssrc >>> 0, o);
    b[o + 4] = Math.max(0, Math.min(255, r.fractionLost));
    b.writeIntBE(Math.max(-0x800000, Math.min(0x7fffff, r.cumulativeLost)), o + 5, 3);
    b.writeUInt32BE(r.extendedHighestSeq >>> 0, o + 8);
    b.writeUInt32BE(Math.max(0, Math.round(r.jitter)) >>> 0, o + 12);
    b.writeUInt32BE(r.lsr >>> 0, o + 16);
    b.writeUInt32BE(r.dlsr >>> 0, o + 20);
  });
  return b;
}

/** Generic NACK (RTPFB FMT 1): each lost sequence number as PID + bitmask of the next 16. */
export function nack(senderSsrc: number, mediaSsrc: number, seqs: number[]): Buffer {
  const sorted = [...new Set(seqs.map((s) => s & 0xffff))].sort((a, b) => a - b);
  const items: [number, number][] = [];
  for (const s of sorted) {
    const last = items.at(-1);
    const d = last ? (s - last[0]) & 0xffff : 0;
    if (last && d >= 1 && d <= 16) last[1] |= 1 << (d - 1);
    else items.push([s, 0]);
  }
  const b = Buffer.alloc(12 + 4 * items.length);
  rtcpHeader(1, 205, 2 + items.length).copy(b, 0);
  b.writeUInt32BE(senderSsrc >>> 0, 4);
  b.writeUInt32BE(mediaSsrc >>> 0, 8);
  items.forEach(([pid, blp], k) => {
    b.writeUInt16BE(pid, 12 + 4 * k);
    b.writeUInt16BE(blp, 14 + 4 * k);
  });
  return b;
}

/** Picture loss indication (PSFB FMT 1). */
export function pli(senderSsrc: number, mediaSsrc: number): Buffer {
  const b = Buffer.alloc(12);
  rtcpHeader(1, 206, 2).copy(b, 0);
  b.writeUInt32BE(senderSsrc >>> 0, 4);
  b.writeUInt32BE(mediaSsrc >>> 0, 8);
  return b;
}

/**
 * Transport-wide congestion control feedback (RTPFB FMT 15) for `count` sequence numbers from
 * `baseSeq`: `arrivalsUs[k]` is packet baseSeq+k's arrival in microseconds, or undefined when it
 * did not arrive. Run-length chunks only; deltas relative to the reference time (64 ms units).
 */
export function transportCcFeedback(
  senderSsrc: number,
  mediaSsrc: number,
  baseSeq: number,
  arrivalsUs: (number | undefined)[],
  fbPktCount: number,
): Buffer | undefined {
  const first = arrivalsUs.find((a) => a !== undefined);
  if (first === undefined) return undefined;
  const referenceTime = Math.floor(first / 64_000);
  let prev = referenceTime * 64_000;
  const statuses: number[] = [];
  const deltas: Buffer[] = [];
  for (const a of arrivalsUs) {
    if (a === undefined) {
      statuses.push(0);
      continue;
    }
    let ticks = Math.round((a - prev) / 250);
    prev += ticks * 250;
    if (ticks >= 0 && ticks <= 255) {
      statuses.push(1);
      deltas.push(Buffer.from([ticks]));
    } else {
      ticks = Math.max(-32768, Math.min(32767, ticks));
      const d = Buffer.alloc(2);
      d.writeInt16BE(ticks, 0);
      statuses.push(2);
      deltas.push(d);
    }
  }
  const chunks: Buffer[] = [];
  for (let i = 0; i < statuses.length; ) {
    let run = 1;
    while (i + run < statuses.length && statuses[i + run] === statuses[i] && run < 8191) run++;
    const c = Buffer.alloc(2);
    c.writeUInt16BE((statuses[i]! << 13) | run, 0);
    chunks.push(c);
    i += run;
  }
  const body = Buffer.concat([...chunks, ...deltas]);
  const padded = Math.ceil((20 + body.length) / 4) * 4;
  const b = Buffer.alloc(padded);
  rtcpHeader(15, 205, padded / 4 - 1).copy(b, 0);
  b.writeUInt32BE(senderSsrc >>> 0, 4);
  b.writeUInt32BE(mediaSsrc >>> 0, 8);
  b.writeUInt16BE(baseSeq & 0xffff, 12);
  b.writeUInt16BE(arrivalsUs.length, 14);
  b.writeUIntBE(referenceTime & 0xffffff, 16, 3);
  b[19] = fbPktCount & 0xff;
  body.copy(b, 20);
  return b;
}

/** Sender reports (PT 200) in a decrypted compound RTCP packet: SSRC → NTP middle 32 bits. */
export function senderReports(buf: Buffer): { ssrc: number; ntpMiddle: number }[] {
  const out: { ssrc: number; ntpMiddle: number }[] = [];
  for (let o = 0; o + 4 <= buf.length; ) {
    const len = (buf.readUInt16BE(o + 2) + 1) * 4;
    if (buf[o + 1] === 200 && o + 20 <= buf.length)
      out.push({ ssrc: buf.readUInt32BE(o + 4), ntpMiddle: buf.readUInt32BE(o + 10) });
    o += len;
  }
  return out;
}
