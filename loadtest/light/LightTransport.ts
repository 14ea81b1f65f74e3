import { randomBytes, X509Certificate } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import {
  CipherContext,
  classes,
  DtlsClient,
  HashAlgorithm,
  Message,
  methods,
  NamedCurveAlgorithm,
  ProtectionProfileAes128CmHmacSha1_80,
  parseMessage,
  SignatureAlgorithm,
} from 'werift';
import { SrtpHeadReader } from './srtpHead.js';

/** What the server's createTransport answers (mediasoup's WebRtcTransport parameters). */
export interface RemoteTransportParameters {
  iceParameters: { usernameFragment: string; password: string };
  iceCandidates: { address?: string; ip?: string; port: number; protocol: string }[];
  dtlsParameters: { fingerprints: { algorithm: string; value: string }[] };
}

interface Certificate {
  certPem: string;
  keyPem: string;
  signatureHash: { hash: number; signature: number };
  fingerprint: string;
}

let certificate: Promise<Certificate> | undefined;

/** One ECDSA certificate for the whole emulator process (a browser keeps one per profile). */
function localCertificate(): Promise<Certificate> {
  certificate ??= (async () => {
    const { certPem, keyPem, signatureHash } =
      await CipherContext.createSelfSignedCertificateWithKey(
        { signature: SignatureAlgorithm.ecdsa_3, hash: HashAlgorithm.sha256_4 },
        NamedCurveAlgorithm.secp256r1_23,
      );
    return {
      certPem,
      keyPem,
      signatureHash,
      fingerprint: new X509Certificate(certPem).fingerprint256,
    };
  })();
  return certificate;
}

const KEEPALIVE_MS = 5000;

/**
 * The light site's one UDP socket to the worker's WebRtcServer: ICE as a controlling full agent
 * against mediasoup's ICE-lite (one binding request with USE-CANDIDATE, then consent checks),
 * DTLS as client with werift (only AES_CM_128_HMAC_SHA1_80 offered), then SRTP packets go to
 * `onRtp` undecrypted and RTCP to `onRtcp` decrypted. Owns the socket and the DTLS client.
 */
export class LightTransport {
  onRtp: (packet: Buffer) => void = () => {};
  onRtcp: (packet: Buffer) => void = () => {};
  onState: (state: 'connected' | 'failed' | 'closed') => void = () => {};
  srtp?: SrtpHeadReader;
  private readonly socket: Socket;
  private readonly localUfrag = randomBytes(6).toString('hex');
  private readonly tieBreaker = randomBytes(8).readBigUInt64BE();
  private remote!: { ip: string; port: number };
  private dtls?: DtlsClient;
  private dtlsOnData?: (data: Buffer) => void;
  private keepalive?: NodeJS.Timeout;
  private closed = false;

  private constructor(
    private readonly params: RemoteTransportParameters,
    socket: Socket,
  ) {
    this.socket = socket;
    const candidate = params.iceCandidates.find((c) => c.protocol === 'udp');
    if (!candidate) throw new Error('no UDP ICE candidate');
    this.remote = { ip: candidate.address ?? candidate.ip ?? '127.0.0.1', port: candidate.port };
    socket.on('message', (msg) => this.receive(msg));
    socket.on('error', () => this.fail());
  }

  static async open(params: RemoteTransportParameters): Promise<LightTransport> {
    const socket = createSocket({ type: 'udp4', recvBufferSize: 1 << 20 });
    await new Promise<void>((ok) => socket.bind(0, '127.0.0.1', ok));
    return new LightTransport(params, socket);
  }

  /** Our DTLS fingerprint, for the server's connectTransport. */
  static async dtlsParameters(): Promise<{
    role: 'client';
    fingerprints: { algorithm: string; value: string }[];
  }> {
    const cert = await localCertificate();
    return { role: 'client', fingerprints: [{ algorithm: 'sha-256', value: cert.fingerprint }] };
  }

