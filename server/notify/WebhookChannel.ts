import { createHmac } from 'node:crypto';
import type { NotificationMessage, NotifyChannel } from './Notifier.js';
import { PermanentNotifyError } from './Notifier.js';

export interface WebhookChannelOptions {
  url: string;
  secret: string;
  timeoutMs?: number;
  now?: () => number;
}

export const SIGNATURE_HEADER = 'x-diemcau-signature';
export const TIMESTAMP_HEADER = 'x-diemcau-timestamp';

/**
 * Signs `<timestamp>.<body>` so a receiver can reject both forged and replayed requests:
 * the timestamp is covered by the signature and checked against its clock.
 */
export function signWebhook(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** POSTs each message as JSON to the configured URL with an HMAC-SHA256 signature. */
export class WebhookChannel implements NotifyChannel {
  readonly name = 'webhook';

  constructor(private readonly options: WebhookChannelOptions) {}

  accepts(): boolean {
    return true;
  }

  async send(message: NotificationMessage): Promise<void> {
    const body = JSON.stringify({
      id: message.key,
      kind: message.kind,
      meetingId: message.meetingId,
      ...(message.siteId ? { siteId: message.siteId } : {}),
      title: message.title,
      body: message.body,
      ...(message.data ? { data: message.data } : {}),
    });
    const timestamp = String(Math.floor((this.options.now ?? Date.now)() / 1000));
    let response: Response;
    try {
      response = await fetch(this.options.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json; charset=utf-8',
          [TIMESTAMP_HEADER]: timestamp,
          [SIGNATURE_HEADER]: signWebhook(this.options.secret, timestamp, body),
          'idempotency-key': message.key,
        },
        body,
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000),
      });
    } catch (err) {
      throw new Error(`webhook unreachable: ${(err as Error).message}`);
    }
    await response.body?.cancel().catch(() => {});
    if (response.ok) return;
    // 408 and 429 are worth another try; other 4xx mean the receiver rejects this message.
    if (response.status >= 400 && response.status < 500 && ![408, 429].includes(response.status))
      throw new PermanentNotifyError(`webhook answered ${response.status}`);
    throw new Error(`webhook answered ${response.status}`);
  }
}
