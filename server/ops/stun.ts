import { createHash, createHmac, randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { crc32 } from 'node:zlib';

/** STUN (RFC 5389) as far as the doctor needs it: ICE connectivity checks and TURN allocations. */

const MAGIC = 0x2112a442;
export const StunType = {
  bindingRequest: 0x0001,
  bindingSuccess: 0x0101,
  bindingError: 0x0111,
  allocateRequest: 0x0003,
  allocateSuccess: 0x0103,
  allocateError: 0x0113,
  refreshRequest: 0x0004,
} as const;
export const StunAttr = {
  username: 0x0006,
  messageIntegrity: 0x0008,
  errorCode: 0x0009,
  lifetime: 0x000d,
  realm: 0x0014,
  nonce: 0x0015,
  requestedTransport: 0x0019,
  priority: 0x0024,
  fingerprint: 0x8028,
  iceControlling: 0x802a,
} as const;

export interface StunMessage {
  type: number;
  transactionId: Buffer;
  attributes: Map<number, Buffer>;
}

function attribute(type: number, value: Buffer): Buffer {
  const padded = Buffer.alloc(4 + Math.ceil(value.length / 4) * 4);
  padded.writeUInt16BE(type, 0);
  padded.writeUInt16BE(value.length, 2);
  value.copy(padded, 4);
  return padded;
}

/** Encodes a request; with `key`, MESSAGE-INTEGRITY (HMAC-SHA1) and FINGERPRINT close it. */
export function encodeStun(
  type: number,
  transactionId: Buffer,
  attrs: [number, Buffer][],
  key?: Buffer,
): Buffer {
  let body = Buffer.concat(attrs.map(([t, v]) => attribute(t, v)));
  const header = (length: number) => {
    const h = Buffer.alloc(20);
    h.writeUInt16BE(type, 0);
    h.writeUInt16BE(length, 2);
    h.writeUInt32BE(MAGIC, 4);
    transactionId.copy(h, 8);
    return h;
  };
  if (key) {
    const mac = createHmac('sha1', key)
      .update(Buffer.concat([header(body.length + 24), body]))
      .digest();
    body = Buffer.concat([body, attribute(StunAttr.messageIntegrity, mac)]);
    const crc = (crc32(Buffer.concat([header(body.length + 8), body])) ^ 0x5354554e) >>> 0;
    const fp = Buffer.alloc(4);
    fp.writeUInt32BE(crc, 0);
    body = Buffer.concat([body, attribute(StunAttr.fingerprint, fp)]);
  }
  return Buffer.concat([header(body.length), body]);
}

export function decodeStun(data: Buffer): StunMessage | undefined {
  if (data.length < 20 || data.readUInt32BE(4) !== MAGIC) return undefined;
  const length = data.readUInt16BE(2);
  if (data.length < 20 + length) return undefined;
  const attributes = new Map<number, Buffer>();
  for (let at = 20; at + 4 <= 20 + length; ) {
    const t = data.readUInt16BE(at);
    const l = data.readUInt16BE(at + 2);
    attributes.set(t, data.subarray(at + 4, at + 4 + l));
    at += 4 + Math.ceil(l / 4) * 4;
  }
  return { type: data.readUInt16BE(0), transactionId: data.subarray(8, 20), attributes };
}

export function errorCodeOf(m: StunMessage): number | undefined {
  const v = m.attributes.get(StunAttr.errorCode);
  return v && v.length >= 4 ? (v[2]! & 0x7) * 100 + v[3]! : undefined;
}

export type StunTransport = 'udp' | 'tcp';

/**
 * One socket to a STUN/TURN server: requests are matched to answers by transaction id, UDP
 * requests resent at 500 ms, 1 s, … (RFC 5389). A TURN server ties its nonce to the socket,
 * so both legs of an authenticated Allocate go through the same client.
 */
export class StunClient {
  private readonly waiting = new Map<string, (m: StunMessage) => void>();
  private readonly send: (data: Buffer) => void;
  private readonly closeSocket: () => void;

  constructor(
    host: string,
    port: number,
    readonly transport: StunTransport,
  ) {
    const deliver = (data: Buffer) => {
      const m = decodeStun(data);
      if (m) this.waiting.get(m.transactionId.toString('hex'))?.(m);
    };
    if (transport === 'udp') {
      const socket = createSocket(host.includes(':') ? 'udp6' : 'udp4');
      socket.on('message', deliver);
      socket.on('error', () => {});
      this.send = (data) => socket.send(data, port, host, () => {});
      this.closeSocket = () => socket.close();
    } else {
      const socket = connect({ host, port });
      let buffered = Buffer.alloc(0);
      socket.on('data', (chunk: Buffer) => {
        buffered = Buffer.concat([buffered, chunk]);
        while (buffered.length >= 20) {
          const total = 20 + buffered.readUInt16BE(2);
          if (buffered.length < total) break;
          deliver(buffered.subarray(0, total));
          buffered = buffered.subarray(total);
        }
      });
      socket.on('error', () => {});
      this.send = (data) => socket.write(data);
      this.closeSocket = () => socket.destroy();
    }
  }

  /** The answer to `message`, or undefined when none came in time. */
  request(message: Buffer, timeoutMs = 3000): Promise<StunMessage | undefined> {
    const id = message.subarray(8, 20).toString('hex');
    return new Promise((resolve) => {
      const timers: NodeJS.Timeout[] = [];
      const done = (m: StunMessage | undefined) => {
        for (const t of timers) clearTimeout(t);
        this.waiting.delete(id);
        resolve(m);
      };
      this.waiting.set(id, done);
      const resend = this.transport === 'udp';
      for (let at = 0, gap = 500; at < timeoutMs && (resend || at === 0); at += gap, gap *= 2) {
        timers.push(setTimeout(() => this.send(message), at));
      }
      timers.push(setTimeout(() => done(undefined), timeoutMs));
    });
  }

  close(): void {
    this.closeSocket();
  }
}

/** One request on its own socket. */
export async function stunRequest(
  host: string,
  port: number,
  message: Buffer,
  transport: StunTransport,
  timeoutMs = 3000,
): Promise<StunMessage | undefined> {
  const client = new StunClient(host, port, transport);
  try {
    return await client.request(message, timeoutMs);
  } finally {
    client.close();
  }
}

export const newTransactionId = () => randomBytes(12);

/** An ICE connectivity check as a browser sends it (short-term credentials of the server's transport). */
export function iceCheck(serverUfrag: string, serverPassword: string): Buffer {
  const priority = Buffer.alloc(4);
  priority.writeUInt32BE(0x6e0001ff, 0);
  return encodeStun(
    StunType.bindingRequest,
    newTransactionId(),
    [
      [StunAttr.username, Buffer.from(`${serverUfrag}:doctor`)],
      [StunAttr.priority, priority],
      [StunAttr.iceControlling, randomBytes(8)],
    ],
    Buffer.from(serverPassword),
  );
}

/** TURN REST credentials (coturn use-auth-secret): username "<expiry>:<name>", HMAC-SHA1 password. */
export function turnCredentials(secret: string, name: string, ttlSeconds = 300) {
  const username = `${Math.floor(Date.now() / 1000) + ttlSeconds}:${name}`;
  return { username, password: createHmac('sha1', secret).update(username).digest('base64') };
}

/**
 * A TURN Allocate with long-term credentials: the first (unauthenticated) answer gives realm
 * and nonce, the second is the verdict. Released again with a Refresh of lifetime 0.
 */
export async function turnAllocate(
  host: string,
  port: number,
  transport: StunTransport,
  credentials: { username: string; password: string },
): Promise<{ ok: true } | { ok: false; reason: string }> {
  const client = new StunClient(host, port, transport);
  try {
    return await allocateWith(client, credentials);
  } finally {
    client.close();
  }
}

async function allocateWith(
  client: StunClient,
  credentials: { username: string; password: string },
): Promise<{ ok: true } | { ok: false; reason: string }> {
  const udp = Buffer.from([17, 0, 0, 0]);
  const first = await client.request(
    encodeStun(StunType.allocateRequest, newTransactionId(), [[StunAttr.requestedTransport, udp]]),
  );
  if (!first) return { ok: false, reason: 'no answer' };
  const realm = first.attributes.get(StunAttr.realm);
  const nonce = first.attributes.get(StunAttr.nonce);
  if (errorCodeOf(first) !== 401 || !realm || !nonce)
    return { ok: false, reason: `unexpected answer (error ${errorCodeOf(first) ?? 'none'})` };
  const key = createHash('md5')
    .update(`${credentials.username}:${realm.toString()}:${credentials.password}`)
    .digest();
  const auth: [number, Buffer][] = [
    [StunAttr.username, Buffer.from(credentials.username)],
    [StunAttr.realm, realm],
    [StunAttr.nonce, nonce],
  ];
  const second = await client.request(
    encodeStun(
      StunType.allocateRequest,
      newTransactionId(),
      [[StunAttr.requestedTransport, udp], ...auth],
      key,
    ),
  );
  if (!second) return { ok: false, reason: 'no answer to the authenticated request' };
  if (second.type !== StunType.allocateSuccess)
    return { ok: false, reason: `refused with error ${errorCodeOf(second) ?? '?'}` };
  // Released at once (lifetime 0), so a doctor run leaves no relay behind.
  const zero = Buffer.alloc(4);
  await client.request(
    encodeStun(
      StunType.refreshRequest,
      newTransactionId(),
      [[StunAttr.lifetime, zero], ...auth],
      key,
    ),
    1000,
  );
  return { ok: true };
}