  /** ICE, then DTLS; resolves once SRTP keys are known. */
  async connect(timeoutMs = 15_000): Promise<void> {
    const cert = await localCertificate();
    const iceDone = new Promise<void>((ok) => {
      this.iceAnswered = ok;
    });
    const sendCheck = () => this.sendBinding(true);
    sendCheck();
    const retry = setInterval(sendCheck, 500);
    const timeout = new Promise<never>((_, fail) =>
      setTimeout(() => fail(new Error('ICE/DTLS timeout')), timeoutMs).unref(),
    );
    try {
      await Promise.race([iceDone, timeout]);
    } finally {
      clearInterval(retry);
    }
    this.keepalive = setInterval(() => this.sendBinding(false), KEEPALIVE_MS);
    // werift's DTLS socket sets `onData` on the transport it is given; DTLS records go there.
    const transport = {
      type: 'udp',
      address: {},
      closed: false,
      send: async (data: Buffer) => this.send(data),
      close: async () => {},
      onData: (_data: Buffer) => {},
    };
    this.dtlsOnData = (data) => transport.onData(data);
    const dtls = new DtlsClient({
      cert: cert.certPem,
      key: cert.keyPem,
      signatureHash: cert.signatureHash as never,
      srtpProfiles: [ProtectionProfileAes128CmHmacSha1_80],
      extendedMasterSecret: true,
      transport: transport as never,
    });
    this.dtls = dtls;
    const connected = new Promise<void>((ok, fail) => {
      dtls.onConnect.once(() => ok());
      dtls.onError.once((err: Error) => fail(err));
    });
    await Promise.race([dtls.connect().then(() => connected), connected, timeout]);
    const keys = dtls.extractSessionKeys(16, 14);
    this.srtp = new SrtpHeadReader({
      localMasterKey: keys.localKey,
      localMasterSalt: keys.localSalt,
      remoteMasterKey: keys.remoteKey,
      remoteMasterSalt: keys.remoteSalt,
    });
    this.onState('connected');
  }

  private iceAnswered?: () => void;

  private sendBinding(nominate: boolean): void {
    const { usernameFragment, password } = this.params.iceParameters;
    const req = new Message(methods.BINDING, classes.REQUEST)
      .setAttribute('USERNAME', `${usernameFragment}:${this.localUfrag}`)
      .setAttribute('PRIORITY', 1_853_817_087)
      .setAttribute('ICE-CONTROLLING', this.tieBreaker);
    if (nominate) req.setAttribute('USE-CANDIDATE', null);
    req.addMessageIntegrity(Buffer.from(password, 'utf8')).addFingerprint();
    this.send(req.bytes);
  }

  private receive(msg: Buffer): void {
    const b0 = msg[0]!;
    if (b0 >= 128 && b0 <= 191) {
      if (!this.srtp) return;
      const pt = msg[1]! & 0x7f;
      if (pt >= 64 && pt <= 95) {
        try {
          this.onRtcp(this.srtp.decryptRtcp(msg));
        } catch {
          // An SRTCP packet that does not authenticate is dropped, as a browser does.
        }
      } else this.onRtp(msg);
    } else if (b0 >= 20 && b0 <= 63) this.dtlsOnData?.(msg);
    else if (b0 < 2) {
      const m = parseMessage(msg);
      if (m && m.messageClass === classes.RESPONSE) this.iceAnswered?.();
    }
  }

  send(data: Buffer): void {
    if (this.closed) return;
    this.socket.send(data, this.remote.port, this.remote.ip);
  }

  sendRtcp(packet: Buffer): void {
    if (!this.srtp || this.closed) return;
    this.send(this.srtp.encryptRtcp(packet));
  }

  private fail(): void {
    if (this.closed) return;
    this.onState('failed');
    this.close();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.keepalive) clearInterval(this.keepalive);
    this.dtls?.close();
    this.socket.close();
    this.onState('closed');
  }
}
