import type { Actor } from '../../protocol/auth.js';
import { conflict, notFound } from '../../protocol/errors.js';
import type { Attachment, Meeting } from '../../protocol/meetings.js';
import type { Logger } from '../logger.js';
import type { AuditLog } from '../store/AuditLog.js';
import type { RedisStore } from '../store/RedisStore.js';
import type { MeetingService } from './MeetingService.js';

/**
 * A meeting's documents list (files and links delegates print and bring, seed 003): kept in the
 * meeting record, changed in its own transaction with an audit entry. The files themselves
 * are in the AttachmentStore.
 */
export interface MeetingAttachmentsOptions {
  store: RedisStore;
  audit: AuditLog;
  meetings: MeetingService;
  logger: Logger;
  now?: () => number;
}

export class MeetingAttachments {
  private readonly store: RedisStore;
  private readonly audit: AuditLog;
  private readonly meetings: MeetingService;
  private readonly logger: Logger;
  private readonly now: () => number;

  constructor(options: MeetingAttachmentsOptions) {
    this.store = options.store;
    this.audit = options.audit;
    this.meetings = options.meetings;
    this.logger = options.logger.child({ component: 'attachments' });
    this.now = options.now ?? Date.now;
  }

  async add(id: string, attachment: Attachment, actor: Actor): Promise<Meeting> {
    return this.change(id, actor, 'attachment.add', attachment.id, (list) => {
      if (list.length >= 50)
        throw conflict({
          vi: 'Tối đa 50 tài liệu mỗi hội nghị',
          en: 'At most 50 documents per meeting',
        });
      return [...list, attachment];
    });
  }

  /** Returns the removed attachment so the caller can delete its file. */
  async remove(id: string, attachmentId: string, actor: Actor): Promise<Attachment> {
    let removed: Attachment | undefined;
    await this.change(id, actor, 'attachment.remove', attachmentId, (list) => {
      removed = list.find((a) => a.id === attachmentId);
      if (!removed)
        throw notFound({
          vi: 'Không tìm thấy tài liệu',
          en: `Attachment not found: ${attachmentId}`,
        });
      return list.filter((a) => a.id !== attachmentId);
    });
    return removed!;
  }

  private async change(
    id: string,
    actor: Actor,
    action: string,
    attachmentId: string,
    change: (list: Attachment[]) => Attachment[],
  ): Promise<Meeting> {
    const { keys } = this.store;
    const after = await this.store.transact([keys.meeting(id)], async () => {
      const before = await this.meetings.get(id);
      const after: Meeting = {
        ...before,
        attachments: change(before.attachments),
        version: before.version + 1,
        updatedAt: new Date(this.now()).toISOString(),
      };
      return {
        write: (m) => {
          m.set(keys.meeting(id), JSON.stringify(after));
          this.audit.append(m, {
            actor,
            action,
            target: `attachment:${attachmentId}`,
            meetingId: id,
          });
        },
        result: after,
      };
    });
    this.logger.info({ meetingId: id, action, attachmentId }, 'attachments changed');
    return after;
  }
}
