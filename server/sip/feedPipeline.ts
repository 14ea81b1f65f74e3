/*
 * The GStreamer pipeline of a meeting's room feed, as a pure function of its inputs: one
 * picture (the main point's camera, or the floor site's) decoded and encoded once as H.264
 * Constrained Baseline, and one audio mix (the main point and the floor site) encoded once per
 * codec the rooms take (G.722, PCMU, PCMA). Everything goes to mediasoup over local UDP.
 */

export interface FeedInput {
  port: number;
  payloadType: number;
  /** VP8, H264, opus, G722, PCMU or PCMA (the mime type's second half). */
  codec: string;
  clockRate: number;
}

export interface FeedOutput {
  /** mediasoup's PlainTransport port (comedia) and the local port gst sends from. */
  port: number;
  bindPort: number;
  ssrc: number;
  payloadType: number;
}

export interface FeedPipelineSpec {
  video?: FeedInput;
  audio: FeedInput[];
  width: number;
  height: number;
  fps: number;
  videoKbps: number;
  out: { video: FeedOutput; g722: FeedOutput; pcmu: FeedOutput; pcma: FeedOutput };
}

const videoDecode: Record<string, string> = {
  vp8: 'rtpvp8depay ! vp8dec',
  h264: 'rtph264depay ! h264parse ! avdec_h264',
  vp9: 'rtpvp9depay ! vp9dec',
};
const audioDecode: Record<string, string> = {
  opus: 'rtpopusdepay ! opusdec',
  g722: 'rtpg722depay ! avdec_g722',
  pcmu: 'rtppcmudepay ! mulawdec',
  pcma: 'rtppcmadepay ! alawdec',
};

function source(kind: 'audio' | 'video', input: FeedInput): string {
  const name = input.codec.toUpperCase() === 'OPUS' ? 'OPUS' : input.codec.toUpperCase();
  return (
    `udpsrc address=127.0.0.1 port=${input.port} caps="application/x-rtp,media=${kind},` +
    `clock-rate=${input.clockRate},encoding-name=${name},payload=${input.payloadType}" ` +
    '! rtpjitterbuffer latency=80 drop-on-latency=true'
  );
}

function sink(out: FeedOutput): string {
  return `udpsink host=127.0.0.1 port=${out.port} bind-address=127.0.0.1 bind-port=${out.bindPort} sync=false async=false`;
}

/** The gst-launch description; an input whose codec it cannot decode is left out. */
export function feedPipeline(spec: FeedPipelineSpec): string {
  const { width, height, fps, out } = spec;
  const raw = `video/x-raw,format=I420,width=${width},height=${height},framerate=${fps}/1,pixel-aspect-ratio=1/1`;
  const decode = spec.video ? videoDecode[spec.video.codec.toLowerCase()] : undefined;
  const picture =
    spec.video && decode
      ? `${source('video', spec.video)} ! ${decode} ! videoconvert ! videoscale add-borders=true ! videorate ! ${raw}`
      : `videotestsrc is-live=true pattern=black ! ${raw}`;
  // A keyframe every second: a room that asks (PLI, FIR or SIP INFO) never waits longer, and
  // one that lost a packet recovers without asking; the encoder is shared by every room.
  const video =
    `${picture} ! queue max-size-buffers=2 leaky=downstream ! ` +
    `x264enc tune=zerolatency speed-preset=ultrafast bitrate=${spec.videoKbps} key-int-max=${fps} ` +
    'bframes=0 byte-stream=true ! video/x-h264,profile=constrained-baseline,stream-format=byte-stream ! ' +
    `rtph264pay pt=${out.video.payloadType} ssrc=${out.video.ssrc} config-interval=-1 mtu=1200 aggregate-mode=zero-latency ! ${sink(out.video)}`;
  const inputs = spec.audio
    .filter((a) => audioDecode[a.codec.toLowerCase()])
    .map(
      (a) =>
        `${source('audio', a)} ! ${audioDecode[a.codec.toLowerCase()]} ! audioconvert ! audioresample ! mix.`,
    );
  const mono = (rate: number) =>
    `audioconvert ! audioresample ! audio/x-raw,rate=${rate},channels=1`;
  const audio = [
    // Silence keeps the mixer running while nobody speaks or no input is there yet.
    'audiotestsrc is-live=true wave=silence samplesperbuffer=320 ! audio/x-raw,rate=48000,channels=1 ! mix.',
    ...inputs,
    'audiomixer name=mix latency=60000000 ! tee name=t',
    `t. ! queue ! ${mono(16000)} ! avenc_g722 ! rtpg722pay pt=${out.g722.payloadType} ssrc=${out.g722.ssrc} ! ${sink(out.g722)}`,
    `t. ! queue ! ${mono(8000)} ! mulawenc ! rtppcmupay pt=${out.pcmu.payloadType} ssrc=${out.pcmu.ssrc} ! ${sink(out.pcmu)}`,
    `t. ! queue ! ${mono(8000)} ! alawenc ! rtppcmapay pt=${out.pcma.payloadType} ssrc=${out.pcma.ssrc} ! ${sink(out.pcma)}`,
  ];
  return [video, ...audio].join(' ');
}
