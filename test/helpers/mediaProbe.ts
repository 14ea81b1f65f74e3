import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);
/** ffprobe/ffmpeg on one test file: killed (the call fails) rather than hang a test. */
const LIMIT = { timeout: 90_000, killSignal: 'SIGKILL' as const };

export interface Probe {
  codecs: { video?: string; audio?: string };
  durationS: number;
}

/** Streams and duration of a media file, by ffprobe. */
export async function probe(path: string): Promise<Probe> {
  const { stdout } = await run(
    'ffprobe',
    [
      '-v',
      'error',
      '-show_entries',
      'stream=codec_type,codec_name:format=duration',
      '-of',
      'json',
      path,
    ],
    LIMIT,
  );
  const info = JSON.parse(stdout) as {
    streams: { codec_type: string; codec_name: string }[];
    format: { duration?: string };
  };
  const codec = (type: string) => info.streams.find((s) => s.codec_type === type)?.codec_name;
  return {
    codecs: {
      ...(codec('video') ? { video: codec('video') } : {}),
      ...(codec('audio') ? { audio: codec('audio') } : {}),
    },
    durationS: Number(info.format.duration ?? 0),
  };
}

/** Decodes every frame; returns FFmpeg's error output (empty when the file decodes cleanly) and the frame count. */
export async function decodeAll(path: string): Promise<{ errors: string; frames: number }> {
  const { stdout, stderr } = await run(
    'ffmpeg',
    ['-v', 'error', '-i', path, '-map', '0:v:0', '-f', 'framemd5', '-'],
    { ...LIMIT, maxBuffer: 1 << 26 },
  );
  const frames = stdout.split('\n').filter((l) => l && !l.startsWith('#')).length;
  return { errors: stderr.trim(), frames };
}

/** Mean colour (r, g, b) of the picture's centre, `perSecond` samples a second. */
export async function centreColours(
  path: string,
  perSecond = 2,
): Promise<{ t: number; rgb: [number, number, number] }[]> {
  const { stdout } = await run(
    'ffmpeg',
    [
      '-v',
      'error',
      '-i',
      path,
      '-vf',
      `fps=${perSecond},crop=iw/2:ih/2,scale=1:1:flags=area`,
      '-f',
      'rawvideo',
      '-pix_fmt',
      'rgb24',
      '-',
    ],
    { encoding: 'buffer', maxBuffer: 1 << 24, ...LIMIT },
  );
  const out: { t: number; rgb: [number, number, number] }[] = [];
  for (let i = 0; i + 2 < stdout.length; i += 3) {
    out.push({ t: i / 3 / perSecond, rgb: [stdout[i]!, stdout[i + 1]!, stdout[i + 2]!] });
  }
  return out;
}
