import { type Site, siteKindLabels } from '../../../../protocol/sites.js';
import { useI18n } from '../../i18n.js';
import { linkTo } from '../../router.js';
import { Checkbox, Notice, SelectField } from '../../ui.js';
import type { FieldErrors, SiteRow } from './form.js';
import { SiteComposition } from './SiteComposition.js';

/** The main point and the participating sites, each with its composition. */
export function SitesSection(props: {
  directory: Site[];
  main: SiteRow;
  sites: SiteRow[];
  errors: FieldErrors;
  nameOf: (siteId: string) => string;
  onChange: (patch: { main?: SiteRow; sites?: SiteRow[] }) => void;
}) {
  const { t, lang } = useI18n();
  const { directory, main, sites, nameOf, onChange: up } = props;
  const err = (k: string) => props.errors[k];
  const siteOptions = [
    { value: '', label: t('chooseSite') },
    ...directory.map((s) => ({ value: s.id, label: s.name })),
  ];
  const chosen = new Set(sites.map((s) => s.siteId));
  const toggleSite = (id: string, on: boolean) =>
    up({
      sites: on
        ? [...sites, { siteId: id, composition: [], expectedCount: '' }]
        : sites.filter((s) => s.siteId !== id),
    });
  return (
    <section class="card" aria-labelledby="sec-sites">
      <h2 id="sec-sites">{t('sectionSites')}</h2>
      {directory.length === 0 ? (
        <Notice kind="warn">
          {t('noSitesInDirectory')}{' '}
          <a href="/admin/sites" onClick={linkTo('/admin/sites')}>
            {t('goToSites')}
          </a>
        </Notice>
      ) : null}
      <div class="grid-2">
        <SelectField
          id="m-main-site"
          label={t('fMainSite')}
          value={main.siteId}
          options={siteOptions}
          required
          onChange={(v) =>
            up({
              main: { ...main, siteId: v },
              sites: sites.filter((s) => s.siteId !== v),
            })
          }
          error={err('mainSite.siteId')}
        />
      </div>
      {main.siteId ? (
        <SiteComposition
          title={`${t('mainPointLabel')}: ${nameOf(main.siteId)}`}
          row={main}
          errorPrefix="mainSite"
          errors={props.errors}
          onChange={(next) => up({ main: next })}
        />
      ) : null}
      <fieldset style={{ border: 0, padding: 0, margin: '12px 0' }}>
        <legend>
          <strong>{t('fSites')}</strong>
        </legend>
        <p class="muted">{t('fSitesHint')}</p>
        <div class="site-pick">
          {directory
            .filter((s) => s.id !== main.siteId)
            .map((s) => (
              <Checkbox
                key={s.id}
                id={`pick-${s.id}`}
                label={`${s.name} (${siteKindLabels[s.kind][lang]})`}
                checked={chosen.has(s.id)}
                onChange={(on) => toggleSite(s.id, on)}
              />
            ))}
        </div>
        {err('sites') ? <div class="field error">{err('sites')}</div> : null}
      </fieldset>
      <div class="editor-list">
        {sites.map((row, i) => (
          <SiteComposition
            key={row.siteId}
            title={nameOf(row.siteId)}
            row={row}
            errorPrefix={`sites.${i}`}
            errors={props.errors}
            onChange={(r) => up({ sites: sites.map((s, j) => (j === i ? r : s)) })}
            onCopyToAll={
              sites.length > 1
                ? () =>
                    up({
                      sites: sites.map((s) => ({
                        ...s,
                        composition: row.composition.map((c) => ({ ...c })),
                        expectedCount: row.expectedCount,
                      })),
                    })
                : undefined
            }
          />
        ))}
      </div>
    </section>
  );
}
