import { createTransport, type Transporter } from 'nodemailer';
import type { NotificationMessage, NotifyChannel } from './Notifier.js';
import { PermanentNotifyError } from './Notifier.js';

export interface EmailChannelOptions {
  /** smtp:// or smtps:// URL of the relay. */
  smtpUrl: string;
  from: string;
}

/** E-mail to the technician through the configured SMTP relay. */
export class EmailChannel implements NotifyChannel {
  readonly name = 'email';
  private readonly transport: Transporter;

  constructor(private readonly options: EmailChannelOptions) {
    this.transport = createTransport(options.smtpUrl);
  }

  accepts(message: NotificationMessage): boolean {
    return message.email !== undefined;
  }

  async send(message: NotificationMessage): Promise<void> {
    const to = message.email!;
    try {
      await this.transport.sendMail({
        from: this.options.from,
        to: to.name ? { name: to.name, address: to.to } : to.to,
        // A person reads both: Vietnamese first, English after.
        subject: `${message.title.vi} — ${message.title.en}`,
        text: `${message.body.vi}\n\n${message.body.en}`,
        headers: { 'X-Diemcau-Key': message.key },
        // The same Message-ID for the same key lets a mail server drop a rare duplicate.
        messageId: `<${message.key}@diemcau>`,
      });
    } catch (err) {
      const e = err as Error & { responseCode?: number };
      // 5xx from the relay: the address or message is refused for good.
      if (e.responseCode !== undefined && e.responseCode >= 500 && e.responseCode < 600)
        throw new PermanentNotifyError(`smtp refused: ${e.message}`);
      throw e;
    }
  }

  close(): void {
    this.transport.close();
  }
}
