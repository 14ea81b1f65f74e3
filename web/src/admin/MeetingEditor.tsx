import { useEffect, useState } from 'preact/hooks';
import { editableStates, type Meeting } from '../../../protocol/meetings.js';
import type { Site } from '../../../protocol/sites.js';
import { ApiError, api } from '../api.js';
import { useI18n } from '../i18n.js';
import { linkTo, navigate } from '../router.js';
import { ErrorNotice, Notice, TextField, toast } from '../ui.js';
import { useLoad } from '../useLoad.js';
import { CheckThresholdsEditor } from './CheckThresholdsEditor.js';
import { AgendaEditor } from './meeting-editor/AgendaEditor.js';
import {
  type FieldErrors,
  formOf,
  inputOf,
  type MeetingForm,
  newForm,
  validate,
} from './meeting-editor/form.js';
import { LetterEditor } from './meeting-editor/LetterEditor.js';
import { RequirementsEditor } from './meeting-editor/RequirementsEditor.js';
import { SitesSection } from './meeting-editor/SitesSection.js';
import { TimeSection } from './meeting-editor/TimeSection.js';

/** Create or edit a meeting: general facts, times, main point and sites, agenda, letter. */
export function MeetingEditor(props: { meetingId?: string }) {
  const { t, lang } = useI18n();
  const sites = useLoad(() => api<{ sites: Site[] }>('GET', '/api/sites').then((r) => r.sites), []);
  const existing = useLoad(
    () =>
      props.meetingId
        ? api<Meeting>('GET', `/api/meetings/${props.meetingId}`)
        : Promise.resolve(undefined),
    [props.meetingId],
  );
  const [form, setForm] = useState<MeetingForm>(newForm);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const [errors, setErrors] = useState<FieldErrors>({});

  useEffect(() => {
    if (existing.data) setForm(formOf(existing.data));
  }, [existing.data]);

  useEffect(() => {
    document.title = `${props.meetingId ? t('editMeetingTitle') : t('newMeetingTitle')} — ${t('appName')}`;
  }, [t, props.meetingId]);

  const directory = sites.data ?? [];
  const nameOf = (id: string) => directory.find((s) => s.id === id)?.name ?? id;
  const up = (patch: Partial<MeetingForm>) => setForm((f) => ({ ...f, ...patch }));
  const err = (k: string) => errors[k];

  const submit = async (e: Event) => {
    e.preventDefault();
    const local = validate(
      form,
      { required: t('requiredField'), date: t('badDate'), time: t('badTime') },
      lang,
    );
    setError(undefined);
    if (Object.keys(local).length) {
      setErrors(local);
      focusFirstError();
      return;
    }
    setErrors({});
    setBusy(true);
    try {
      const body = inputOf(form);
      const saved = existing.data
        ? await api<Meeting>('PUT', `/api/meetings/${existing.data.id}`, {
            ...body,
            version: existing.data.version,
          })
        : await api<Meeting>('POST', '/api/meetings', body);
      toast(t('meetingSaved'));
      navigate(`/admin/meetings/${saved.id}`);
    } catch (caught) {
      setError(caught);
      if (caught instanceof ApiError) {
        setErrors(caught.fieldErrors(lang));
        focusFirstError();
      }
    } finally {
      setBusy(false);
    }
  };

  if (existing.error || sites.error) {
    return (
      <ErrorNotice
        error={existing.error ?? sites.error}
        onRetry={() => {
          void existing.reload();
          void sites.reload();
        }}
      />
    );
  }
  if ((props.meetingId && !existing.data) || !sites.data) {
    return <p aria-busy="true">{t('loading')}</p>;
  }
  if (existing.data && !editableStates.includes(existing.data.state)) {
    return <Notice kind="warn">{t('notEditable')}</Notice>;
  }

  const errorCount = Object.keys(errors).length;
  const back = existing.data ? `/admin/meetings/${existing.data.id}` : '/';

  return (
    <form onSubmit={submit} aria-busy={busy} noValidate data-testid="meeting-form">
      <div class="page-head">
        <h1>{existing.data ? t('editMeetingTitle') : t('newMeetingTitle')}</h1>
      </div>
      {errorCount ? (
        <Notice kind="error">
          <strong>{t('fixFields', { count: errorCount })}</strong>
        </Notice>
      ) : null}
      <ErrorNotice
        error={error}
        {...(error instanceof ApiError && error.code === 'conflict' && existing.data
          ? { onRetry: () => void existing.reload(), retryLabel: 'reloadData' as const }
          : {})}
      />

      <section class="card" aria-labelledby="sec-general">
        <h2 id="sec-general">{t('sectionGeneral')}</h2>
        <TextField
          id="m-title"
          label={t('fTitle')}
          value={form.title}
          onInput={(v) => up({ title: v })}
          required
          error={err('title')}
        />
        <div class="grid-2">
          <TextField
            id="m-organizer"
            label={t('fOrganizer')}
            value={form.organizer}
            onInput={(v) => up({ organizer: v })}
            required
            error={err('organizer')}
          />
          <TextField
            id="m-chair"
            label={t('fChair')}
            value={form.chair}
            onInput={(v) => up({ chair: v })}
            error={err('chair')}
          />
        </div>
        <TextField
          id="m-banner"
          label={t('fBanner')}
          hint={t('fBannerHint')}
          multiline
          value={form.banner}
          onInput={(v) => up({ banner: v })}
          error={err('banner')}
        />
      </section>

      <TimeSection form={form} errors={errors} onChange={up} />

      <SitesSection
        directory={directory}
        main={form.main}
        sites={form.sites}
        errors={errors}
        nameOf={nameOf}
        onChange={up}
      />

      <AgendaEditor
        rows={form.agenda}
        errors={errors}
        siteOptions={[
          { value: '', label: t('none') },
          ...(form.main.siteId
            ? [{ value: form.main.siteId, label: nameOf(form.main.siteId) }]
            : []),
          ...form.sites.map((s) => ({ value: s.siteId, label: nameOf(s.siteId) })),
        ]}
        onChange={(agenda) => up({ agenda })}
      />

      <RequirementsEditor
        requirements={form.requirements}
        errors={errors}
        onChange={(requirements) => up({ requirements })}
      />

      <LetterEditor letter={form.letter} errors={errors} onChange={(letter) => up({ letter })} />
      <CheckThresholdsEditor
        value={form.thresholds}
        errors={errors}
        onChange={(thresholds) => up({ thresholds })}
      />

      <div class="form-actions">
        <button type="submit" class="primary big" disabled={busy} data-testid="save-meeting">
          {busy ? t('saving') : existing.data ? t('save') : t('createMeeting')}
        </button>
        <a class="button" href={back} onClick={linkTo(back)}>
          {t('cancel')}
        </a>
      </div>
    </form>
  );
}

function focusFirstError() {
  requestAnimationFrame(() => {
    const el = document.querySelector<HTMLElement>('[aria-invalid="true"]');
    el?.focus();
  });
}
