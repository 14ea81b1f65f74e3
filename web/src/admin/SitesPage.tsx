import { useState } from 'preact/hooks';
import {
  type Site,
  type SiteInput,
  type SiteKind,
  siteKindLabels,
  siteKinds,
} from '../../../protocol/sites.js';
import { ApiError, api } from '../api.js';
import { DataTable } from '../DataTable.js';
import { useI18n } from '../i18n.js';
import { ErrorNotice, SelectField, TextField, toast } from '../ui.js';
import { useLoad } from '../useLoad.js';

interface SiteForm {
  name: string;
  kind: SiteKind;
  hostUnit: string;
  address: string;
  techName: string;
  techPhone: string;
  techEmail: string;
  units: string;
  notes: string;
}

const emptyForm: SiteForm = {
  name: '',
  kind: 'district_office',
  hostUnit: '',
  address: '',
  techName: '',
  techPhone: '',
  techEmail: '',
  units: '',
  notes: '',
};

function formOf(s: Site): SiteForm {
  return {
    name: s.name,
    kind: s.kind,
    hostUnit: s.hostUnit ?? '',
    address: s.address ?? '',
    techName: s.technician?.name ?? '',
    techPhone: s.technician?.phone ?? '',
    techEmail: s.technician?.email ?? '',
    units: s.attendingUnits.join('\n'),
    notes: s.notes ?? '',
  };
}

function inputOf(f: SiteForm): SiteInput {
  const opt = (v: string) => (v.trim() ? v.normalize('NFC').trim() : undefined);
  const technician = {
    ...(opt(f.techName) ? { name: opt(f.techName) } : {}),
    ...(opt(f.techPhone) ? { phone: opt(f.techPhone) } : {}),
    ...(opt(f.techEmail) ? { email: opt(f.techEmail) } : {}),
  };
  return {
    name: f.name.normalize('NFC').trim(),
    kind: f.kind,
    ...(opt(f.hostUnit) ? { hostUnit: opt(f.hostUnit) } : {}),
    ...(opt(f.address) ? { address: opt(f.address) } : {}),
    ...(Object.keys(technician).length ? { technician } : {}),
    attendingUnits: f.units
      .split('\n')
      .map((u) => u.normalize('NFC').trim())
      .filter(Boolean),
    ...(opt(f.notes) ? { notes: opt(f.notes) } : {}),
  };
}

/** The site directory: registered once, reused by every meeting. */
export function SitesPage() {
  const { t, lang } = useI18n();
  const list = useLoad(() => api<{ sites: Site[] }>('GET', '/api/sites').then((r) => r.sites), []);
  const [editing, setEditing] = useState<Site | 'new' | null>(null);
  const [deleteError, setDeleteError] = useState<unknown>();

  const remove = async (site: Site) => {
    if (!window.confirm(t('confirmDelete', { name: site.name }))) return;
    setDeleteError(undefined);
    try {
      await api('DELETE', `/api/sites/${site.id}`, undefined, { ifMatch: site.version });
      toast(t('siteDeleted'));
      await list.reload();
    } catch (err) {
      setDeleteError(err);
    }
  };

  return (
    <>
      <div class="page-head">
        <h1>{t('sitesTitle')}</h1>
        <span class="muted">{t('sitesHint')}</span>
        <span class="spacer" />
        <button
          type="button"
          class="primary"
          onClick={() => setEditing('new')}
          data-testid="add-site"
        >
          + {t('addSite')}
        </button>
      </div>
      {editing ? (
        <SiteEditor
          key={editing === 'new' ? 'new' : editing.id}
          site={editing === 'new' ? undefined : editing}
          onDone={async (saved) => {
            setEditing(null);
            if (saved) await list.reload();
          }}
        />
      ) : null}
      <ErrorNotice error={deleteError} onRetry={() => void list.reload()} retryLabel="reloadData" />
      <ErrorNotice error={list.error} onRetry={() => void list.reload()} />
      {list.data && list.data.length === 0 ? <p class="muted">{t('sitesEmpty')}</p> : null}
      {list.data && list.data.length > 0 ? (
        <DataTable
          wrapClass="card"
          testId="sites-table"
          caption={t('sitesTitle')}
          columns={[t('sName'), t('sKind'), t('sHostUnit'), t('colTechnician'), t('colActions')]}
        >
          {list.data.map((s) => (
            <tr key={s.id}>
              <th scope="row">{s.name}</th>
              <td>{siteKindLabels[s.kind][lang]}</td>
              <td>{s.hostUnit ?? ''}</td>
              <td>
                <TechnicianContact technician={s.technician} />
              </td>
              <td class="actions">
                <button
                  type="button"
                  class="small"
                  onClick={() => setEditing(s)}
                  aria-label={`${t('edit')}: ${s.name}`}
                >
                  {t('edit')}
                </button>
                <button
                  type="button"
                  class="small"
                  onClick={() => void remove(s)}
                  aria-label={`${t('delete')}: ${s.name}`}
                >
                  {t('delete')}
                </button>
              </td>
            </tr>
          ))}
        </DataTable>
      ) : null}
    </>
  );
}

