import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** A benchmark's report: lines printed as they come and kept for scripts/bench/results/<name>-<time>.md. */
export function benchReport(name: string): { say(line: string): void; write(): void } {
  const lines: string[] = [];
  return {
    say(line: string) {
      lines.push(line);
      process.stdout.write(`${line}\n`);
    },
    write() {
      const stamp = new Date().toISOString().slice(0, 16).replace(':', '');
      const file = join('scripts', 'bench', 'results', `${name}-${stamp}.md`);
      writeFileSync(file, `${lines.join('\n')}\n`);
      process.stdout.write(`written to ${file}\n`);
    },
  };
}
