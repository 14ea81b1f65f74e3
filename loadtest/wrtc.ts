import { createRequire } from 'node:module';
import type * as Wrtc from '@roamhq/wrtc';

/**
 * libwebrtc for Node (@roamhq/wrtc ships the binary in its npm package): installed as the
 * browser globals mediasoup-client's Chrome111 handler uses, so an emulated endpoint runs the
 * same client code path as a page, with no browser.
 */
const wrtc = createRequire(import.meta.url)('@roamhq/wrtc') as typeof Wrtc;

let installed = false;
export function installWebRtcGlobals(): void {
  if (installed) return;
  installed = true;
  const g = globalThis as Record<string, unknown>;
  for (const name of [
    'RTCPeerConnection',
    'RTCSessionDescription',
    'RTCIceCandidate',
    'MediaStream',
    'MediaStreamTrack',
    'RTCRtpSender',
    'RTCRtpReceiver',
    'RTCRtpTransceiver',
  ] as const) {
    g[name] ??= wrtc[name];
  }
}

export const { RTCVideoSource, RTCAudioSource, RTCVideoSink } = wrtc.nonstandard;
