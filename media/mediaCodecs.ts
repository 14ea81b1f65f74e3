import type { types } from 'mediasoup';

/**
 * Opus for speech, VP8 first (simulcast everywhere), H.264 for hardware encoders in halls.
 * G.722 and G.711 are what halls' room systems send over SIP (server/sip/): pages produce Opus
 * (first in the list) and Chromium decodes these natively, so a room's sound is forwarded to
 * the pages as it arrives, never transcoded.
 */
export const mediaCodecs: types.RouterRtpCodecCapability[] = [
  {
    kind: 'audio',
    mimeType: 'audio/opus',
    clockRate: 48000,
    channels: 2,
    parameters: { useinbandfec: 1 },
  },
  {
    kind: 'video',
    mimeType: 'video/VP8',
    clockRate: 90000,
    parameters: { 'x-google-start-bitrate': 1000 },
  },
  {
    kind: 'video',
    mimeType: 'video/H264',
    clockRate: 90000,
    parameters: {
      'packetization-mode': 1,
      'profile-level-id': '42e01f',
      'level-asymmetry-allowed': 1,
    },
  },
  { kind: 'audio', mimeType: 'audio/G722', clockRate: 8000, channels: 1 },
  { kind: 'audio', mimeType: 'audio/PCMU', clockRate: 8000, channels: 1 },
  { kind: 'audio', mimeType: 'audio/PCMA', clockRate: 8000, channels: 1 },
];
