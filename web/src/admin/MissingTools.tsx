import type { ToolsReport } from '../../../protocol/ops.js';
import { api } from '../api.js';
import { localize, useI18n } from '../i18n.js';
import { Notice } from '../ui.js';
import { useLoad } from '../useLoad.js';

/** Above every IT page: an optional program missing on the server, and what it disables. */
export function MissingTools() {
  const { t, lang } = useI18n();
  const report = useLoad(() => api<ToolsReport>('GET', '/api/ops/tools'), []);
  const missing = report.data?.tools.filter((tool) => !tool.ok) ?? [];
  if (missing.length === 0) return null;
  return (
    <div data-testid="missing-tools">
      <Notice kind="warn">
        <strong>{t('toolsMissingTitle')}</strong>
        <ul>
          {missing.map((tool) => (
            <li key={tool.id} data-tool={tool.id}>
              {t('toolMissing', {
                tool: tool.id,
                disables: localize(tool.disables, lang),
                packages: tool.packages.join(' '),
              })}
            </li>
          ))}
        </ul>
      </Notice>
    </div>
  );
}
