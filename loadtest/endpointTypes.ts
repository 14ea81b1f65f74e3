import type { types } from 'mediasoup-client';
import type { EndpointRole, MediaSource } from '../protocol/socket.js';

export interface EmulatedEndpointOptions {
  url: string;
  token: string;
  /** Create a send transport at join (the station); sites create one when given the floor. */
  send?: boolean;
  /** Simulcast layer to ask for on the main point's video (a site full screen: 2). */
  layer?: 0 | 1 | 2;
  /** Publish a small camera while this site holds the floor. Default true. */
  cameraOnFloor?: boolean;
  /**
   * Join the socket only; the Device and transports come with `ensureMedia` (a site waiting
   * for its check turn holds no media: hundreds of them fit on one machine).
   */
  deferMedia?: boolean;
  /**
   * Sent as X-Forwarded-For: each emulated site its own address, as real sites have (the
   * server believes it only from a proxy in TRUSTED_PROXIES, e.g. 127.0.0.1 for a bench).
   */
  forwardedFor?: string;
}

/** Milliseconds since the endpoint started joining (performance.now() based). */
export interface JoinTimings {
  /** Socket connected and the join request answered. */
  joinedMs?: number;
  /** The receive transport's ICE and DTLS completed. */
  connectedMs?: number;
  firstVideoPacketMs?: number;
  /** First video frame decoded: the first keyframe arrived whole. */
  firstFrameMs?: number;
  firstAudioPacketMs?: number;
}

export interface Received {
  consumer: types.Consumer;
  endpointId: string;
  role: EndpointRole;
  source: MediaSource;
}
