import { readFileSync } from 'node:fs';
import { availableParallelism, hostname } from 'node:os';
import type { z } from 'zod';
import { envNameFor, envToPath } from './env.js';
import { type Config, configSchema } from './schema.js';

/** Raised when configuration is invalid; its message names each setting and what is expected. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: string[]) {
    super(
      `Cấu hình không hợp lệ / Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`,
    );
  }
}

export interface LoadConfigOptions {
  env?: NodeJS.ProcessEnv;
  /** JSON file with the same shape as the config; DIEMCAU_CONFIG names it by default. */
  file?: string;
  /** Values applied last (tests). */
  overrides?: Record<string, unknown>;
}

type Tree = Record<string, unknown>;

function setPath(tree: Tree, path: readonly string[], value: unknown): void {
  let node = tree;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) node[key] = {};
    node = node[key] as Tree;
  }
  node[path[path.length - 1]!] = value;
}

function deepMerge(base: Tree, extra: Tree): Tree {
  const out: Tree = { ...base };
  for (const [k, v] of Object.entries(extra)) {
    const b = out[k];
    out[k] =
      v &&
      typeof v === 'object' &&
      !Array.isArray(v) &&
      b &&
      typeof b === 'object' &&
      !Array.isArray(b)
        ? deepMerge(b as Tree, v as Tree)
        : v;
  }
  return out;
}

function readFile(file: string): Tree {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError([
      `DIEMCAU_CONFIG: cannot read ${file} (${(err as NodeJS.ErrnoException).code})`,
    ]);
  }
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new Error('top level must be an object');
    }
    return parsed as Tree;
  } catch (err) {
    throw new ConfigError([
      `DIEMCAU_CONFIG: ${file} is not a JSON object: ${(err as Error).message}`,
    ]);
  }
}

function describe(issue: z.core.$ZodIssue, input: Tree): string {
  // A list setting's issue points inside the list (trustedProxies.0): name the setting itself.
  let env: string | undefined;
  for (let n = issue.path.length; n > 0 && !env; n--) env = envNameFor(issue.path.slice(0, n));
  const dotted = issue.path.join('.') || '(root)';
  const name = env ? `${env} (${dotted})` : dotted;
  let got: unknown = input;
  for (const key of issue.path) {
    if (typeof got !== 'object' || got === null) break;
    got = (got as Tree)[key as string];
  }
  const shown = got === undefined ? '' : `, got ${JSON.stringify(got)}`;
  if (issue.code === 'unrecognized_keys') {
    return `${dotted}: unknown setting(s) ${issue.keys.join(', ')}`;
  }
  return `${name}: ${issue.message}${shown}`;
}

/** Defaults, then the optional file, then environment variables, then overrides; then validation. */
export function loadConfig(options: LoadConfigOptions = {}): Config {
  const env = options.env ?? process.env;
  const file = options.file ?? env.DIEMCAU_CONFIG;
  let input: Tree = file ? readFile(file) : {};
  const fromEnv: Tree = {};
  for (const [name, path] of Object.entries(envToPath)) {
    const value = env[name];
    if (value !== undefined && value !== '') setPath(fromEnv, path, value);
  }
  input = deepMerge(input, fromEnv);
  if (options.overrides) input = deepMerge(input, options.overrides);
  const result = configSchema.safeParse(input);
  if (!result.success) throw new ConfigError(result.error.issues.map((i) => describe(i, input)));
  const config = result.data;
  config.media.numWorkers ??= availableParallelism();
  config.http.publicUrl ??= `http://localhost:${config.http.port}`;
  config.http.publicUrl = config.http.publicUrl.replace(/\/+$/, '');
  if (config.cluster.nodeUrl) config.cluster.nodeUrl = config.cluster.nodeUrl.replace(/\/+$/, '');
  config.cluster.nodeId ??= `${hostname()}-${process.pid}`;
  return config;
}
