import { useEffect, useState } from 'preact/hooks';
import type { AttendanceSummary, Minute } from '../../../protocol/attendance.js';
import type { MeetingView } from '../../../protocol/meetings.js';
import { formatDateTime } from '../../../protocol/time.js';
import { api } from '../api.js';
import { useI18n } from '../i18n.js';
import { ErrorNotice, TextField, toast } from '../ui.js';
import { useLoad } from '../useLoad.js';
import { openWithToken } from './documents.js';

/** Text of these panels, as data: Vietnamese first, English second. */
const L = {
  attendance: { vi: 'Điểm danh', en: 'Attendance' },
  confirmed: { vi: 'Điểm cầu đã xác nhận', en: 'Sites confirmed' },
  present: { vi: 'Có mặt / dự kiến', en: 'Present / expected' },
  minutes: { vi: 'Kết luận (biên bản)', en: 'Conclusion (record)' },
  item: { vi: 'Mục', en: 'Item' },
  saveNote: { vi: 'Lưu kết luận', en: 'Save the conclusion' },
  noteSaved: { vi: 'Đã lưu kết luận', en: 'Conclusion saved' },
  record: { vi: 'Biên bản hội nghị', en: 'Record of the meeting' },
  report: { vi: 'Báo cáo tham dự', en: 'Attendance report' },
  confirmTitle: { vi: 'Xác nhận thành phần có mặt', en: 'Confirm who is present' },
  headCount: { vi: 'Tổng số người có mặt', en: 'Total present' },
  confirm: { vi: 'Xác nhận', en: 'Confirm' },
  confirmedAt: { vi: 'Đã xác nhận lúc', en: 'Confirmed at' },
} as const;

/** The chair: attendance totals, the secretary's note for the current item, the documents. */
export function ChairRecordPanel(props: { view: MeetingView; agendaIndex: number }) {
  const { lang } = useI18n();
  const { view, agendaIndex } = props;
  const summary = useLoad(
    () => api<AttendanceSummary>('GET', `/api/meetings/${view.id}/attendance`),
    [view.id],
  );
  useEffect(() => {
    const timer = setInterval(() => void summary.reload(), 15_000);
    return () => clearInterval(timer);
  }, [summary.reload]);
  const [note, setNote] = useState('');
  const [error, setError] = useState<unknown>();
  const item = view.agenda[agendaIndex];
  const index = Math.max(0, agendaIndex);
  useEffect(() => {
    void api<{ minutes: Minute[] }>('GET', `/api/meetings/${view.id}/record`)
      .then((r) => setNote(r.minutes.find((m) => m.agendaIndex === index)?.conclusion ?? ''))
      .catch(() => {});
  }, [view.id, index]);
  const save = async () => {
    setError(undefined);
    try {
      await api('PUT', `/api/meetings/${view.id}/minutes/${index}`, { conclusion: note });
      toast(L.noteSaved[lang]);
    } catch (err) {
      setError(err);
    }
  };
  const t = summary.data?.totals;
  return (
    <section class="panel" aria-labelledby="h-record" data-testid="record-panel">
      <h2 id="h-record">{L.attendance[lang]}</h2>
      {t ? (
        <p data-testid="attendance-totals">
          {L.confirmed[lang]}: <strong>{`${t.confirmed}/${t.sites}`}</strong>
          <br />
          {L.present[lang]}: <strong>{`${t.present}/${t.expected}`}</strong>
        </p>
      ) : null}
      <TextField
        label={`${L.minutes[lang]} – ${L.item[lang]} ${index + 1}${item ? `: ${item.title}` : ''}`}
        multiline
        value={note}
        onInput={setNote}
      />
      <ErrorNotice error={error ?? summary.error} />
      <button type="button" class="small" onClick={() => void save()}>
        {L.saveNote[lang]}
      </button>{' '}
      <button
        type="button"
        class="small ghost"
        onClick={() => void openWithToken(`/api/meetings/${view.id}/record.html`).catch(setError)}
      >
        {L.record[lang]}
      </button>{' '}
      <button
        type="button"
        class="small ghost"
        onClick={() =>
          void openWithToken(`/api/meetings/${view.id}/attendance/report.html`).catch(setError)
        }
      >
        {L.report[lang]}
      </button>
    </section>
  );
}

/** A site confirms who is present: the composition's roles and the head count, pre-filled. */
export function AttendanceForm(props: { view: MeetingView }) {
  const { lang } = useI18n();
  const own = props.view.sites[0];
  const [roles, setRoles] = useState(
    (own?.composition ?? []).map((c) => ({ role: c.role, present: String(c.count ?? 1) })),
  );
  const [head, setHead] = useState(
    String(own?.expectedCount ?? roles.reduce((n, r) => n + Number(r.present), 0)),
  );
  const [done, setDone] = useState<string>();
  const [error, setError] = useState<unknown>();
  if (!own) return null;
  const submit = async () => {
    setError(undefined);
    try {
      const res = await api<{ confirmedAt: string }>(
        'PUT',
        `/api/meetings/${props.view.id}/attendance/sites/${own.siteId}`,
        {
          roles: roles.map((r) => ({ role: r.role, present: Number(r.present) })),
          headCount: Number(head),
        },
      );
      setDone(res.confirmedAt);
    } catch (err) {
      setError(err);
    }
  };
  return (
    <section class="card" aria-labelledby="h-attend" data-testid="attendance-form">
      <h2 id="h-attend">{L.confirmTitle[lang]}</h2>
      {roles.map((r, i) => (
        <TextField
          key={r.role}
          label={r.role}
          type="number"
          min={0}
          value={r.present}
          onInput={(v) => setRoles((x) => x.map((y, j) => (j === i ? { ...y, present: v } : y)))}
        />
      ))}
      <TextField label={L.headCount[lang]} type="number" min={0} value={head} onInput={setHead} />
      <ErrorNotice error={error} />
      {done ? (
        <p data-testid="attendance-confirmed">
          {L.confirmedAt[lang]} {formatDateTime(done)}
        </p>
      ) : null}
      <button type="button" class="primary" onClick={() => void submit()}>
        {L.confirm[lang]}
      </button>
    </section>
  );
}
