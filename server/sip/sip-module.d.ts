// The parts of the `sip` package (kirm/sip.js, plain JavaScript) that server/sip/ uses.
declare module 'sip' {
  export interface SipUri {
    schema?: string;
    user?: string;
    password?: string;
    host: string;
    port?: number;
    params: Record<string, string | null | undefined>;
    headers?: Record<string, string>;
  }
  export interface NameAddr {
    name?: string;
    uri: string;
    params: Record<string, string | null | undefined>;
  }
  export interface Via {
    version?: string;
    protocol?: string;
    host: string;
    port?: number;
    params: Record<string, string | number | null | undefined>;
  }
  export interface SipHeaders {
    via: Via[];
    to: NameAddr;
    from: NameAddr;
    'call-id': string;
    cseq: { seq: number; method: string };
    contact?: NameAddr[] | string;
    'record-route'?: NameAddr[];
    route?: NameAddr[];
    'content-type'?: string;
    'content-length'?: number;
    authorization?: Record<string, string>[];
    'www-authenticate'?: Record<string, string | undefined>[];
    [name: string]: unknown;
  }
  export interface SipRequest {
    method: string;
    uri: string;
    version: string;
    headers: SipHeaders;
    content: string;
  }
  export interface SipResponse {
    status: number;
    reason: string;
    version: string;
    headers: SipHeaders;
    content?: string;
  }
  export type SipMessage = SipRequest | SipResponse;
  export interface Remote {
    protocol: string;
    address: string;
    port: number;
    /** The stack's socket the message came in on. */
    local?: { address: string; port: number };
  }
  export interface StackOptions {
    port?: number;
    address?: string;
    publicAddress?: string;
    hostname?: string;
    udp?: boolean;
    tcp?: boolean;
    rport?: boolean;
    logger?: {
      send?(m: SipMessage, target: Remote): void;
      recv?(m: SipMessage, remote: Remote): void;
      error?(e: Error): void;
    };
  }
  export interface Stack {
    send(
      m: SipMessage | (Omit<SipRequest, 'version'> & { version?: string }),
      callback?: (rs: SipResponse) => void,
    ): void;
    hostname(): string;
    /** A URI of this stack's host that routes a request to exactly this address (a Route). */
    encodeFlowUri(flow: Required<Remote>): SipUri;
    destroy(): void;
  }
  export function create(
    options: StackOptions,
    onRequest: (rq: SipRequest, remote: Remote) => void,
  ): Stack;
  export function makeResponse(
    rq: SipRequest,
    status: number,
    reason?: string,
    extension?: { headers?: Record<string, unknown>; content?: string },
  ): SipResponse;
  export function parseUri(uri: string): SipUri;
  export function stringifyUri(uri: SipUri): string;
  export function generateBranch(): string;
  const sip: {
    create: typeof create;
    makeResponse: typeof makeResponse;
    parseUri: typeof parseUri;
    stringifyUri: typeof stringifyUri;
    generateBranch: typeof generateBranch;
  };
  export default sip;
}

declare module 'sip/digest.js' {
  import type { SipRequest, SipResponse } from 'sip';
  export interface DigestContext {
    realm: string;
    nonce?: string;
    [k: string]: unknown;
  }
  export function challenge(ctx: DigestContext, rs: SipResponse): SipResponse;
  export function authenticateRequest(
    ctx: DigestContext,
    rq: SipRequest,
    creds: { user: string; password: string },
  ): boolean;
  const digest: { challenge: typeof challenge; authenticateRequest: typeof authenticateRequest };
  export default digest;
}
