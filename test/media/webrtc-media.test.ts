import t from 'tap';
import { routeMediasoupLogs } from '../../media/mediasoupLogging.js';
import { launchChromium } from '../helpers/browser.js';
import { startEndpoint, waitForMedia } from '../helpers/endpoints.js';
import { testLogger } from '../helpers/logger.js';
import { startMediaStack } from '../helpers/mediaStack.js';

// The proof that the worker's SRTP port is right: real DTLS-SRTP with Chromium on both sides.
// A wrong protect/unprotect length, trailer or key would leave frames undecoded and log errors.
t.test(
  'Chromium sends VP8 and Opus through the SFU; a second Chromium page decodes them',
  async (t) => {
    const counters = routeMediasoupLogs(testLogger);
    const stack = await startMediaStack(t, {
      tokens: {
        station: { role: 'station', meetingId: 'm1', name: 'Điểm cầu chính' },
        site: { role: 'site', meetingId: 'm1', siteId: 's1', name: 'Phòng GD&ĐT Mai Châu' },
      },
      info: {
        title: 'Thử',
        sites: new Map([['s1', 'Phòng GD&ĐT Mai Châu']]),
        agendaLength: 0,
        live: true,
      },
    });
    const browser = await launchChromium(t);
    const sender = await startEndpoint(browser, stack.url, 'sender', {
      token: 'station',
      camera: true,
      microphone: true,
    });
    const receiver = await startEndpoint(browser, stack.url, 'receiver', {
      token: 'site',
      send: false,
    });

    const videoMs = await waitForMedia(receiver, 'station', 'camera', 15_000);
    const audioMs = await waitForMedia(receiver, 'station', 'microphone', 15_000);
    t.pass(`video frames decoded (${videoMs} ms) and audio packets arrive (${audioMs} ms)`);

    const codecs = await receiver.page.evaluate(async () => {
      const c = window.harness.client()!;
      const out: string[] = [];
      for (const r of c.remote.values()) {
        // The client's consumers are private to its RemoteTracks; the test reads their stats.
        const stats = await (
          c as unknown as {
            tracks: { consumer(id: string): { getStats(): Promise<RTCStatsReport> } | undefined };
          }
        ).tracks
          .consumer(r.consumerId)!
          .getStats();
        stats.forEach((s) => {
          if (s.type === 'codec') out.push(s.mimeType);
        });
      }
      return out;
    });
    t.ok(codecs.includes('video/VP8'), `video is VP8 (${codecs.join(', ')})`);
    t.ok(codecs.includes('audio/opus'), 'audio is Opus');

    const srtp = await sender.page.evaluate(async () => {
      const pc = (
        window.harness.client() as unknown as {
          sendTransport: { getStats(): Promise<RTCStatsReport> };
        }
      ).sendTransport;
      let cipher = '';
      (await pc.getStats()).forEach((s) => {
        if (s.type === 'transport') cipher = `${s.dtlsCipher ?? ''} / ${s.srtpCipher ?? ''}`;
      });
      return cipher;
    });
    t.match(
      srtp,
      /AEAD_AES_(256|128)_GCM|AES_CM_128_HMAC_SHA1_80/,
      `DTLS-SRTP negotiated: ${srtp}`,
    );
    t.equal(counters.srtpErrors, 0, 'the worker logged no SRTP error');
    t.equal(counters.errors, 0, 'the worker logged no error');
  },
);
