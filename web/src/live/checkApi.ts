import type { z } from 'zod';
import { checkNotifications, type checkRequests } from '../../../protocol/checkSocket.js';
import type { MeetingClient } from '../../client/MeetingClient.js';

/*
 * The check's socket messages, typed from the check protocol module whether or not the shared
 * request table has merged them yet; the client validates answers the same way.
 */

export type CheckRequestName = keyof typeof checkRequests;
export type CheckNotificationName = keyof typeof checkNotifications;

export function checkRequest<N extends CheckRequestName>(
  client: MeetingClient,
  name: N,
  payload: z.input<(typeof checkRequests)[N]['payload']>,
  timeoutMs?: number,
): Promise<z.infer<(typeof checkRequests)[N]['answer']>> {
  return client.request(name as never, payload as never, timeoutMs) as never;
}

export function onCheckNotification<N extends CheckNotificationName>(
  client: MeetingClient,
  name: N,
  fn: (payload: z.infer<(typeof checkNotifications)[N]>) => void,
): () => void {
  const handler = (raw: unknown) => {
    const parsed = checkNotifications[name].safeParse(raw);
    if (parsed.success) fn(parsed.data as z.infer<(typeof checkNotifications)[N]>);
  };
  client.socket.on(name as string, handler);
  return () => void client.socket.off(name as string, handler);
}
