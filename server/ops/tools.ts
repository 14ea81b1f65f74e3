import { execFile } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import type { Config } from '../../config/index.js';
import type { Text } from '../../protocol/text.js';

const run = promisify(execFile);

/** One program the service starts for an optional feature, and the Debian package that has it. */
export interface ToolStatus {
  id: 'chromium' | 'ffmpeg' | 'gstreamer' | 'fonts';
  /** The binary or file looked for (as configured). */
  path: string;
  /** Debian package(s) of scripts/setup.sh's runtime list that provide it. */
  packages: string[];
  ok: boolean;
  /** Why it is not usable, when it is not. */
  problem?: string;
  /** What does not work without it. */
  disables: Text;
}

/** The Debian packages (scripts/setup.sh's runtime list) each optional tool comes from. */
export const toolPackages: Readonly<Record<ToolStatus['id'], readonly string[]>> = {
  chromium: ['chromium'],
  ffmpeg: ['ffmpeg'],
  gstreamer: [
    'python3-gi',
    'gir1.2-gstreamer-1.0',
    'gstreamer1.0-plugins-base',
    'gstreamer1.0-plugins-good',
    'gstreamer1.0-plugins-bad',
    'gstreamer1.0-plugins-ugly',
    'gstreamer1.0-libav',
  ],
  fonts: ['fonts-noto-core'],
};

/** A name without "/" is looked up on PATH, as spawn() would; a path is taken as it is. */
export function resolveBinary(bin: string, path = process.env.PATH ?? ''): string | undefined {
  const isExecutable = (file: string) => {
    try {
      return statSync(file).isFile();
    } catch {
      return false;
    }
  };
  if (bin.includes('/')) return isExecutable(bin) ? bin : undefined;
  for (const dir of path.split(delimiter)) {
    if (dir && isExecutable(join(dir, bin))) return join(dir, bin);
  }
  return undefined;
}

/** The GStreamer elements broadcast/composer.py builds its pipeline from. */
export const composerElements = [
  'compositor',
  'textoverlay',
  'videoconvert',
  'x264enc',
  'audiomixer',
  'audioconvert',
  'audioresample',
  'avenc_aac',
  'splitmuxsink',
  'mp4mux',
  'mpegtsmux',
  'hlssink2',
  'h264parse',
  'aacparse',
  'udpsrc',
  'udpsink',
  'rtpjitterbuffer',
  'rtpopusdepay',
  'opusdec',
  'rtpvp8depay',
  'vp8dec',
  'rtpvp9depay',
  'vp9dec',
  'rtph264depay',
  'avdec_h264',
  'videotestsrc',
  'audiotestsrc',
];

const gstProbe = `
import sys
import gi
gi.require_version("Gst", "1.0")
from gi.repository import Gst
Gst.init(None)
missing = [e for e in sys.argv[1:] if Gst.ElementFactory.find(e) is None]
print(" ".join(missing))
`;

async function gstreamerProblem(python: string): Promise<string | undefined> {
  const pythonPath = resolveBinary(python);
  if (!pythonPath) return `${python} not found`;
  try {
    const { stdout } = await run(pythonPath, ['-c', gstProbe, ...composerElements], {
      timeout: 20_000,
    });
    const missing = stdout.trim();
    return missing ? `GStreamer elements missing: ${missing}` : undefined;
  } catch (err) {
    const text = `${(err as { stderr?: string }).stderr ?? (err as Error).message}`.trim();
    return `python3-gi / GStreamer not usable: ${text.split('\n').pop()}`;
  }
}

/** The Noto font the programme banner and the printed documents use for Vietnamese text. */
export const notoFont = '/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf';

/**
 * Which optional programs are usable. The service starts without them and keeps every other
 * feature; IT sees the list (GET /api/ops/tools, the IT board) instead of a later 503.
 */
export async function checkTools(
  config: Config,
  path = process.env.PATH ?? '',
): Promise<ToolStatus[]> {
  const chromium = config.documents.chromiumPath;
  const ffmpeg = config.broadcast.ffmpegBin;
  const gst = await gstreamerProblem(config.broadcast.pythonBin);
  const status = (
    id: ToolStatus['id'],
    at: string,
    problem: string | undefined,
    disables: Text,
  ): ToolStatus => ({
    id,
    path: at,
    packages: [...toolPackages[id]],
    ok: !problem,
    ...(problem ? { problem } : {}),
    disables,
  });
  return [
    status(
      'chromium',
      chromium,
      resolveBinary(chromium, path) ? undefined : `${chromium} not found`,
      {
        vi: 'In PDF (giấy triệu tập, báo cáo tổng hợp); bản HTML khổ A4 vẫn in được',
        en: 'PDF documents (convocation letter, consolidated reports); the A4 HTML still prints',
      },
    ),
    status(
      'ffmpeg',
      ffmpeg,
      resolveBinary(ffmpeg, path) ? undefined : `${ffmpeg} not found on PATH`,
      {
        vi: 'Phát trực tiếp ra RTMP (YouTube, Facebook, đài truyền hình)',
        en: 'RTMP live out (YouTube, Facebook, local TV)',
      },
    ),
    status('gstreamer', config.broadcast.pythonBin, gst, {
      vi: 'Ghi hình, phát trực tiếp và HLS (bộ dựng chương trình)',
      en: 'Recording, live out and HLS (the programme composer)',
    }),
    status('fonts', notoFont, existsSync(notoFont) ? undefined : `${notoFont} not found`, {
      vi: 'Chữ tiếng Việt đúng dấu trên băng chữ chương trình và trong PDF',
      en: 'Vietnamese text with correct diacritics on the programme banner and in PDFs',
    }),
  ];
}

/** One line per missing tool, for the start-up log and the IT board. */
export function describeMissing(tools: readonly ToolStatus[]): string[] {
  return tools
    .filter((t) => !t.ok)
    .map(
      (t) =>
        `${t.id}: ${t.problem} — disables ${t.disables.en} (install: apt-get install ${t.packages.join(' ')}, or run scripts/setup.sh)`,
    );
}
