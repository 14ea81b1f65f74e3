import t from 'tap';
import { launchChromium, waitFor } from '../helpers/browser.js';
import { type HarnessEndpoint, startEndpoint } from '../helpers/endpoints.js';
import { decodedColour, near } from '../helpers/pagePixels.js';
import { startServiceStack } from '../helpers/serviceStack.js';
import { startWhipClient } from '../helpers/whipClient.js';

// Debian's simple-whip-client (GStreamer x264 + Opus) publishes as the main point of a live
// meeting; two Chromium sites must decode its picture (a flat colour, checked in their pixels)
// within 3 s of the 201, lose it on DELETE, and a wrong token gets 401. Once with the
// candidates in the offer (-n), once trickled.
const RED = '#d02010';
const GREEN = '#10b020';

t.test('WHIP: an encoder is the main point for every site', async (t) => {
  t.setTimeout(90_000);
  const stack = await startServiceStack(t);
  const { service: svc, meeting, districts } = stack;
  const whipUrl = `${svc.url}/whip/${meeting.id}`;

  const wrong = await fetch(whipUrl, {
    method: 'POST',
    headers: { authorization: `Bearer ${'x'.repeat(43)}`, 'content-type': 'application/sdp' },
    body: 'v=0\r\n',
  });
  t.equal(wrong.status, 401, 'a wrong token gets 401');
  const chairToken = await fetch(whipUrl, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${stack.tokenOf('chair')}`,
      'content-type': 'application/sdp',
    },
    body: 'v=0\r\n',
  });
  t.equal(chairToken.status, 401, 'the chair’s link cannot publish');

  const browser = await launchChromium(t);
  const chair = await startEndpoint(browser, svc.url, 'chair', {
    token: stack.tokenOf('chair'),
    send: false,
  });
  const sites: HarnessEndpoint[] = [];
  for (const [i, d] of districts.slice(0, 2).entries())
    sites.push(
      await startEndpoint(browser, svc.url, `site ${i + 1}`, {
        token: stack.tokenOf('technician', d.id),
        send: false,
      }),
    );
  await chair.request('startSession');
  const session = svc.signaling.session(meeting.id)!;
  const stationProducers = () => session.participant('station')?.producers.length ?? 0;

  const publishedAt = (after: number) => {
    const line = stack.logs.find(
      (l) => l.includes('WHIP publisher connected') && JSON.parse(l).time > after,
    );
    return line ? (JSON.parse(line).time as number) : undefined;
  };

  for (const { trickle, colour } of [
    { trickle: false, colour: RED },
    { trickle: true, colour: GREEN },
  ]) {
    const name = trickle ? 'trickled candidates' : 'candidates in the offer (-n)';
    const started = Date.now();
    const client = startWhipClient(t, {
      url: whipUrl,
      token: stack.tokenOf('station'),
      colour,
      trickle,
    });
    const at201 = await waitFor(() => publishedAt(started), 15_000, '201 for the offer').catch(
      (err: Error) => {
        throw new Error(`${err.message}\n${client.output()}`);
      },
    );
    const seen: number[] = [];
    for (const site of sites) {
      const picture = await waitFor(
        async () => {
          const c = await decodedColour(site, 'station', 'camera');
          return c && near(c.rgb, colour) ? c : undefined;
        },
        10_000,
        `${site.name} decoding the encoder (${colour})`,
      );
      seen.push(Date.now() - at201!);
      t.same([picture!.width, picture!.height], [320, 180], `${site.name}: 320×180`);
    }
    t.ok(
      Math.max(...seen) <= 3000,
      `${name}: both sites decode the encoder's picture ${seen.join(' / ')} ms after the 201`,
    );
    t.equal(stationProducers(), 2, 'the main point has the encoder’s camera and microphone');

    const code = await client.stop();
    t.equal(code, 0, 'the client ended by itself after its DELETE');
    await waitFor(() => stationProducers() === 0, 5000, 'producers removed');
    for (const site of sites)
      await waitFor(
        async () => !(await site.received('station', 'camera')).present,
        5000,
        `${site.name} no longer receiving`,
      );
    t.pass(`${name}: DELETE removes the producers and the sites' consumers`);
  }
});
