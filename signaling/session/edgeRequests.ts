import { AppError } from '../../protocol/errors.js';
import { type RequestName, requests } from '../../protocol/socket.js';
import { sameText } from '../../protocol/text.js';
import type { RequestHandlers } from './handlerTypes.js';
import type { MeetingNodes } from './MeetingNodes.js';
import type { MeetingSession } from './MeetingSession.js';
import type { Participant } from './Participant.js';

/** Requests from an edge node that the owner's session decides (they change the chair's state). */
const ownerDecides = [
  'raiseHand',
  'lowerHand',
  'startItCall',
  'endItCall',
] as const satisfies readonly RequestName[];

/** On an edge: the handlers of the requests the owner decides send them to the owner. */
export function forwardToOwner(handlers: RequestHandlers, peers: MeetingNodes): void {
  for (const name of ownerDecides)
    handlers[name] = async (p: Participant, payload: unknown) =>
      (await peers.forward(p.endpointId, name, payload)) as never;
}

/**
 * On the owner: a request a site's page sent to its edge node, answered by this session's own
 * handler for that site, as if the page had sent it here (checked again: zod at every edge).
 */
export function answerForwarded(
  session: MeetingSession | undefined,
  handlers: RequestHandlers | undefined,
  endpointId: string,
  name: RequestName,
  payload: unknown,
): Promise<unknown> {
  const p = session?.participant(endpointId);
  if (!session || !handlers || !session.role.decides || !p?.remote)
    throw new AppError('unavailable', {
      vi: 'Phiên họp không chạy trên máy chủ này',
      en: 'The session does not run on this server',
    });
  if (!(ownerDecides as readonly string[]).includes(name))
    throw new AppError('forbidden', sameText(`${name}: not forwarded`));
  const parsed = requests[name].payload.parse(payload);
  const handler = handlers[name] as (p: Participant, payload: unknown) => Promise<unknown>;
  return handler(p, parsed);
}
