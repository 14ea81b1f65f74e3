import type { MeetingView } from '../../../protocol/meetings.js';
import { formatDateTime } from '../../../protocol/time.js';
import { useI18n } from '../i18n.js';
import { JoinFrame } from './common.js';
import { DocumentsList } from './documents.js';
import { ReportPanel } from './ReportPanel.js';

/** A reporter link: only the site's reports for this meeting (no devices, no live session). */
export function ReporterPage(props: { view: MeetingView }) {
  const { lang } = useI18n();
  const { view } = props;
  const site = view.sites[0]?.site.name ?? '';
  const title = lang === 'vi' ? `Báo cáo của điểm cầu: ${site}` : `Reports of site: ${site}`;
  return (
    <JoinFrame title={title} sub={view.title}>
      <main class="waiting" data-testid="reporter-page">
        <div>
          <ReportPanel meetingId={view.id} />
        </div>
        <aside>
          <section class="card">
            <h2>{lang === 'vi' ? 'Hội nghị' : 'Meeting'}</h2>
            <p>{view.title}</p>
            <p>
              {lang === 'vi' ? 'Khai mạc' : 'Opens'}:{' '}
              <strong>{formatDateTime(view.opensAt)}</strong>
            </p>
          </section>
          <DocumentsList view={view} />
        </aside>
      </main>
    </JoinFrame>
  );
}
