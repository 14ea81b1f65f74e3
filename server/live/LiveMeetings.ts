import type { Actor } from '../../protocol/auth.js';
import { siteEndpointId } from '../../protocol/endpoints.js';
import type { Meeting, MeetingAction } from '../../protocol/meetings.js';
import type { Text } from '../../protocol/text.js';
import type { SignalingPrincipal, SignalingServer } from '../../signaling/SignalingServer.js';
import type { SessionMeetingInfo } from '../../signaling/session/MeetingSession.js';
import type { DataServices } from '../DataServices.js';
import type { Logger } from '../logger.js';

/** Lifecycle actions as HTTP (or any other door) asks for them. */
export interface MeetingLifecycle {
  perform(id: string, action: MeetingAction, actor: Actor, expected?: number): Promise<Meeting>;
}

const endReasons: Record<'end' | 'cancel', Text> = {
  end: { vi: 'Tổ CNTT đã kết thúc hội nghị', en: 'IT staff ended the meeting' },
  cancel: { vi: 'Hội nghị đã bị hủy', en: 'The meeting was cancelled' },
};

const revokedReason: Text = {
  vi: 'Liên kết đã bị thu hồi. Hãy dùng liên kết mới',
  en: 'This link was revoked. Use the new link you were sent',
};
const loggedOutReason: Text = { vi: 'Phiên đăng nhập đã kết thúc', en: 'Your login has ended' };

function actorName(actor: Actor): string {
  return actor.name ?? `${actor.kind}:${actor.id ?? ''}`;
}

/** The meeting's record as the live session needs it. */
export async function sessionInfoOf(
  data: DataServices,
  meeting: Meeting,
): Promise<SessionMeetingInfo> {
  const sites = await data.sites.getMany(meeting.sites.map((s) => s.siteId));
  return {
    title: meeting.title,
    sites: new Map([...sites.values()].map((s) => [s.id, s.name])),
    agendaLength: meeting.agenda.length,
    live: meeting.state === 'live',
  };
}

/**
 * The one place where the stored meeting and its live session meet. While a session is open it
 * owns the meeting's live state: ending, cancelling and going live go through it (it tells the
 * endpoints, closes the media, then writes the store); edits to the meeting and ended access
 * (revoked links, ended logins) reach it within the same tick. Without a session, actions
 * write the store directly.
 */
export class LiveMeetings implements MeetingLifecycle {
  private signaling?: SignalingServer;
  private readonly log: Logger;

  constructor(
    private readonly data: DataServices,
    logger: Logger,
  ) {
    this.log = logger.child({ component: 'live-meetings' });
  }

  async perform(
    id: string,
    action: MeetingAction,
    actor: Actor,
    expected?: number,
  ): Promise<Meeting> {
    const session = this.signaling?.session(id);
    if (!session || session.isClosed)
      return this.data.meetings.transition(id, action, actor, expected);
    if (action === 'end' || action === 'cancel') {
      await this.data.meetings.assertAllowed(id, action, expected);
      await session.end(actorName(actor), endReasons[action], action);
      return this.data.meetings.get(id);
    }
    if (action === 'goLive') {
      await this.data.meetings.assertAllowed(id, action, expected);
      await session.start(actorName(actor));
      return this.data.meetings.get(id);
    }
    return this.data.meetings.transition(id, action, actor, expected);
  }

  /** Subscribes to the domain's events; called once signaling exists. */
  attach(signaling: SignalingServer): void {
    this.signaling = signaling;
    const { meetings, access } = this.data;
    const guard = (what: string, run: () => Promise<unknown> | unknown) => {
      Promise.resolve()
        .then(run)
        .catch((err) => this.log.error({ err, what }, 'live update failed'));
    };

    meetings.on('meetingUpdated', (meeting) =>
      guard('meetingUpdated', async () => {
        const session = signaling.session(meeting.id);
        if (session && !session.isClosed)
          await session.applyInfo(await sessionInfoOf(this.data, meeting));
      }),
    );
    // A state written behind the session's back (another process, a job) still ends it.
    meetings.on('meetingStateChanged', ({ meetingId, to }) =>
      guard('meetingStateChanged', async () => {
        const session = signaling.session(meetingId);
        if (!session || session.isClosed) return;
        if (to === 'ended' || to === 'cancelled')
          await session.end('system', endReasons[to === 'ended' ? 'end' : 'cancel']);
      }),
    );
    // A renamed site is renamed on every page of the sessions it takes part in.
    this.data.sites.on('siteUpdated', (site, previous) =>
      guard('siteUpdated', async () => {
        if (site.name === previous.name) return;
        for (const session of signaling.openSessions()) {
          if (!session.participant(siteEndpointId(site.id))) continue;
          await session.applyInfo(
            await sessionInfoOf(this.data, await meetings.get(session.meetingId)),
          );
        }
      }),
    );
    meetings.on('meetingDeleted', ({ meetingId }) =>
      guard('meetingDeleted', () => signaling.session(meetingId)?.close('meeting deleted')),
    );

    const byLink = (linkId: string) => (p: SignalingPrincipal) =>
      p.credential?.kind === 'link' && p.credential.linkId === linkId;
    access.on('linkRevoked', ({ linkId }) =>
      guard('linkRevoked', () => signaling.disconnectWhere(byLink(linkId), revokedReason)),
    );
    access.on('loginEnded', ({ sessionHash }) =>
      guard('loginEnded', () =>
        signaling.disconnectWhere(
          (p) => p.credential?.kind === 'login' && p.credential.sessionHash === sessionHash,
          loggedOutReason,
        ),
      ),
    );
    access.on('userLoginsEnded', ({ userId }) =>
      guard('userLoginsEnded', () =>
        signaling.disconnectWhere(
          (p) => p.credential?.kind === 'login' && p.userId === userId,
          loggedOutReason,
        ),
      ),
    );
  }
}
