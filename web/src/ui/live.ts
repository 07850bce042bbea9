import { useEffect, useRef, useState } from 'react';

/**
 * Subscribe to a Server-Sent Events stream while `url` is set; handlers by event name. The
 * browser reconnects with Last-Event-ID by itself; a 204 (run already over) stops it.
 */
export function useEventStream(
  url: string | null,
  handlers: Record<string, (data: unknown) => void>,
): { connected: boolean } {
  const ref = useRef(handlers);
  ref.current = handlers;
  const [connected, setConnected] = useState(false);
  useEffect(() => {
    if (!url) return;
    const es = new EventSource(url, { withCredentials: true });
    es.onopen = () => setConnected(true);
    es.onerror = () => {
      setConnected(false);
      if (es.readyState === EventSource.CLOSED) es.close();
    };
    const names = Object.keys(ref.current);
    const listeners = names.map((name) => {
      const fn = (ev: MessageEvent<string>) => {
        let data: unknown = null;
        try {
          data = JSON.parse(ev.data);
        } catch {
          /* a heartbeat or a non-JSON line: ignored */
        }
        ref.current[name]?.(data);
        if (name === 'done') es.close();
      };
      es.addEventListener(name, fn);
      return [name, fn] as const;
    });
    return () => {
      for (const [name, fn] of listeners) es.removeEventListener(name, fn);
      es.close();
      setConnected(false);
    };
  }, [url]);
  return { connected };
}
