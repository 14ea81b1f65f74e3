/** Typed listeners of the client's events; a listener that throws does not stop the others. */
export class Listeners<Events> {
  private readonly byEvent = new Map<keyof Events, Set<(value: never) => void>>();

  on<E extends keyof Events>(event: E, fn: (value: Events[E]) => void): () => void {
    let set = this.byEvent.get(event);
    if (!set) {
      set = new Set();
      this.byEvent.set(event, set);
    }
    set.add(fn as (value: never) => void);
    return () => set.delete(fn as (value: never) => void);
  }

  emit<E extends keyof Events>(event: E, value: Events[E]): void {
    for (const fn of this.byEvent.get(event) ?? []) {
      try {
        (fn as (v: Events[E]) => void)(value);
      } catch (err) {
        console.error('listener failed', err);
      }
    }
  }
}
