import {
  type CheckOutcome,
  type CheckStep,
  runConnectionCheck,
} from '../../client/ConnectionCheck.js';
import type { MeetingClient } from '../../client/MeetingClient.js';
import { ApiError } from '../api.js';
import { playTestTone } from './devices.js';

/* The technician page's side of the connection check: the client module does the measuring. */

export type { CheckStep };

/** Steps shown in the progress list, in order. */
export const shownSteps: readonly CheckStep[] = [
  'begin',
  'connect',
  'warmup',
  'measure',
  'speakers',
  'submit',
];

export const stepLabels: Record<CheckStep, { vi: string; en: string }> = {
  begin: { vi: 'Mở phiên kiểm tra', en: 'Opening the check' },
  connect: { vi: 'Kết nối hình, tiếng qua máy chủ', en: 'Connecting media through the server' },
  warmup: { vi: 'Chờ đường truyền ổn định', en: 'Letting the link settle' },
  measure: {
    vi: 'Đo chiều gửi, chiều nhận, camera và micrô',
    en: 'Measuring uplink, downlink, camera and microphone',
  },
  speakers: { vi: 'Kiểm tra loa', en: 'Checking the speakers' },
  submit: { vi: 'Đánh giá kết quả', en: 'Judging the result' },
  done: { vi: 'Hoàn tất', en: 'Done' },
};

export interface SiteCheckOptions {
  client: MeetingClient;
  video: MediaStreamTrack | undefined;
  audio: MediaStreamTrack | undefined;
  speakerId: string;
  /** Asked only when the technician started the check (nobody may be at the desk otherwise). */
  askSpeakers?: () => Promise<boolean>;
  measureMs?: number;
  onProgress: (step: CheckStep, fraction: number) => void;
}

export async function runSiteCheck(options: SiteCheckOptions): Promise<CheckOutcome> {
  if (!options.video || !options.audio) {
    throw new ApiError('bad_request', {
      vi: 'Cần bật camera và micrô trước khi kiểm tra',
      en: 'Turn on the camera and microphone first',
    });
  }
  const ask = options.askSpeakers;
  return runConnectionCheck({
    client: options.client,
    camera: options.video,
    microphone: options.audio,
    onProgress: (p) => options.onProgress(p.step, p.fraction),
    ...(options.measureMs ? { measureMs: options.measureMs } : {}),
    ...(ask
      ? {
          confirmSpeakers: async () => {
            // The tone goes to the speakers the technician chose, then the question.
            const heard = ask();
            await playTestTone(options.speakerId).catch(() => {});
            return heard;
          },
        }
      : {}),
  });
}
