/**
 * Whether trading is stopped for the user: their own switch or the global one. GET /api/kill-switch
 * gives both; `kill` events on the socket flip one scope in between.
 */
import type { KillNews } from '../../lib/protocol';
import type { Schemas } from '../../lib/client';

export interface KillState {
  user: boolean;
  global: boolean;
  reason: string | null;
}

export const KILL_UNKNOWN: KillState = { user: false, global: false, reason: null };

export function killFromApi(body: Schemas['KillSwitchesPublic']): KillState {
  const engagedReason = [body.user, body.global].find((s) => s?.engaged)?.reason ?? null;
  return { user: body.user?.engaged ?? false, global: body.global?.engaged ?? false, reason: engagedReason || null };
}

export function applyKillNews(state: KillState, news: KillNews): KillState {
  const next = { ...state, [news.scope]: news.engaged };
  return { ...next, reason: news.engaged ? news.reason : next.user || next.global ? state.reason : null };
}

export function isStopped(state: KillState): boolean {
  return state.user || state.global;
}