export function TechnicianContact(props: { technician: Site['technician'] }) {
  const { t } = useI18n();
  const tech = props.technician;
  if (!tech?.name && !tech?.phone) return <span class="muted">{t('none')}</span>;
  return (
    <span>
      {tech.name ? <span>{tech.name}</span> : null}
      {tech.phone ? (
        <>
          {tech.name ? ' · ' : ''}
          <a
            href={`tel:${tech.phone.replace(/[^\d+]/g, '')}`}
            aria-label={t('callTech', { phone: tech.phone })}
          >
            {tech.phone}
          </a>
        </>
      ) : null}
    </span>
  );
}

function SiteEditor(props: { site: Site | undefined; onDone: (saved: boolean) => void }) {
  const { t, lang } = useI18n();
  const [form, setForm] = useState<SiteForm>(props.site ? formOf(props.site) : emptyForm);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});
  const set = (k: keyof SiteForm) => (v: string) => setForm({ ...form, [k]: v });

  const submit = async (e: Event) => {
    e.preventDefault();
    if (!form.name.trim()) {
      setFieldErrors({ name: t('requiredField') });
      document.getElementById('site-name')?.focus();
      return;
    }
    setBusy(true);
    setError(undefined);
    setFieldErrors({});
    try {
      const body = inputOf(form);
      if (props.site)
        await api('PUT', `/api/sites/${props.site.id}`, { ...body, version: props.site.version });
      else await api('POST', '/api/sites', body);
      toast(t('siteSaved'));
      props.onDone(true);
    } catch (err) {
      setError(err);
      if (err instanceof ApiError) setFieldErrors(err.fieldErrors(lang));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="card" onSubmit={submit} aria-busy={busy} noValidate data-testid="site-form">
      <h2>{props.site ? t('editSite') : t('newSite')}</h2>
      <ErrorNotice error={error} />
      <div class="grid-2">
        <TextField
          id="site-name"
          label={t('sName')}
          value={form.name}
          onInput={set('name')}
          required
          error={fieldErrors.name}
        />
        <SelectField
          id="site-kind"
          label={t('sKind')}
          value={form.kind}
          onChange={(v) => setForm({ ...form, kind: v as SiteKind })}
          options={siteKinds.map((k) => ({ value: k, label: siteKindLabels[k][lang] }))}
          error={fieldErrors.kind}
        />
        <TextField
          id="site-host"
          label={t('sHostUnit')}
          value={form.hostUnit}
          onInput={set('hostUnit')}
          error={fieldErrors.hostUnit}
        />
        <TextField
          id="site-address"
          label={t('sAddress')}
          value={form.address}
          onInput={set('address')}
          error={fieldErrors.address}
        />
      </div>
      <div class="grid-3">
        <TextField
          id="site-tech-name"
          label={t('sTechName')}
          value={form.techName}
          onInput={set('techName')}
          error={fieldErrors['technician.name']}
        />
        <TextField
          id="site-tech-phone"
          label={t('sTechPhone')}
          type="tel"
          value={form.techPhone}
          onInput={set('techPhone')}
          error={fieldErrors['technician.phone']}
        />
        <TextField
          id="site-tech-email"
          label={t('sTechEmail')}
          type="email"
          value={form.techEmail}
          onInput={set('techEmail')}
          error={fieldErrors['technician.email']}
        />
      </div>
      <div class="grid-2">
        <TextField
          id="site-units"
          label={t('sUnits')}
          multiline
          value={form.units}
          onInput={set('units')}
          error={Object.entries(fieldErrors).find(([k]) => k.startsWith('attendingUnits'))?.[1]}
        />
        <TextField
          id="site-notes"
          label={t('sNotes')}
          multiline
          value={form.notes}
          onInput={set('notes')}
          error={fieldErrors.notes}
        />
      </div>
      <div class="row">
        <button type="submit" class="primary" disabled={busy} data-testid="save-site">
          {busy ? t('saving') : t('save')}
        </button>
        <button type="button" onClick={() => props.onDone(false)}>
          {t('cancel')}
        </button>
      </div>
    </form>
  );
}
