import type { ClientFigures } from '../../protocol/check/index.js';
import type { MediaPath } from '../../protocol/mediaPath.js';

/*
 * The path a transport's media takes, read from its selected ICE candidate pair: the local
 * candidate's type says direct or relayed; a direct one's protocol says UDP or TCP (ICE-TCP to the
 * worker's port); a relayed one's relayProtocol says how the page reaches the TURN server
 * (udp, tcp, tls) and its url names the server's port (turns:…:443).
 */

export interface SelectedPath {
  path: MediaPath;
  relayPort?: number;
  candidateType: ClientFigures['candidateType'];
  protocol: ClientFigures['protocol'];
}

export function selectedPathOf(stats: RTCStatsReport | undefined): SelectedPath {
  const byId = new Map<string, Record<string, unknown>>();
  let selectedPairId: string | undefined;
  stats?.forEach((s) => {
    byId.set(s.id, s);
    if (s.type === 'transport' && s.selectedCandidatePairId)
      selectedPairId = s.selectedCandidatePairId;
  });
  let pair = selectedPairId ? byId.get(selectedPairId) : undefined;
  if (!pair) {
    for (const s of byId.values())
      if (s.type === 'candidate-pair' && s.nominated && s.state === 'succeeded') pair = s;
  }
  const local = pair ? byId.get(String(pair.localCandidateId)) : undefined;
  const type = String(local?.candidateType ?? 'unknown');
  const candidateType = (
    ['host', 'srflx', 'prflx', 'relay'].includes(type) ? type : 'unknown'
  ) as ClientFigures['candidateType'];
  // Through TURN the leg to the SFU is what the relay uses; otherwise the candidate's own.
  const relayProtocol =
    local?.relayProtocol === undefined ? undefined : String(local.relayProtocol);
  const proto = String(relayProtocol ?? local?.protocol ?? 'unknown');
  const protocol = (
    proto === 'udp' || proto === 'tcp' ? proto : proto === 'tls' ? 'tcp' : 'unknown'
  ) as ClientFigures['protocol'];
  let path: MediaPath = 'unknown';
  if (candidateType === 'relay') {
    path =
      relayProtocol === 'tls'
        ? 'turn_tls'
        : relayProtocol === 'tcp'
          ? 'turn_tcp'
          : relayProtocol === 'udp'
            ? 'turn_udp'
            : 'unknown';
  } else if (candidateType !== 'unknown') {
    const own = String(local?.protocol ?? '');
    path = own === 'udp' ? 'udp' : own === 'tcp' ? 'tcp' : 'unknown';
  }
  const port = relayPortOf(local?.url);
  return {
    path,
    candidateType,
    protocol,
    ...(path.startsWith('turn_') && port !== undefined ? { relayPort: port } : {}),
  };
}

/** The port in a TURN URL (turns:host:443?transport=tcp); the scheme's default otherwise. */
function relayPortOf(url: unknown): number | undefined {
  if (typeof url !== 'string') return undefined;
  const m = /^turns?:(?:\[[^\]]+\]|[^:?]+)(?::(\d+))?/.exec(url);
  if (!m) return undefined;
  if (m[1]) return Number(m[1]);
  return url.startsWith('turns:') ? 5349 : 3478;
}
