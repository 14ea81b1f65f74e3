import { useState } from 'preact/hooks';
import { type Meeting, type MeetingState, meetingStateLabels } from '../../../protocol/meetings.js';
import { formatDateTime, formatLongDateVi, vietnamDate } from '../../../protocol/time.js';
import { api } from '../api.js';
import { type Lang, useI18n } from '../i18n.js';
import { linkTo } from '../router.js';
import { ErrorNotice } from '../ui.js';
import { useLoad } from '../useLoad.js';

export function stateBadgeClass(state: MeetingState): string {
  switch (state) {
    case 'live':
      return 'ok';
    case 'checking':
      return 'warn';
    case 'scheduled':
      return 'info';
    case 'cancelled':
      return 'danger';
    default:
      return 'neutral';
  }
}

export function StateBadge(props: { state: MeetingState }) {
  const { lang } = useI18n();
  return (
    <span class={`badge ${stateBadgeClass(props.state)}`} data-testid="meeting-state">
      {meetingStateLabels[props.state][lang]}
    </span>
  );
}

export function longDate(iso: string, lang: Lang): string {
  if (lang === 'vi') return formatLongDateVi(iso);
  return new Intl.DateTimeFormat('en-GB', {
    timeZone: 'Asia/Ho_Chi_Minh',
    weekday: 'long',
    day: '2-digit',
    month: '2-digit',
    year: 'numeric',
  }).format(new Date(iso));
}

/** Today's and upcoming meetings first; past ones on demand. */
export function MeetingsList() {
  const { t, lang } = useI18n();
  const list = useLoad(
    () => api<{ meetings: Meeting[] }>('GET', '/api/meetings').then((r) => r.meetings),
    [],
  );
  const [showPast, setShowPast] = useState(false);
  const today = vietnamDate(Date.now());
  const meetings = list.data ?? [];
  const todays = meetings.filter((m) => vietnamDate(m.opensAt) === today);
  const upcoming = meetings.filter((m) => vietnamDate(m.opensAt) > today);
  const past = meetings.filter((m) => vietnamDate(m.opensAt) < today).reverse();

  return (
    <>
      <div class="page-head">
        <h1>{t('navMeetings')}</h1>
        <span class="spacer" />
        <a
          class="button primary"
          href="/admin/meetings/new"
          onClick={linkTo('/admin/meetings/new')}
          data-testid="new-meeting"
        >
          + {t('navNewMeeting')}
        </a>
      </div>
      <ErrorNotice error={list.error} onRetry={() => void list.reload()} />
      {list.loading && !list.data ? <p aria-busy="true">{t('loading')}</p> : null}
      {list.data ? (
        <>
          <section aria-labelledby="h-today" class="card">
            <h2 id="h-today">
              {t('meetingsToday')} — {longDate(new Date().toISOString(), lang)}
            </h2>
            {todays.length ? (
              <MeetingCards meetings={todays} />
            ) : (
              <p class="muted">{t('meetingsNoneToday')}</p>
            )}
          </section>
          <section aria-labelledby="h-upcoming" class="card">
            <h2 id="h-upcoming">{t('meetingsUpcoming')}</h2>
            {upcoming.length ? (
              <MeetingCards meetings={upcoming} />
            ) : (
              <p class="muted">{t('meetingsNoneUpcoming')}</p>
            )}
          </section>
          {past.length ? (
            <section aria-labelledby="h-past" class="card">
              <div class="card-head">
                <h2 id="h-past">{t('meetingsPast')}</h2>
                <button
                  type="button"
                  class="small"
                  aria-expanded={showPast}
                  onClick={() => setShowPast(!showPast)}
                >
                  {showPast ? t('hidePast') : t('showPast', { count: past.length })}
                </button>
              </div>
              {showPast ? <MeetingCards meetings={past} /> : null}
            </section>
          ) : null}
        </>
      ) : null}
    </>
  );
}

function MeetingCards(props: { meetings: Meeting[] }) {
  const { t } = useI18n();
  return (
    <ul class="meeting-list" style={{ listStyle: 'none', padding: 0, margin: 0 }}>
      {props.meetings.map((m) => (
        <li key={m.id} class="meeting-card" data-testid="meeting-card">
          <div class="row" style={{ alignItems: 'center', gap: '10px' }}>
            <StateBadge state={m.state} />
          </div>
          <h3>
            <a href={`/admin/meetings/${m.id}`} onClick={linkTo(`/admin/meetings/${m.id}`)}>
              {m.title}
            </a>
          </h3>
          <div class="facts">
            <span>
              {t('opensAtLabel')}: <strong>{formatDateTime(m.opensAt)}</strong>
            </span>
            <span>
              {t('checkAtLabel')}: <strong>{formatDateTime(m.checkAt)}</strong>
            </span>
            <span>{t('sitesCount', { count: m.sites.length })}</span>
          </div>
          <div class="buttons">
            <a
              class="button small primary"
              href={`/admin/meetings/${m.id}`}
              onClick={linkTo(`/admin/meetings/${m.id}`)}
            >
              {t('openMeeting')}
            </a>
            {['draft', 'scheduled', 'checking'].includes(m.state) ? (
              <a
                class="button small"
                href={`/admin/meetings/${m.id}/edit`}
                onClick={linkTo(`/admin/meetings/${m.id}/edit`)}
              >
                {t('edit')}
              </a>
            ) : null}
          </div>
        </li>
      ))}
    </ul>
  );
}
