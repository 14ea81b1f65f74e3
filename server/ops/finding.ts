import type { Config } from '../../config/index.js';

export type FindingStatus = 'ok' | 'warn' | 'fail' | 'skip';

/** One check's verdict, and what to do about it when it is not ok. */
export interface Finding {
  check: string;
  status: FindingStatus;
  detail: string;
  fix?: string;
}

export interface DoctorOptions {
  config: Config;
  /** An IT account: lets the doctor ask the service for a media probe (UDP/TCP per worker). */
  admin?: { username: string; password: string };
  timeoutMs?: number;
}
