/** The small logging surface media/ needs; pino satisfies it, so media/ does not import server/. */
export interface MediaLogger {
  child(bindings: Record<string, unknown>): MediaLogger;
  debug(obj: unknown, msg?: string): void;
  info(obj: unknown, msg?: string): void;
  warn(obj: unknown, msg?: string): void;
  error(obj: unknown, msg?: string): void;
}
