import { createSocket, type Socket } from 'node:dgram';
import t from 'tap';
import { freeUdpPort, SrtGate, srtShutdown } from '../../server/ingest/SrtGate.js';
import { testLogger } from '../helpers/logger.js';

// The SRT gate in front of the relay's FFmpeg: datagrams pass both ways unchanged, and when the
// relay stops, the caller gets an SRT shutdown addressed to its own socket id (learnt from what
// the listener sent it), from the port it called.

function bound(port = 0): Promise<Socket> {
  return new Promise((ok, fail) => {
    const s = createSocket('udp4');
    s.once('error', fail);
    s.bind(port, '127.0.0.1', () => ok(s));
  });
}

const next = (s: Socket) =>
  new Promise<{ msg: Buffer; port: number }>((ok) =>
    s.once('message', (msg, from) => ok({ msg, port: from.port })),
  );

/** An SRT-like packet: 16-byte header, destination socket id in word 3. */
function packet(dest: number, body = 'data'): Buffer {
  const b = Buffer.alloc(16 + body.length);
  b.writeUInt32BE(dest, 12);
  b.write(body, 16);
  return b;
}

t.test('shutdown packet: control type 5, the socket id, libsrt’s 4 bytes of padding', async (t) => {
  const b = srtShutdown(0xdeadbeef);
  t.equal(b.length, 20);
  t.equal(b.readUInt32BE(0), 0x80050000);
  t.equal(b.readUInt32BE(12), 0xdeadbeef);
});

t.test('passes datagrams both ways and tells the caller when the relay stops', async (t) => {
  const port = await freeUdpPort();
  const gate = await SrtGate.open('127.0.0.1', port, testLogger);
  t.teardown(() => gate.close());
  const listener = await bound(gate.innerPort);
  const caller = await bound();
  t.teardown(() => {
    listener.close();
    caller.close();
  });

  const atListener = next(listener);
  caller.send(packet(0, 'induction'), port, '127.0.0.1');
  const inbound = await atListener;
  t.equal(inbound.msg.subarray(16).toString(), 'induction', 'the caller’s datagram reaches FFmpeg');

  const atCaller = next(caller);
  listener.send(packet(0x1234, 'answer'), inbound.port, '127.0.0.1');
  const outbound = await atCaller;
  t.equal(outbound.msg.subarray(16).toString(), 'answer', 'and the answer comes back');
  t.equal(outbound.port, port, 'from the port it called');

  const shutdown = next(caller);
  gate.relayStopped();
  const got = await shutdown;
  t.same(got.msg, srtShutdown(0x1234), 'the caller is told, at its own socket id');
  t.equal(got.port, port, 'from the port it called (libsrt drops packets from elsewhere)');

  // The caller calls again: a fresh path to the restarted FFmpeg.
  const again = next(listener);
  caller.send(packet(0, 'induction 2'), port, '127.0.0.1');
  t.equal((await again).msg.subarray(16).toString(), 'induction 2', 'a new call passes');
});

t.test('a port already taken is refused', async (t) => {
  const port = await freeUdpPort();
  const gate = await SrtGate.open('127.0.0.1', port, testLogger);
  t.teardown(() => gate.close());
  await t.rejects(SrtGate.open('127.0.0.1', port, testLogger), 'the port is taken');
});
