import type { RequestAnswer, RequestData, RequestName } from '../../protocol/socket.js';
import type { Participant } from './Participant.js';

/** One handler per request, typed from the request's zod schemas: the compiler checks each. */
export type RequestHandlers = {
  [N in RequestName]: (p: Participant, payload: RequestData<N>) => Promise<RequestAnswer<N>>;
};

export type HandlerGroup<K extends RequestName> = Pick<RequestHandlers, K>;
