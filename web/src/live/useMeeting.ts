import { useEffect, useRef, useState } from 'preact/hooks';
import type { RecordingState } from '../../../protocol/broadcast.js';
import type { Participant, SessionState } from '../../../protocol/socket.js';
import {
  type ConnectionState,
  MeetingClient,
  type MeetingClientOptions,
  type RemoteTrack,
} from '../../client/MeetingClient.js';

export interface MeetingLive {
  client: MeetingClient | undefined;
  state: ConnectionState;
  session: SessionState | undefined;
  participants: Participant[];
  /** Remote tracks by consumer id; a new array on every change. */
  tracks: RemoteTrack[];
  mutedByChair: boolean;
  /** The programme is being recorded (every page says "Đang ghi hình"). */
  recording: RecordingState | undefined;
  /** Why the connection stopped for good (another tab took over, the meeting ended). */
  stopped?: 'replaced' | 'ended' | 'refused' | 'revoked';
  /** Bumped when the server says the meeting's record changed. */
  meetingVersion: number;
  error: Error | undefined;
  /** Everything the client knows about itself once joined. */
  endpointId: string | undefined;
  /** Reconnect after a stop (a new client). */
  restart: () => void;
}

/**
 * One MeetingClient for the page's lifetime, its events turned into state. The client restores
 * itself after network drops; the page only shows what it is doing.
 */
export function useMeeting(options: MeetingClientOptions | undefined): MeetingLive {
  const [client, setClient] = useState<MeetingClient>();
  const [state, setState] = useState<ConnectionState>('connecting');
  const [session, setSession] = useState<SessionState>();
  const [participants, setParticipants] = useState<Participant[]>([]);
  const [tracks, setTracks] = useState<RemoteTrack[]>([]);
  const [mutedByChair, setMutedByChair] = useState(false);
  const [recording, setRecording] = useState<RecordingState>();
  const [stopped, setStopped] = useState<MeetingLive['stopped']>();
  const [error, setError] = useState<Error>();
  const [generation, setGeneration] = useState(0);
  const [meetingVersion, setMeetingVersion] = useState(0);
  const key = options ? JSON.stringify(options) : '';
  const optionsRef = useRef(options);
  optionsRef.current = options;

  useEffect(() => {
    const opts = optionsRef.current;
    if (!opts) return;
    const c = new MeetingClient(opts);
    setClient(c);
    setStopped(undefined);
    setState(c.connectionState);
    const syncTracks = () => setTracks([...c.remote.values()]);
    const offs = [
      c.on('state', setState),
      c.on('session', (s) => {
        setSession(s);
        setError(undefined);
      }),
      c.on('participants', (p) => {
        setParticipants(p);
        const me = p.find((x) => x.endpointId === c.endpointId);
        if (me) setMutedByChair(me.mutedByChair);
      }),
      c.on('trackAdded', syncTracks),
      c.on('trackRemoved', syncTracks),
      c.on('trackPaused', syncTracks),
      c.on('trackResumed', syncTracks),
      c.on('mutedByChair', setMutedByChair),
      c.subscribe('recordingChanged', setRecording),
      c.on('replaced', () => setStopped('replaced')),
      c.on('revoked', () => setStopped('revoked')),
      c.on('meetingUpdated', () => setMeetingVersion((v) => v + 1)),
      c.on('ended', () => setStopped('ended')),
      c.on('error', (err) => {
        setError(err);
        const code = (err as { code?: string }).code;
        if (code && ['unauthorized', 'forbidden', 'not_found', 'conflict'].includes(code)) {
          if (c.connectionState === 'closed') setStopped('refused');
        }
      }),
    ];
    return () => {
      for (const off of offs) off();
      c.close();
      setClient(undefined);
      setTracks([]);
    };
  }, [key, generation]);

  return {
    client,
    state,
    session,
    participants,
    tracks,
    mutedByChair,
    recording,
    ...(stopped ? { stopped } : {}),
    meetingVersion,
    error,
    endpointId: client?.endpointId,
    restart: () => setGeneration((g) => g + 1),
  };
}

/** The video track of one endpoint's source, if received. */
export function trackOf(
  tracks: RemoteTrack[],
  match: (t: RemoteTrack) => boolean,
  kind: 'video' | 'audio' = 'video',
): RemoteTrack | undefined {
  return tracks.find((t) => t.kind === kind && match(t));
}
