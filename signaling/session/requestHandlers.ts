import { chairHandlers, checkHandlers } from './chairHandlers.js';
import { feedHandlers } from './feedHandlers.js';
import type { RequestHandlers } from './handlerTypes.js';
import type { MeetingSession } from './MeetingSession.js';
import { mediaHandlers } from './mediaHandlers.js';

/** Every request's handler for one session; the mapped type makes a missing or mistyped one a compile error. */
export function requestHandlers(session: MeetingSession): RequestHandlers {
  return {
    ...mediaHandlers(session),
    ...chairHandlers(session),
    ...checkHandlers(session),
    ...feedHandlers(session),
  };
}
