import { useCallback, useEffect, useRef, useState } from 'preact/hooks';

export interface Loaded<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload: () => Promise<void>;
  /** Replace the data locally after a successful write. */
  set: (data: T) => void;
}

/** Loads data when deps change; keeps the last data while reloading, so nothing flickers. */
export function useLoad<T>(fn: () => Promise<T>, deps: unknown[]): Loaded<T> {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<unknown>();
  const [loading, setLoading] = useState(true);
  const run = useRef(0);
  const reload = useCallback(async () => {
    const id = ++run.current;
    setLoading(true);
    try {
      const d = await fn();
      if (id !== run.current) return;
      setData(d);
      setError(undefined);
    } catch (err) {
      if (id === run.current) setError(err);
    } finally {
      if (id === run.current) setLoading(false);
    }
  }, deps);
  useEffect(() => {
    void reload();
  }, [reload]);
  return { data, error, loading, reload, set: setData };
}
