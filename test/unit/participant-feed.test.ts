import t from 'tap';
import type { MediaEndpoint } from '../../media/MediaEndpoint.js';
import { Participant } from '../../signaling/session/Participant.js';

// Which producers of an endpoint the others receive when it has both a page and an encoder:
// per source the chosen feed's, else the other's; and the feed as the station page shows it.
// (The switch itself, with real media, is test/measure/ingest-switch.test.ts.)

function endpoint(id: string, sources: string[]): MediaEndpoint {
  const producers = new Map(
    sources.map((source) => [`${id}-${source}`, { id: `${id}-${source}`, appData: { source } }]),
  );
  return { id, isClosed: false, producers, router: { id: `router-${id}` } } as never;
}

const ids = (p: Participant) => p.producers.map(({ producer }) => producer.id).sort();

t.test(
  'the encoder by default, the page when chosen, the other one for what is missing',
  async (t) => {
    const p = new Participant({ endpointId: 'station', role: 'station', name: 'Hội trường' });
    p.media = endpoint('page', ['camera', 'microphone', 'screen']);
    t.equal(p.feed, undefined, 'no encoder, nothing chosen: no feed shown');
    t.same(ids(p), ['page-camera', 'page-microphone', 'page-screen']);

    p.ingest = { media: endpoint('enc', ['camera', 'microphone']), via: 'rtmp' };
    t.same(
      ids(p),
      ['enc-camera', 'enc-microphone', 'page-screen'],
      'the encoder replaces the page',
    );
    t.same(p.feed, {
      chosen: 'encoder',
      live: 'encoder',
      encoder: { via: 'rtmp', sending: true },
    });

    p.feedChoice = 'page';
    t.same(ids(p), ['page-camera', 'page-microphone', 'page-screen'], 'the page chosen');
    t.same(p.feed?.live, 'page');
    t.equal(p.everyProducer.length, 5, 'the chair’s mute reaches all five');

    p.media = endpoint('page', ['screen']);
    t.same(ids(p), ['enc-camera', 'enc-microphone', 'page-screen'], 'page without camera: encoder');
    t.same(p.feed?.live, 'encoder');

    p.media = undefined;
    p.ingest = { media: endpoint('enc', []), via: 'srt' };
    t.same(p.feed, { chosen: 'page', live: 'page', encoder: { via: 'srt', sending: false } });
    t.same(ids(p), [], 'nothing sends');
  },
);
