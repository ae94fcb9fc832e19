/**
 * Which REST resources a socket message makes stale. The socket says something changed; the
 * panels fetch the resource again rather than patch it from the event alone (after a reconnect
 * everything is stale: events may have been missed while offline).
 */
import type { ServerMessage } from '../../lib/protocol';

export type Resource = 'orders' | 'fills' | 'positions' | 'intents' | 'kill' | 'mode';

export const ALL_RESOURCES: readonly Resource[] = ['orders', 'fills', 'positions', 'intents', 'kill', 'mode'];

export function staleAfter(message: ServerMessage): readonly Resource[] {
  switch (message.type) {
    case 'decision':
      // An approved intent becomes an order; autonomous mode can end in reduce-only after a kill.
      return message.outcome === 'approved' ? ['intents', 'orders'] : ['intents'];
    case 'order':
      return message.event === 'filled' ? ['orders', 'fills', 'positions'] : ['orders'];
    case 'kill':
      return ['kill', 'mode', 'intents'];
    case 'authenticated':
      return ALL_RESOURCES; // signed in (again) on a fresh connection: catch up
    default:
      return [];
  }
}

export type Versions = Readonly<Record<Resource, number>>;

export const INITIAL_VERSIONS: Versions = { orders: 0, fills: 0, positions: 0, intents: 0, kill: 0, mode: 0 };

/** Bumps the version of every stale resource; the same object back when nothing is stale. */
export function bump(versions: Versions, stale: readonly Resource[]): Versions {
  if (stale.length === 0) return versions;
  const next = { ...versions };
  for (const resource of stale) next[resource] += 1;
  return next;
}
