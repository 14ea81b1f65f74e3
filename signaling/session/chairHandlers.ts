import { siteEndpointId } from '../../protocol/endpoints.js';
import { AppError, forbidden, notFound } from '../../protocol/errors.js';
import { sameText } from '../../protocol/text.js';
import type { HandlerGroup } from './handlerTypes.js';
import type { MeetingSession } from './MeetingSession.js';

type ChairRequest =
  | 'raiseHand'
  | 'lowerHand'
  | 'startSession'
  | 'endSession'
  | 'setAgendaItem'
  | 'grantFloor'
  | 'revokeFloor'
  | 'muteSite'
  | 'unmuteSite'
  | 'dismissHand'
  | 'startItCall'
  | 'endItCall';

/** The chair's control of the session (and the sites' hands, IT's call): ChairState does the rules. */
export function chairHandlers(s: MeetingSession): HandlerGroup<ChairRequest> {
  const { chair } = s;
  return {
    raiseHand: async (p) => {
      if (p.role !== 'site' || p.siteId === undefined)
        throw forbidden({ vi: 'Chỉ điểm cầu mới xin phát biểu', en: 'Only sites raise a hand' });
      await s.apply(chair.raiseHand(p.siteId));
      return {};
    },

    lowerHand: async (p) => {
      if (p.siteId !== undefined) await s.apply(chair.lowerHand(p.siteId));
      return {};
    },

    startSession: async (p, payload) =>
      s.start(p.endpointId, payload.keepItCall ? { keepItCall: true } : {}),

    endSession: async (p, payload) => {
      // What the chair typed is shown as typed, in both views.
      await s.end(
        p.endpointId,
        payload.reason
          ? sameText(payload.reason)
          : { vi: 'Chủ trì kết thúc hội nghị', en: 'The chair ended the meeting' },
      );
      return {};
    },

    setAgendaItem: async (_p, payload) => {
      await s.apply(chair.setAgendaItem(payload.index));
      return s.state;
    },

    grantFloor: async (_p, payload) => {
      await s.apply(chair.grantFloor(payload.siteId));
      return s.state;
    },

    revokeFloor: async () => {
      await s.apply(chair.revokeFloor());
      return s.state;
    },

    muteSite: async (_p, payload) => {
      await s.apply(chair.mute(payload.siteId), { session: false });
      return {};
    },

    unmuteSite: async (_p, payload) => {
      await s.apply(chair.unmute(payload.siteId), { session: false });
      return {};
    },

    dismissHand: async (_p, payload) => {
      await s.apply(chair.lowerHand(payload.siteId));
      return {};
    },

    startItCall: async (_p, payload) => {
      if (!s.participant(siteEndpointId(payload.siteId))?.online)
        throw notFound({
          vi: `Điểm cầu ${payload.siteId} chưa kết nối`,
          en: `site ${payload.siteId} is not connected`,
        });
      await s.apply(chair.startItCall(payload.siteId));
      return { siteId: payload.siteId };
    },

    endItCall: async () => {
      await s.apply(chair.endItCall());
      return {};
    },
  };
}

type CheckRequest =
  | 'beginCheck'
  | 'measureUplink'
  | 'resumeCheck'
  | 'submitCheck'
  | 'abortCheck'
  | 'confirmChecklist'
  | 'requestCheck';

/** The connection check's requests go to ConnectionCheck. */
export function checkHandlers(s: MeetingSession): HandlerGroup<CheckRequest> {
  const checks = () => {
    if (!s.check)
      throw new AppError('unavailable', {
        vi: 'Kiểm tra kết nối chưa được bật',
        en: 'Checks are not enabled',
      });
    return s.check;
  };
  return {
    beginCheck: async (p) => checks().begin(p),
    measureUplink: async (p, payload) =>
      checks().measureUplink(p, payload.checkId, payload.durationMs, payload.probe === true),
    resumeCheck: async (p, payload) => checks().resume(p, payload.checkId),
    submitCheck: async (p, payload) => checks().submit(p, payload.checkId, payload.figures),
    abortCheck: async (p, payload) => {
      await checks().abort(p, payload.checkId);
      return {};
    },
    confirmChecklist: async (p, payload) => checks().checklist(p, payload),
    requestCheck: async (_p, payload) => checks().request(payload.siteId),
  };
}
