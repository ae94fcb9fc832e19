import { useEffect, useState } from 'react';
import { useSocket } from '../../app/socket';
import { Dialog } from '../../components/Dialog';
import { ApiError } from '../../lib/api';
import { call } from '../../lib/client';
import { applyKillNews, isStopped, KILL_UNKNOWN, killFromApi, type KillState } from './killSwitch';
import { useResource, useTrading } from './TradingContext';

/**
 * The one control always in view: stops all trading for the user (their kill switch), or resumes
 * it, each after a confirmation. Engaged state comes from GET /api/kill-switch and `kill` events.
 */
export function KillSwitch() {
  const { client } = useTrading();
  const socket = useSocket();
  const loaded = useResource(['kill'], 'kill', (c, signal) => call(c.GET('/api/kill-switch', { signal })));
  const [news, setNews] = useState<{ base: unknown; state: KillState } | null>(null);
  // What the open dialog asks for, fixed when it opens (news on the socket may flip the state meanwhile).
  const [confirming, setConfirming] = useState<'stop' | 'resume' | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const fromApi = loaded.data ? killFromApi(loaded.data) : KILL_UNKNOWN;
  // Socket news applies on top of the latest REST answer, until the next one replaces both.
  const state = news && news.base === loaded.data ? news.state : fromApi;

  useEffect(
    () =>
      socket.onMessage((message) => {
        if (message.type !== 'kill') return;
        setNews((current) => {
          const base = loaded.data;
          const start = current && current.base === base ? current.state : base ? killFromApi(base) : KILL_UNKNOWN;
          return { base, state: applyKillNews(start, message) };
        });
      }),
    [socket, loaded.data],
  );

  const engaged = isStopped(state);
  const onlyGlobal = state.global && !state.user;

  const confirm = async () => {
    setBusy(true);
    setError(null);
    try {
      const body =
        confirming === 'resume'
          ? { engaged: false, reason: 'resumed from the web app', scope: 'user' as const }
          : { engaged: true, reason: 'stopped from the web app', scope: 'user' as const };
      await call(client.POST('/api/kill-switch', { body }));
      setConfirming(null);
      loaded.reload();
    } catch (e) {
      setError(e instanceof ApiError ? e.message : 'Something went wrong; try again.');
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="kill-switch" data-testid="kill-switch" data-engaged={String(engaged)}>
      <button
        type="button"
        className={`button kill-switch__button${engaged ? ' kill-switch__button--engaged' : ''}`}
        onClick={() => {
          setError(null);
          setConfirming(engaged ? 'resume' : 'stop');
        }}
        disabled={onlyGlobal}
        title={onlyGlobal ? 'An administrator stopped all trading' : undefined}
      >
        {engaged ? 'Resume trading' : 'Stop all trading'}
      </button>
      {engaged && (
        <span className="kill-switch__state" role="status">
          Trading stopped{state.reason ? `: ${state.reason}` : ''}
        </span>
      )}
      {confirming && (
        <Dialog
          title={confirming === 'resume' ? 'Resume trading?' : 'Stop all trading?'}
          onClose={() => setConfirming(null)}
          actions={
            <>
              <button type="button" className="button" onClick={() => setConfirming(null)}>
                Cancel
              </button>
              <button
                type="button"
                className={`button ${confirming === 'resume' ? 'button--primary' : 'button--danger'}`}
                disabled={busy}
                onClick={() => void confirm()}
              >
                {confirming === 'resume' ? 'Resume trading' : 'Stop everything'}
              </button>
            </>
          }
        >
          <p>
            {confirming === 'resume'
              ? 'Proposals and rules can place orders again. Pending approvals stay pending.'
              : 'No order is placed — from chat, approvals or rules — until you resume.'}
          </p>
          {error && (
            <p className="form-error" role="alert">
              {error}
            </p>
          )}
        </Dialog>
      )}
    </div>
  );
}
