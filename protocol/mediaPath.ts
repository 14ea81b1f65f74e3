import { z } from 'zod';
import type { Text } from './text.js';

/*
 * The path a site's media takes to the SFU, as its browser's selected ICE candidate pair shows
 * it: straight over UDP (best), over TCP to the media worker's port (ICE-TCP: UDP is blocked), or
 * relayed by the department's TURN server (coturn) over UDP, TCP or TLS (often on 443: only web
 * traffic leaves the school, or it leaves through a web proxy). The connection check, the
 * technician's page, the readiness board and the chair's and IT's live views name it, with what
 * the school can ask of its network.
 */

export const mediaPathSchema = z.enum([
  'udp',
  'tcp',
  'turn_udp',
  'turn_tcp',
  'turn_tls',
  'unknown',
]);
export type MediaPath = z.infer<typeof mediaPathSchema>;

/** The port of the TURN server a relayed path goes through (e.g. 443). */
export const relayPortSchema = z.int().min(1).max(65_535);

const names: Record<MediaPath, string> = {
  udp: 'UDP',
  tcp: 'TCP',
  turn_udp: 'TURN/UDP',
  turn_tcp: 'TURN/TCP',
  turn_tls: 'TURN/TLS',
  unknown: '?',
};

/** "UDP", "TCP", "TURN/TLS 443": the same in both languages, except unknown. */
export function mediaPathLabel(path: MediaPath, relayPort?: number): Text {
  if (path === 'unknown') return { vi: 'chưa rõ', en: 'unknown' };
  const name = path.startsWith('turn_') && relayPort ? `${names[path]} ${relayPort}` : names[path];
  return { vi: name, en: name };
}

/** What the path means for the meeting, and what to ask of the school's network. */
export const mediaPathAdvice: Readonly<Record<MediaPath, Text>> = {
  udp: {
    vi: 'Tốt nhất: hình và tiếng đi thẳng tới máy chủ qua UDP.',
    en: 'Best: media goes straight to the server over UDP.',
  },
  tcp: {
    vi: 'Mạng của điểm cầu chặn UDP: hình và tiếng đi qua TCP tới cổng media của máy chủ. Dùng được; khi đường truyền mất gói, hình dễ trễ hơn. Nên đề nghị mở UDP tới cổng media của máy chủ.',
    en: 'The site’s network blocks UDP: media goes over TCP to the server’s media port. It works; on a lossy link the picture lags more. Ask for UDP to the server’s media port to be opened.',
  },
  turn_udp: {
    vi: 'Hình và tiếng đi qua máy chủ chuyển tiếp TURN (UDP). Dùng được, thêm một chặng. Nên đề nghị mở UDP tới cổng media của máy chủ.',
    en: 'Media goes through the TURN relay (UDP). It works, with one more hop. Ask for UDP to the server’s media port to be opened.',
  },
  turn_tcp: {
    vi: 'Chỉ đi được qua máy chủ chuyển tiếp TURN bằng TCP: thêm trễ. Nên đề nghị mở UDP (hoặc TCP) tới cổng media của máy chủ.',
    en: 'Media can only go through the TURN relay over TCP: more delay. Ask for UDP (or TCP) to the server’s media port to be opened.',
  },
  turn_tls: {
    vi: 'Tường lửa (hoặc proxy) của điểm cầu chỉ cho đi cổng web: hình và tiếng đi qua máy chủ TURN bằng TLS. Dùng được nhưng trễ hơn và dễ giật khi mạng kém. Nên đề nghị bộ phận mạng mở UDP, hoặc ít nhất TCP, tới cổng media của máy chủ.',
    en: 'The site’s firewall (or web proxy) lets only web traffic out: media goes through the TURN server over TLS. It works but with more delay, and stalls more on a poor line. Ask the network staff to open UDP, or at least TCP, to the server’s media port.',
  },
  unknown: {
    vi: 'Chưa xác định được đường truyền của hình và tiếng.',
    en: 'The media path is not known yet.',
  },
};
