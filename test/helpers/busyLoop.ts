import { type ChildProcess, spawn } from 'node:child_process';

/**
 * A process that keeps one core busy (pinned with taskset), in its own session (detached: the
 * scheduler's autogroups weigh it against a browser's session). The loop runs in a worker
 * thread; the main thread exits when its stdin closes, so the loop ends with the test process
 * even when that is killed (a timeout) before its teardown runs.
 */
export function busyLoop(core: string): ChildProcess {
  const code = [
    "const { Worker } = require('node:worker_threads');",
    "new Worker('for (;;) {}', { eval: true });",
    "process.stdin.on('end', () => process.exit());",
    'process.stdin.resume();',
  ].join('');
  return spawn('taskset', ['-c', core, process.execPath, '-e', code], {
    stdio: ['pipe', 'ignore', 'ignore'],
    detached: true,
  });
}
