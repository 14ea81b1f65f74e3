import type { Meeting, Participation } from '../../protocol/meetings.js';
import type { Site } from '../../protocol/sites.js';
import {
  formatDate,
  formatLetterDateVi,
  formatLongDateVi,
  formatTime,
  vietnamParts,
} from '../../protocol/time.js';
import { convocationCss as css } from './convocationStyle.js';
import { DocumentHead, Lines, renderDocument } from './renderDocument.js';

/** "07 giờ 30" */
function viClock(iso: string): string {
  const p = vietnamParts(iso);
  return `${String(p.hour).padStart(2, '0')} giờ ${String(p.minute).padStart(2, '0')}`;
}

export interface ConvocationOptions {
  /** Directory records of every site the meeting names (missing ones print their id). */
  sites: ReadonlyMap<string, Site>;
  /** Base URL for attachment downloads. */
  publicUrl: string;
}

type Sites = ReadonlyMap<string, Site>;

function siteName(sites: Sites, id: string): string {
  return sites.get(id)?.name ?? id;
}

function CompositionList(props: { p: Participation }) {
  if (props.p.composition.length === 0) return <p class="muted">(Chưa nêu thành phần)</p>;
  return (
    <ul class="dash">
      {props.p.composition.map((c) => (
        <li>
          {c.role}
          {c.count !== undefined ? ` (${c.count} người);` : ';'}
        </li>
      ))}
    </ul>
  );
}

/** Sites with the same composition are listed together, as the letters do ("Tại 11 điểm cầu…"). */
function groupByComposition(sites: readonly Participation[]): Participation[][] {
  const groups = new Map<string, Participation[]>();
  for (const s of sites) {
    const key = JSON.stringify(s.composition);
    const group = groups.get(key);
    if (group) group.push(s);
    else groups.set(key, [s]);
  }
  return [...groups.values()];
}

const whereOf = (site: Site | undefined) =>
  [site?.hostUnit, site?.address].filter(Boolean).join(', ');

