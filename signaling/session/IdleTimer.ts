/** Fires once after `ms` unless cleared or re-armed: a session with nobody connected closes. */
export class IdleTimer {
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly ms: number,
    private readonly fire: () => void,
  ) {}

  arm(): void {
    this.clear();
    this.timer = setTimeout(this.fire, this.ms);
    this.timer.unref();
  }

  clear(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
