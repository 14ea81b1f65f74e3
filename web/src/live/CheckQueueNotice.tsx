import { useEffect, useState } from 'preact/hooks';
import {
  type CheckProgress,
  type CheckQueued,
  checkQueueNotifications,
  progressLabels,
  queueText,
} from '../../../protocol/check/queue.js';
import { formatTime } from '../../../protocol/time.js';
import type { MeetingClient } from '../../client/MeetingClient.js';
import { api } from '../api.js';
import { useI18n } from '../i18n.js';

type QueueNotification = keyof typeof checkQueueNotifications;

/** Subscribes to one message of the check queue, checked with its zod schema. */
export function onQueueNotification<N extends QueueNotification>(
  client: MeetingClient,
  name: N,
  fn: (payload: N extends 'checkQueued' ? CheckQueued : CheckProgress) => void,
): () => void {
  const handler = (raw: unknown) => {
    const parsed = checkQueueNotifications[name].safeParse(raw);
    if (parsed.success) fn(parsed.data as never);
  };
  client.socket.on(name as string, handler);
  return () => void client.socket.off(name as string, handler);
}

const waitingHint = {
  vi: 'Trong lúc chờ, có thể thử camera, micro, loa và xác nhận danh mục chuẩn bị. Trang sẽ tự kiểm tra khi đến lượt.',
  en: 'While waiting you can test the camera, microphone and speakers and confirm the checklist. The page runs the check by itself when your turn comes.',
};

/**
 * The technician's place in the check queue ("Đang chờ lượt kiểm tra: thứ 37, khoảng 4 phút").
 * Informative only: devices and the checklist stay usable while waiting.
 */
export function CheckQueueNotice(props: { client: MeetingClient | undefined }) {
  const { lang } = useI18n();
  const [queued, setQueued] = useState<CheckQueued>();
  useEffect(() => {
    const c = props.client;
    if (!c) return;
    const offQueued = onQueueNotification(c, 'checkQueued', setQueued);
    // The turn came: the check panel takes over.
    const onTurn = () => setQueued(undefined);
    c.socket.on('checkRequested', onTurn);
    return () => {
      offQueued();
      c.socket.off('checkRequested', onTurn);
    };
  }, [props.client]);
  if (queued?.state !== 'waiting' || queued.position === undefined) return null;
  const text = queueText({ position: queued.position, etaMs: queued.etaMs ?? 0 });
  return (
    <section class="card" role="status" aria-live="polite" data-testid="check-queue">
      <p style={{ margin: 0 }}>
        <strong>{text[lang]}</strong>
      </p>
      <p class="muted" style={{ margin: '4px 0 0' }}>
        {waitingHint[lang]}
      </p>
    </section>
  );
}

/** The IT board's line on the check window in waves: checked / checking / waiting / offline. */
export function CheckProgressLine(props: { meetingId: string; client: MeetingClient | undefined }) {
  const { lang } = useI18n();
  const [p, setP] = useState<CheckProgress>();
  useEffect(() => {
    let stop = false;
    const load = () =>
      api<CheckProgress>('GET', `/api/meetings/${props.meetingId}/check-progress`).then(
        (x) => !stop && setP(x),
        () => {},
      );
    void load();
    // The socket pushes changes; the poll catches anything missed while offline.
    const timer = setInterval(() => void load(), 15_000);
    const c = props.client;
    const off = c
      ? onQueueNotification(c, 'checkProgress', (x) => x.meetingId === props.meetingId && setP(x))
      : undefined;
    return () => {
      stop = true;
      clearInterval(timer);
      off?.();
    };
  }, [props.meetingId, props.client]);
  if (!p?.active) return null;
  const L = progressLabels;
  const item = (label: { vi: string; en: string }, n: number, cls: string, key: string) => (
    <span class={`badge ${cls}`} data-testid={`progress-${key}`}>
      {label[lang]}: {n}
    </span>
  );
  return (
    <div
      class="row"
      style={{ gap: '8px', flexWrap: 'wrap', alignItems: 'center' }}
      role="status"
      aria-live="polite"
      data-testid="check-progress"
    >
      <strong>{L.title[lang]}</strong>
      {item(L.checked, p.checked, 'ok', 'checked')}
      {item(L.checking, p.checking, 'warn', 'checking')}
      {item(L.waiting, p.waiting, 'info', 'waiting')}
      {item(L.offline, p.offline, 'neutral', 'offline')}
      <span class="muted">
        {L.limit[lang]}: {p.limit}
        {p.expectedEndAt ? ` · ${L.expectedEnd[lang]} ${formatTime(p.expectedEndAt)}` : ''}
      </span>
    </div>
  );
}
