import type { Socket } from 'socket.io';

/*
 * Where admission placed a connection, carried from the handshake (the cluster's admission
 * middleware) to the session it joins, typed here rather than as a bare field of socket.data.
 */

/** The connection is served here for the session whose owner runs on `ownerNodeId` (an edge). */
export interface SocketPlacement {
  ownerNodeId: string;
}

const KEY = 'placement';

export function placeAsEdge(socket: Socket, ownerNodeId: string): void {
  (socket.data as Record<string, unknown>)[KEY] = { ownerNodeId } satisfies SocketPlacement;
}

/** The owner's node when the connection was placed here as an edge; undefined otherwise. */
export function edgeOwnerOf(socket: Socket): string | undefined {
  const placement = (socket.data as Record<string, unknown>)[KEY] as SocketPlacement | undefined;
  return placement?.ownerNodeId;
}
