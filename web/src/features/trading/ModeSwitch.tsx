import { useEffect, useState } from 'react';
import { Dialog } from '../../components/Dialog';
import { ApiError } from '../../lib/api';
import { call, type Schemas } from '../../lib/client';
import { useResource, useTrading } from './TradingContext';

type Mode = Schemas['TradingMode'];

/**
 * Manual (every order needs approval) or autonomous. Turning autonomous on asks first; the server
 * takes the change asynchronously (202), so the switch shows the request until GET /api/mode agrees.
 */
export function ModeSwitch() {
  const { client } = useTrading();
  const loaded = useResource(['mode'], 'mode', (c, signal) => call(c.GET('/api/mode', { signal })));
  const [requested, setRequested] = useState<Mode | null>(null);
  const [confirming, setConfirming] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const serverMode = loaded.data?.mode ?? null;
  const waiting = requested !== null && requested !== serverMode;

  const { reload } = loaded;
  useEffect(() => {
    if (!waiting) return;
    const timer = setTimeout(reload, 1000); // the risk gate applies the change shortly after
    return () => clearTimeout(timer);
  }, [waiting, reload, loaded.data]);

  const request = async (mode: Mode) => {
    setError(null);
    try {
      await call(client.PUT('/api/mode', { body: { mode, confirm: mode === 'autonomous' } }));
      setRequested(mode);
      setConfirming(false);
      reload();
    } catch (e) {
      setError(e instanceof ApiError ? e.message : 'Something went wrong; try again.');
    }
  };

  const on = (waiting ? requested : serverMode) === 'autonomous';
  return (
    <div className="mode-switch">
      <button
        type="button"
        role="switch"
        aria-checked={on}
        className="mode-switch__control"
        disabled={serverMode === null}
        onClick={() => (on ? void request('manual') : setConfirming(true))}
      >
        <span className="mode-switch__track" aria-hidden="true">
          <span className="mode-switch__thumb" />
        </span>
        <span>Autonomous mode</span>
      </button>
      {waiting && <span className="mode-switch__note">switching…</span>}
      {loaded.data?.reduce_only && <span className="mode-switch__note">reduce-only</span>}
      {error && !confirming && (
        <span className="form-error" role="alert">
          {error}
        </span>
      )}
      {confirming && (
        <Dialog
          title="Turn on autonomous mode?"
          onClose={() => setConfirming(false)}
          actions={
            <>
              <button type="button" className="button" onClick={() => setConfirming(false)}>
                Cancel
              </button>
              <button type="button" className="button button--danger" onClick={() => void request('autonomous')}>
                Turn on autonomous mode
              </button>
            </>
          }
        >
          <p>
            The copilot and your rules will place orders without asking you first, within your limits. You can switch
            back, or stop all trading, at any time.
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
