import type { types } from 'mediasoup-client';
import { EmulatedEndpoint } from './EmulatedEndpoint.js';
import { type SyntheticSource, syntheticCamera, syntheticMicrophone } from './sources.js';

/** The same three layers as the station's page (web/client/MeetingClient.ts). */
export const STATION_SIMULCAST: types.RtpEncodingParameters[] = [
  { rid: 'r0', scaleResolutionDownBy: 4, maxBitrate: 150_000, scalabilityMode: 'L1T3' },
  { rid: 'r1', scaleResolutionDownBy: 2, maxBitrate: 500_000, scalabilityMode: 'L1T3' },
  { rid: 'r2', scaleResolutionDownBy: 1, maxBitrate: 1_200_000, scalabilityMode: 'L1T3' },
];

export interface EmulatedStation {
  endpoint: EmulatedEndpoint;
  close(): void;
}

/**
 * The main point: a 1280×720 synthetic camera encoded by libwebrtc as VP8 simulcast (three
 * layers, as the station page sends) and an Opus microphone.
 */
export async function startStation(
  url: string,
  token: string,
  video: {
    width: number;
    height: number;
    fps: number;
    /** Draws into each frame before it is encoded (see syntheticCamera). */
    stamp?: (data: Uint8Array, width: number, height: number) => void;
  } = { width: 1280, height: 720, fps: 20 },
): Promise<EmulatedStation> {
  const endpoint = await EmulatedEndpoint.join({ url, token, send: true });
  const sources: SyntheticSource[] = [];
  try {
    const camera = syntheticCamera(video.width, video.height, video.fps, video.stamp);
    sources.push(camera);
    await endpoint.publish(camera.track, 'camera', STATION_SIMULCAST);
    const mic = syntheticMicrophone();
    sources.push(mic);
    await endpoint.publish(mic.track, 'microphone');
  } catch (err) {
    for (const s of sources) s.stop();
    endpoint.close();
    throw err;
  }
  return {
    endpoint,
    close: () => {
      for (const s of sources) s.stop();
      endpoint.close();
    },
  };
}
