/**
 * Fails when a module imports itself through others (an import cycle), type-only imports
 * included. Run by `npm run lint`; the same check as
 * `madge --circular --extensions ts,tsx`, without a package to install.
 *
 *   npx tsx scripts/check-cycles.ts [folder …]   (default: every source folder of the project)
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

const root = resolve(import.meta.dirname, '..');
const defaults = [
  'protocol',
  'client',
  'config',
  'media',
  'signaling',
  'server',
  'broadcast',
  'web',
  'loadtest',
  'scripts',
  'test',
];
const skip = new Set(['node_modules', 'dist', 'test-artifacts', 'data']);

function sources(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    if (skip.has(name)) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) sources(path, out);
    else if (/\.tsx?$/.test(name) && !name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

/** A relative specifier as NodeNext writes it ("./x.js") → the source file it names. */
function resolveImport(from: string, specifier: string): string | undefined {
  if (!specifier.startsWith('.')) return undefined;
  const base = resolve(dirname(from), specifier);
  const stem = base.replace(/\.(js|jsx|ts|tsx)$/, '');
  for (const candidate of [`${stem}.ts`, `${stem}.tsx`, join(base, 'index.ts')])
    if (existsSync(candidate)) return candidate;
  return undefined;
}

const folders = (process.argv.slice(2).length ? process.argv.slice(2) : defaults)
  .map((f) => resolve(root, f))
  .filter((f) => existsSync(f));
const graph = new Map<string, string[]>();
for (const file of folders.flatMap((f) => sources(f))) {
  const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
  graph.set(
    file,
    info.importedFiles
      .map((i) => resolveImport(file, i.fileName))
      .filter((f): f is string => f !== undefined),
  );
}

// Depth-first search; a back edge to a file on the current path closes a cycle.
const cycles: string[][] = [];
const state = new Map<string, 'open' | 'done'>();
const path: string[] = [];
function visit(file: string): void {
  state.set(file, 'open');
  path.push(file);
  for (const next of graph.get(file) ?? []) {
    if (state.get(next) === 'open') cycles.push([...path.slice(path.indexOf(next)), next]);
    else if (!state.has(next)) visit(next);
  }
  path.pop();
  state.set(file, 'done');
}
for (const file of graph.keys()) if (!state.has(file)) visit(file);

if (cycles.length === 0) {
  process.stdout.write(`no import cycle in ${graph.size} files\n`);
} else {
  for (const cycle of cycles)
    process.stderr.write(`import cycle: ${cycle.map((f) => relative(root, f)).join(' → ')}\n`);
  process.exitCode = 1;
}
