import type { ChildProcess } from 'node:child_process';

/**
 * Stops a supervised tool (FFmpeg) and waits for it to exit: SIGTERM lets it close its output
 * cleanly, SIGKILL after `graceMs` if it does not. Nothing to do for a process already gone.
 */
export async function stopProcess(child: ChildProcess | undefined, graceMs: number): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise<void>((ok) => child.once('close', () => ok()));
  child.kill('SIGTERM');
  const kill = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await gone;
  clearTimeout(kill);
}