function Participants(props: { meeting: Meeting; sites: Sites }) {
  const { meeting, sites } = props;
  const mainWhere = whereOf(sites.get(meeting.mainSite.siteId));
  const groups = groupByComposition(meeting.sites);
  const hosted = meeting.sites
    .map((p) => sites.get(p.siteId))
    .filter((site): site is Site => site !== undefined && site.attendingUnits.length > 0);
  return (
    <>
      <p>
        <b>1. Tại điểm cầu chính: {siteName(sites, meeting.mainSite.siteId)}</b>
        {mainWhere ? ` (${mainWhere})` : ''}
      </p>
      <CompositionList p={meeting.mainSite} />
      {groups.map((group, i) => {
        const heading =
          groups.length === 1
            ? `Tại ${group.length} điểm cầu tham dự`
            : `Tại ${group.length === 1 ? 'điểm cầu' : `${group.length} điểm cầu`}`;
        const names = group.map((s) => siteName(sites, s.siteId)).join('; ');
        return (
          <>
            <p>
              <b>
                {i + 2}. {heading}:
              </b>{' '}
              {names}.
            </p>
            <CompositionList p={group[0]!} />
          </>
        );
      })}
      {hosted.map((site) => (
        <p class="note">
          * {site.attendingUnits.join('; ')} dự họp tại điểm cầu {site.name}
          {site.hostUnit ? ` (${site.hostUnit})` : ''}.
        </p>
      ))}
      <table class="grid">
        <thead>
          <tr>
            <th>TT</th>
            <th>Điểm cầu</th>
            <th>Nơi đặt điểm cầu</th>
            <th>Số người dự kiến</th>
            <th>Ghi chú</th>
          </tr>
        </thead>
        <tbody>
          {[meeting.mainSite, ...meeting.sites].map((p, i) => (
            <tr>
              <td class="c">{i + 1}</td>
              <td>
                {siteName(sites, p.siteId)}
                {i === 0 && (
                  <>
                    {' '}
                    <i>(điểm cầu chính)</i>
                  </>
                )}
              </td>
              <td>{whereOf(sites.get(p.siteId))}</td>
              <td class="c">{p.expectedCount ?? ''}</td>
              <td>{p.note ? <Lines text={p.note} /> : ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

function Agenda(props: { meeting: Meeting; sites: Sites }) {
  const { meeting, sites } = props;
  if (meeting.agenda.length === 0) return <p>Theo chương trình của Ban tổ chức.</p>;
  const multiDay = formatDate(meeting.opensAt) !== formatDate(meeting.closesAt);
  return (
    <table class="grid">
      <thead>
        <tr>
          <th>Thời gian</th>
          <th>Nội dung</th>
          <th>Người trình bày / điểm cầu</th>
        </tr>
      </thead>
      <tbody>
        {meeting.agenda.map((a) => {
          const who = [a.presenter, a.siteId ? siteName(sites, a.siteId) : undefined]
            .filter(Boolean)
            .join(' – ');
          const when = multiDay
            ? `${formatTime(a.startsAt)} ${formatDate(a.startsAt)}`
            : formatTime(a.startsAt);
          return (
            <tr>
              <td class="c nowrap">{when}</td>
              <td>{a.isBreak ? <i>{a.title}</i> : a.title}</td>
              <td>{who}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

/** Preparation every letter asks for, before the meeting's own lines. */
const standardRequirements = [
  'Các điểm cầu chuẩn bị đầy đủ cơ sở vật chất, thiết bị kỹ thuật (máy tính, camera, micro, loa, màn hình hoặc máy chiếu) và đường truyền Internet ổn định.',
  'Chuẩn bị nguồn điện dự phòng (bộ lưu điện UPS hoặc máy phát điện) để hội nghị không bị gián đoạn khi mất điện.',
  'Cử cán bộ kỹ thuật phụ trách thiết bị họp trực tuyến trực tại điểm cầu trong suốt buổi kiểm tra kỹ thuật và hội nghị; mở thiết bị đúng giờ kiểm tra kết nối.',
];

function Attachments(props: { meeting: Meeting; publicUrl: string }) {
  const { meeting } = props;
  if (meeting.attachments.length === 0) return null;
  return (
    <>
      <h2>VI. Tài liệu</h2>
      <p>Đại biểu in và mang theo tài liệu:</p>
      <ul class="dash">
        {meeting.attachments.map((a) => {
          const href =
            a.kind === 'link'
              ? a.url!
              : `${props.publicUrl}/api/meetings/${encodeURIComponent(meeting.id)}/attachments/${encodeURIComponent(a.id)}`;
          return (
            <li>
              {a.title}: <a href={href}>{href}</a>
            </li>
          );
        })}
      </ul>
    </>
  );
}

/** The letter's header: issuer, number and subject left; the state's motto and date right. */
function LetterHead(props: { meeting: Meeting }) {
  const { meeting } = props;
  const letter = meeting.letter;
  return (
    <table class="head">
      <tr>
        <td class="left">
          {letter?.authority && <div>{letter.authority.toLocaleUpperCase('vi')}</div>}
          <div>
            <b>{meeting.organizer.toLocaleUpperCase('vi')}</b>
          </div>
          <hr class="rule" />
          <div>Số: {letter?.number || '……/……'}</div>
          <div class="subject">
            {letter?.subject ? (
              <Lines text={letter.subject} />
            ) : (
              `V/v triệu tập đại biểu dự ${meeting.title}`
            )}
          </div>
        </td>
        <td class="right">
          <div>
            <b>CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM</b>
          </div>
          <div>
            <b>Độc lập – Tự do – Hạnh phúc</b>
          </div>
          <hr class="rule" />
          <div class="dateline">
            {letter?.place || '…………'},{' '}
            {letter?.date ? formatLetterDateVi(letter.date) : 'ngày …… tháng …… năm ……'}
          </div>
        </td>
      </tr>
    </table>
  );
}

/**
 * The convening letter (giấy triệu tập) as printable A4 HTML, laid out like the department
 * letters in shared/seeds: header block, Kính gửi, composition per site, time, agenda,
 * technical check, what each site prepares, documents, banner text, distribution, signer.
 * Rendered by Preact: every field is a text node or an attribute value, escaped by the renderer.
 */
export function renderConvocation(meeting: Meeting, options: ConvocationOptions): string {
  const { sites } = options;
  const letter = meeting.letter;
  const organizer = meeting.organizer;
  const count = meeting.sites.length;
  const addressees = letter?.addressees.length
    ? letter.addressees
    : [meeting.mainSite, ...meeting.sites].map((p) => siteName(sites, p.siteId));
  const preamble = (letter?.preamble ?? '')
    .split(/\r?\n\s*\r?\n|\r?\n/)
    .map((p) => p.trim())
    .filter(Boolean);
  const opens = meeting.opensAt;
  const sameDay = formatDate(opens) === formatDate(meeting.closesAt);
  const requirements = [
    ...standardRequirements,
    ...meeting.requirements,
    'Đại biểu dự hội nghị đúng thành phần, đủ số lượng, đảm bảo thời gian.',
  ];
  const distribution = letter?.distribution.length ? letter.distribution : undefined;

  return renderDocument(
    <html lang="vi">
      <DocumentHead title={`Giấy triệu tập – ${meeting.title}`} css={css} viewport />
      <body>
        <article class="page">
          <LetterHead meeting={meeting} />
          <div class="to">
            <b>Kính gửi:</b>
            <ul>
              {addressees.map((a) => (
                <li>{a};</li>
              ))}
            </ul>
          </div>
          {preamble.map((p) => (
            <p class="indent">{p}</p>
          ))}
          <p class="indent">
            {organizer} triệu tập đại biểu dự <b>{meeting.title}</b>
            {meeting.chair ? `, do ${meeting.chair} chủ trì` : ''}, tổ chức trực tuyến giữa điểm cầu
            chính và {count} điểm cầu, cụ thể như sau:
          </p>

          <h2>I. Thành phần, địa điểm</h2>
          <Participants meeting={meeting} sites={sites} />

          <h2>II. Thời gian</h2>
          <p>
            Khai mạc lúc {viClock(opens)}, {formatLongDateVi(opens)}; kết thúc lúc{' '}
            {viClock(meeting.closesAt)}
            {sameDay ? '' : `, ${formatLongDateVi(meeting.closesAt)}`}.
          </p>

          <h2>III. Chương trình hội nghị</h2>
          <Agenda meeting={meeting} sites={sites} />

          <h2>IV. Kiểm tra kỹ thuật</h2>
          <p class="indent">
            Từ{' '}
            <b>
              {viClock(meeting.checkAt)}, {formatLongDateVi(meeting.checkAt)}
            </b>
            , điểm cầu chính thực hiện giao ban kỹ thuật (kiểm tra kết nối) với {count} điểm cầu.
            Yêu cầu cán bộ kỹ thuật các điểm cầu có mặt, mở thiết bị và chuẩn bị đầy đủ các phương
            tiện kỹ thuật theo yêu cầu.
          </p>

          <h2>V. Yêu cầu chuẩn bị</h2>
          <ol class="req">
            {requirements.map((r) => (
              <li>
                <Lines text={r} />
              </li>
            ))}
          </ol>
          <Attachments meeting={meeting} publicUrl={options.publicUrl} />
          {meeting.banner && (
            <>
              <h2>{meeting.attachments.length ? 'VII' : 'VI'}. Tít trên phông chính</h2>
              <div class="banner">
                <Lines text={meeting.banner} />
              </div>
            </>
          )}

          <p class="indent">
            {organizer} yêu cầu các đơn vị dự hội nghị đúng thành phần, đảm bảo thời gian để hội
            nghị đạt kết quả tốt./.
          </p>

          <table class="foot">
            <tr>
              <td class="recv">
                <b>
                  <i>Nơi nhận:</i>
                </b>
                <ul>
                  {distribution ? (
                    distribution.map((d, i) => (
                      <li>
                        {d}
                        {i === distribution.length - 1 ? '.' : ';'}
                      </li>
                    ))
                  ) : (
                    <>
                      <li>Như trên;</li>
                      <li>Lưu: VT.</li>
                    </>
                  )}
                </ul>
              </td>
              <td class="sign">
                {letter?.signerTitle && <Lines text={letter.signerTitle.toLocaleUpperCase('vi')} />}
                <div class="sign-space" />
                {letter?.signerName ?? ''}
              </td>
            </tr>
          </table>
        </article>
      </body>
    </html>,
  );
}
