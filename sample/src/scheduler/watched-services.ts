/** A service whose pods the gateway's scheduled sweep looks after. */
export interface WatchedService {
  namespace: string;
  service: string;
}

/**
 * `WATCHED_SERVICES=demo/game,demo/chat` → `[{ namespace: 'demo', service: 'game' }, ...]`; entries without a
 * `/` are refused at startup, so a typo stops the gateway instead of silently watching nothing.
 */
export function parseWatchedServices(value: string): WatchedService[] {
  return value
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map((entry) => {
      const slash = entry.indexOf('/');
      if (slash <= 0 || slash === entry.length - 1) {
        throw new Error(`WATCHED_SERVICES: "${entry}" is not <namespace>/<service>`);
      }
      return { namespace: entry.slice(0, slash), service: entry.slice(slash + 1) };
    });
}
