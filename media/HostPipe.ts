import type { types } from 'mediasoup';

/**
 * Media between two hosts: a mediasoup PipeTransport on each side, encrypted (SRTP) and with
 * retransmission (RTX), the same steps as router.pipeToRouter() but with the other end on
 * another machine. Each side gives the other its address, port and SRTP keys; each `connect`s
 * with the other side's. A producer crosses as a pipe consumer on the sending side and a
 * producer with the same id on the receiving side, so ids mean the same on every node.
 */

/** What one side tells the other about its end of the pipe. */
export interface PipeEnd {
  ip: string;
  port: number;
  srtpParameters: types.SrtpParameters;
}

/** A producer as it crosses the pipe (the pipe consumer's view of it). */
export interface PipedProducer {
  id: string;
  kind: types.MediaKind;
  rtpParameters: types.RtpParameters;
  paused: boolean;
  appData: Record<string, unknown>;
}

export interface PipeAddress {
  /** Local address to listen on. */
  listenIp: string;
  /** The address the other host reaches this one at (the node's announced media address). */
  announcedAddress: string;
}

export async function openHostPipe(
  router: types.Router,
  address: PipeAddress,
): Promise<types.PipeTransport> {
  return router.createPipeTransport({
    listenInfo: {
      protocol: 'udp',
      ip: address.listenIp,
      ...(address.announcedAddress !== address.listenIp
        ? { announcedAddress: address.announcedAddress }
        : {}),
    },
    enableSrtp: true,
    enableRtx: true,
    enableSctp: false,
  });
}

/** This side's end, to give the other side. */
export function pipeEndOf(transport: types.PipeTransport, address: PipeAddress): PipeEnd {
  const { srtpParameters } = transport;
  if (!srtpParameters) throw new Error('pipe transport without SRTP');
  return {
    ip: transport.tuple.localAddress ?? address.announcedAddress,
    port: transport.tuple.localPort,
    srtpParameters,
  };
}

/** Connects to the other side with its address and its SRTP keys. */
export async function connectHostPipe(transport: types.PipeTransport, remote: PipeEnd) {
  await transport.connect({
    ip: remote.ip,
    port: remote.port,
    srtpParameters: remote.srtpParameters,
  });
}

/** Sends a producer of this router through the pipe; returns what the other side produces. */
export async function pipeOut(
  transport: types.PipeTransport,
  producer: types.Producer,
): Promise<{ consumer: types.Consumer; piped: PipedProducer }> {
  const consumer = await transport.consume({ producerId: producer.id });
  return {
    consumer,
    piped: {
      id: producer.id,
      kind: consumer.kind,
      rtpParameters: consumer.rtpParameters,
      paused: consumer.producerPaused,
      appData: { ...producer.appData },
    },
  };
}

/** Receives a producer from the pipe, with the same id as on the sending side. */
export async function pipeIn(
  transport: types.PipeTransport,
  piped: PipedProducer,
): Promise<types.Producer> {
  return transport.produce({
    id: piped.id,
    kind: piped.kind,
    rtpParameters: piped.rtpParameters,
    paused: piped.paused,
    appData: piped.appData,
  });
}
