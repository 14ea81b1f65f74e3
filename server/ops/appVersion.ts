import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root, from the sources (server/ops) or the build (dist/server/ops). */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..').replace(
  /\/dist$/,
  '',
);

let cached: string | undefined;

/** This release's version (package.json), written into backups and the store's schema marker. */
export function appVersion(): string {
  cached ??= (
    JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string }
  ).version;
  return cached;
}
