import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { resolveBinary, toolPackages } from '../../server/ops/tools.js';

/*
 * Line 1 of the README (scripts/setup.sh without --test) must install every program the code
 * starts. Every spawn/execFile call in the shipped code is found here; each must be known to
 * the table below, and the Debian package that owns the binary must be in setup.sh's runtime
 * list (or be Essential, i.e. on every Debian system).
 */

const root = join(import.meta.dirname, '..', '..');

/** What a call's first argument names: the binary it starts (config defaults for settings). */
const spawned: Record<string, string> = {
  "'openssl'": 'openssl',
  "'redis-cli'": 'redis-cli',
  "'tar'": 'tar',
  "'timedatectl'": 'timedatectl',
  "'chronyc'": 'chronyc',
  setpriv: 'setpriv',
  bin: 'redis-server',
  'settings.pythonBin': '/usr/bin/python3',
  pythonPath: '/usr/bin/python3',
  'this.options.ffmpegBin': 'ffmpeg',
  'this.chromiumPath': '/usr/bin/chromium',
  file: '/usr/bin/chromium', // server/documents/printPdf.ts: the printing Chromium
};

/** Tools a check uses when present and says so when absent (never a feature's dependency). */
const optional: Record<string, string> = {
  timedatectl: 'the doctor falls back to chronyc, then says it cannot tell',
  chronyc: 'the doctor tries timedatectl first',
};

function shippedSources(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) {
      if (entry !== 'node_modules' && entry !== 'bench' && entry !== 'dist')
        out.push(...shippedSources(path));
    } else if (entry.endsWith('.ts') && !entry.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

function runtimePackages(): Set<string> {
  const script = readFileSync(join(root, 'scripts', 'setup.sh'), 'utf8');
  const m = /^packages=\(([^)]*)\)/m.exec(script);
  if (!m) throw new Error('no packages=(…) list in scripts/setup.sh');
  return new Set(m[1]!.split(/\s+/).filter(Boolean));
}

function owningPackage(binary: string): string | undefined {
  const found = resolveBinary(binary, `${process.env.PATH ?? ''}:/usr/bin:/bin:/usr/sbin:/sbin`);
  if (!found) return undefined;
  // usrmerge: dpkg may know /bin/tar rather than /usr/bin/tar, or the link rather than its target.
  const candidates = [found, realpathSync(found)].flatMap((p) => [p, p.replace(/^\/usr/, '')]);
  // One call for all candidates (exit 1 when some are unknown; the known ones are printed).
  const out = spawnSync('dpkg-query', ['-S', ...new Set(candidates)], { encoding: 'utf8' }).stdout;
  return out ? out.split(':')[0] : undefined;
}

/** Packages the listed ones depend on directly (python3 → python3-minimal): installed with them. */
function directDependencies(listed: Set<string>): Set<string> {
  // spawnSync: dpkg-query exits 1 when a listed package is not installed; the rest still counts.
  const out = spawnSync(
    'dpkg-query',
    ['-W', `-f=${'$'}{Depends}, ${'$'}{Pre-Depends}\\n`, ...listed],
    { encoding: 'utf8' },
  ).stdout;
  return new Set(
    out
      .split(/[,|\n]/)
      .map((d) => d.trim().split(/[\s:(]/)[0]!)
      .filter(Boolean),
  );
}

function essential(pkg: string): boolean {
  try {
    return (
      execFileSync('dpkg-query', ['-W', `-f=${'$'}{Essential}`, pkg], {
        stdio: 'pipe',
      }).toString() === 'yes'
    );
  } catch {
    return false;
  }
}

t.test(
  'every program the code starts comes from a package scripts/setup.sh installs',
  async (t) => {
    const calls: { file: string; arg: string }[] = [];
    for (const dir of [
      'server',
      'broadcast',
      'media',
      'signaling',
      'config',
      'scripts',
      'loadtest',
    ]) {
      if (!existsSync(join(root, dir))) continue;
      for (const file of shippedSources(join(root, dir))) {
        const text = readFileSync(file, 'utf8');
        if (!text.includes('node:child_process')) continue;
        for (const m of text.matchAll(
          /(?<![.\w])(?:spawn|spawnSync|execFile|execFileSync|exec|execSync|run)\((?!\s*\w+\??\s*:)\s*([^,)\s]+)/g,
        )) {
          calls.push({ file: file.slice(root.length + 1), arg: m[1]! });
        }
      }
    }
    t.ok(calls.length >= 8, `found ${calls.length} calls`);
    const packages = runtimePackages();
    const dependencies = directDependencies(packages);
    const seen = new Set<string>();
    for (const call of calls) {
      const binary = spawned[call.arg];
      t.ok(
        binary,
        `${call.file}: spawn(${call.arg}, …) is in this test's table (add the binary it starts)`,
      );
      if (!binary || seen.has(binary)) continue;
      seen.add(binary);
      const name = binary.split('/').pop()!;
      if (optional[name]) {
        t.pass(`${name}: optional (${optional[name]})`);
        continue;
      }
      const pkg = owningPackage(binary);
      t.ok(pkg, `${binary} is installed on this machine and owned by a Debian package`);
      if (pkg)
        t.ok(
          packages.has(pkg) || dependencies.has(pkg) || essential(pkg),
          `${binary} (${pkg}) is in setup.sh's runtime list (or a direct dependency of one, or Essential)`,
        );
    }
  },
);

t.test('the optional tools the IT board lists are in the runtime list too', async (t) => {
  const packages = runtimePackages();
  for (const [tool, needed] of Object.entries(toolPackages)) {
    for (const pkg of needed) t.ok(packages.has(pkg), `${tool}: ${pkg} in setup.sh's runtime list`);
  }
});
