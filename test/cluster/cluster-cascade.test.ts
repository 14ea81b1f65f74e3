import { createSocket } from 'node:dgram';
import t from 'tap';
import type { Actor } from '../../protocol/auth.js';
import { meetingInputSchema } from '../../protocol/meetings.js';
import { siteInputSchema } from '../../protocol/sites.js';
import { launchChromium, waitFor } from '../helpers/browser.js';
import { connectToOwner, startServiceNode } from '../helpers/clusterNodes.js';
import { startEndpoint } from '../helpers/endpoints.js';
import { startTestRedis } from '../helpers/redis.js';

/*
 * Cascade media between nodes. Two nodes on one Redis; the main point's station (Chromium, real
 * camera and microphone) publishes on the owner. The owner sends its producers to the other node
 * (the edge) through SRTP+RTX PipeTransports set up over the cluster bus: the edge holds
 * producers with the same ids in its session of the meeting (opened by a site placed there), the
 * video's RTP reaches a consumer on the edge (a plain RTP consumer to a UDP socket here), a pause
 * on the owner pauses the edge's copy, and stopping the cascade leaves nothing on the edge; when
 * the owner goes, the edge closes its session of the meeting and its pipes with it.
 */

const system: Actor = { kind: 'system', name: 'test' };

t.test("the owner pipes the main point's producers to another node", async (t) => {
  t.setTimeout(120_000);
  const redis = await startTestRedis(t);
  const env = { REDIS_URL: redis.url, CLUSTER_SITES_PER_NODE: '1' };
  const a = await startServiceNode(t, 'node-a', env);
  const b = await startServiceNode(t, 'node-b', env);

  const main = await a.data.sites.create(
    siteInputSchema.parse({ name: 'Hội trường Sở GD&ĐT', kind: 'main_hall' }),
    system,
  );
  const site = await a.data.sites.create(
    siteInputSchema.parse({ name: 'Phòng GD&ĐT Đà Bắc', kind: 'district_office' }),
    system,
  );
  const site2 = await a.data.sites.create(
    siteInputSchema.parse({ name: 'Phòng GD&ĐT Mai Châu', kind: 'district_office' }),
    system,
  );
  const iso = (ms: number) => new Date(ms).toISOString();
  const t0 = Date.now();
  const created = await a.data.meetings.create(
    meetingInputSchema.parse({
      title: 'Giao ban trực tuyến nhiều máy chủ',
      organizer: 'Sở GD&ĐT Hòa Bình',
      opensAt: iso(t0 + 86_400_000),
      closesAt: iso(t0 + 86_400_000 + 3600_000),
      checkAt: iso(t0 + 43_200_000),
      mainSite: { siteId: main.id },
      sites: [
        { siteId: site.id, expectedCount: 10 },
        { siteId: site2.id, expectedCount: 10 },
      ],
    }),
    system,
  );
  const meeting = await a.data.meetings.transition(created.id, 'schedule', system);
  const links = await a.data.access.issueMissingLinks(meeting.id, system);
  const stationToken = links.find((l) => l.link.role === 'station')!.token;
  const siteToken = (id: string) => links.find((l) => l.link.siteId === id)!.token;

  const lease = await a.cluster.placement.locate(meeting.id);
  const owner = lease.nodeId === 'node-a' ? a : b;
  const edge = owner === a ? b : a;
  const browser = await launchChromium(t);
  const station = await startEndpoint(browser, owner.url, 'station', {
    token: stationToken,
    camera: { width: 320, height: 180 },
    microphone: true,
  });
  t.teardown(() => station.close().catch(() => {}));

  // The first site fills the owner's one place; the second is placed on the other node, which
  // opens its session of the meeting for it (signaling only: no media is asked for).
  const sockets = [];
  for (const s of [site, site2]) {
    const c = await connectToOwner(owner.url, { auth: { token: siteToken(s.id) } });
    t.teardown(() => void c.socket.close());
    t.ok((await c.socket.timeout(10_000).emitWithAck('join', {})).ok, `site joined on ${c.url}`);
    sockets.push(c);
  }
  t.equal(sockets[1]!.url, edge.url, 'the second site is placed on the edge node');
  const edgeRoom = () => edge.signaling.session(meeting.id)?.room;
  const epoch = edgeRoom()!.epoch;

  const stationMedia = () => owner.signaling.session(meeting.id)?.room.endpoint('station');
  await waitFor(() => (stationMedia()?.producers.size ?? 0) >= 2, 15_000, 'station publishes');
  const endpoint = stationMedia()!;
  const producers = [...endpoint.producers.values()];
  const cascade = owner.cluster.cascade!;
  const started = Date.now();
  for (const p of producers)
    await cascade.send(meeting.id, edge.cluster.nodeId, epoch, endpoint.router, p);
  t.comment(`pipe opened and ${producers.length} producers sent in ${Date.now() - started} ms`);

  const copies = edge.cluster.cascade!.edgeProducers(meeting.id);
  t.same(
    [...copies.keys()].sort(),
    producers.map((p) => p.id).sort(),
    'the edge holds the same producers, with the same ids',
  );
  t.same(cascade.edgesOf(meeting.id), [edge.cluster.nodeId], 'the owner knows its edge');

  // The video's RTP, decrypted on the edge, reaches a consumer there.
  const video = producers.find((p) => p.kind === 'video')!;
  const router = edgeRoom()!.pipeTarget()!.router;
  const udp = createSocket('udp4');
  t.teardown(() => udp.close());
  let packets = 0;
  udp.on('message', () => packets++);
  await new Promise<void>((ok) => udp.bind(0, '127.0.0.1', ok));
  const plain = await router.createPlainTransport({
    listenInfo: { protocol: 'udp', ip: '127.0.0.1' },
    rtcpMux: true,
    comedia: false,
  });
  await plain.connect({ ip: '127.0.0.1', port: udp.address().port });
  const consumer = await plain.consume({
    producerId: video.id,
    rtpCapabilities: router.rtpCapabilities,
  });
  await waitFor(() => packets > 50, 10_000, 'video RTP at the edge consumer');
  t.pass(`video reaches a consumer on the edge node (${packets} RTP packets)`);
  const stats = await copies.get(video.id)!.getStats();
  t.ok(
    stats.some((s) => s.byteCount > 0),
    `the edge's copy receives the stream (${stats.map((s) => s.byteCount).join(', ')} bytes)`,
  );

  // A pause on the owner (a mute) pauses the copy; resuming resumes it.
  await video.pause();
  await waitFor(() => copies.get(video.id)?.paused === true, 3000, 'edge copy paused');
  t.pass('a pause on the owner reaches the edge');
  await video.resume();
  await waitFor(() => copies.get(video.id)?.paused === false, 3000, 'edge copy resumed');
  t.pass('and so does the resume');

  // Stopping the cascade closes both sides: nothing is left on the edge.
  consumer.close();
  plain.close();
  await cascade.stop(meeting.id);
  await waitFor(
    () => edge.cluster.cascade!.edgeProducers(meeting.id).size === 0,
    3000,
    'edge closed',
  );
  t.notOk(router.closed, "the edge's session keeps its router (it is the session's)");
  t.equal(
    edge.cluster.cascade!.edgeProducers(meeting.id).size,
    0,
    'no producer copy is left on the edge',
  );
  t.same(cascade.edgesOf(meeting.id), [], 'the owner holds no pipe any more');

  // The owner goes away (its lease with it): the edge drops what it held for the meeting.
  for (const p of producers.filter((p) => !p.closed))
    await cascade.send(meeting.id, edge.cluster.nodeId, epoch, endpoint.router, p);
  t.equal(edge.cluster.cascade!.edgeProducers(meeting.id).size, producers.length, 'sent again');
  // A pipe addressed to a session the edge no longer runs is refused.
  await t.rejects(
    cascade.send(meeting.id, edge.cluster.nodeId, 'an-old-session', endpoint.router, video),
    { code: 'conflict' },
    'a pipe to a replaced session is refused',
  );
  await station.close();
  await owner.close('test: the owner stops');
  await waitFor(() => router.closed, 8000, 'edge closed after the owner left');
  t.pass('the edge closes its session (and the pipes into it) once the owner has left');
});
