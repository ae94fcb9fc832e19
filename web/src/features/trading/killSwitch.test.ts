import { describe, expect, it } from 'vitest';
import { applyKillNews, isStopped, KILL_UNKNOWN, killFromApi } from './killSwitch';

describe('kill switch state', () => {
  it('is stopped when either the user or the global switch is engaged', () => {
    const state = killFromApi({
      user: null,
      global: { scope: 'global', engaged: true, reason: 'exchange outage', actor: 'admin', engaged_at: null },
      stopped: true,
    });
    expect(state).toEqual({ user: false, global: true, reason: 'exchange outage' });
    expect(isStopped(state)).toBe(true);
  });

  it('follows socket news scope by scope', () => {
    let state = applyKillNews(KILL_UNKNOWN, { engaged: true, scope: 'user', reason: 'manual stop' });
    expect(isStopped(state)).toBe(true);
    state = applyKillNews(state, { engaged: true, scope: 'global', reason: null });
    state = applyKillNews(state, { engaged: false, scope: 'user', reason: null });
    expect(isStopped(state)).toBe(true); // the global one still holds
    state = applyKillNews(state, { engaged: false, scope: 'global', reason: null });
    expect(state).toEqual({ user: false, global: false, reason: null });
  });
});
