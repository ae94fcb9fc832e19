import { useId, useState, type FormEvent } from 'react';
import { ApiError } from '../../lib/api';
import { call, type Schemas } from '../../lib/client';
import { formatTime } from './format';
import { FieldError, FormFeedback } from './FormFeedback';
import { changedLimits, draftOf, fieldError, LIMIT_FIELDS, type LimitField, type Limits, type LimitsDraft } from './limitsForm';
import { ModelSettingsForm } from './ModelSettingsForm';
import { useResource, useTrading } from './TradingContext';

function LimitsForm({ initial }: { initial: Limits }) {
  const { client } = useTrading();
  const id = useId();
  const [saved, setSaved] = useState<Limits>(initial);
  const [draft, setDraft] = useState<LimitsDraft>(() => draftOf(initial));
  const [errors, setErrors] = useState<Partial<Record<LimitField | 'allowed_symbols', string>>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setErrors({});
    setFormError(null);
    setStatus(null);
    const patch = changedLimits(saved, draft);
    if (Object.keys(patch).length === 0) {
      setStatus('Nothing changed.');
      return;
    }
    setBusy(true);
    try {
      const limits = await call(client.PUT('/api/limits', { body: patch }));
      setDraft(draftOf(limits));
      setSaved(limits);
      setStatus('Limits saved.');
    } catch (e) {
      const message = e instanceof ApiError ? e.message : 'Something went wrong; try again.';
      const named = fieldError(message);
      if (named) setErrors({ [named.field]: named.reason });
      else setFormError(message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="settings__form" onSubmit={(e) => void submit(e)} noValidate aria-labelledby={`${id}-title`}>
      <h3 id={`${id}-title`}>Risk limits</h3>
      <div className="settings__grid">
        {LIMIT_FIELDS.map(({ name, label, integer }) => {
          const error = errors[name];
          return (
            <div className="field" key={name}>
              <label htmlFor={`${id}-${name}`}>{label}</label>
              <input
                id={`${id}-${name}`}
                name={name}
                inputMode={integer ? 'numeric' : 'decimal'}
                value={draft[name]}
                aria-invalid={error ? true : undefined}
                aria-describedby={error ? `${id}-${name}-error` : undefined}
                onChange={(e) => setDraft({ ...draft, [name]: e.target.value })}
              />
              <FieldError id={`${id}-${name}-error`} error={error} />
            </div>
          );
        })}
      </div>
      <FormFeedback errors={errors} formError={formError} status={status} />
      <button type="submit" className="button button--primary" disabled={busy}>
        Save limits
      </button>
    </form>
  );
}

type Venue = Schemas['ExchangeKeyPublic']['venue'];
const VENUES: readonly Venue[] = ['testnet', 'live', 'paper'];

/** Exchange API keys: stored encrypted by the server, shown only by label and hint, never read back. */
function ExchangeKeys() {
  const { client } = useTrading();
  const id = useId();
  const keys = useResource([], 'exchange-keys', (c, signal) => call(c.GET('/api/exchange-keys', { signal })));
  const [venue, setVenue] = useState<Venue>('testnet');
  const [label, setLabel] = useState('main');
  const [apiKey, setApiKey] = useState('');
  const [apiSecret, setApiSecret] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    setStatus(null);
    try {
      await call(
        client.PUT('/api/exchange-keys/{venue}', {
          params: { path: { venue } },
          body: { api_key: apiKey, api_secret: apiSecret, label },
        }),
      );
      setStatus(`Key "${label}" for ${venue} saved.`);
      keys.reload();
    } catch (e) {
      setError(e instanceof ApiError ? e.message : 'Something went wrong; try again.');
    } finally {
      // Secrets never linger in the page, whatever the outcome.
      setApiKey('');
      setApiSecret('');
    }
  };

  const remove = async (key: Schemas['ExchangeKeyPublic']) => {
    setError(null);
    try {
      await call(client.DELETE('/api/exchange-keys/{venue}', { params: { path: { venue: key.venue }, query: { label: key.label } } }));
      setStatus(`Key "${key.label}" for ${key.venue} removed.`);
    } catch (e) {
      setError(e instanceof ApiError ? e.message : 'Something went wrong; try again.');
    }
    keys.reload();
  };

  return (
    <div className="settings__keys">
      <h3 id={`${id}-title`}>Exchange keys</h3>
      <ul className="keys__list">
        {(keys.data?.data ?? []).map((key) => (
          <li key={key.id}>
            <span className="venue-tag">{key.venue}</span> {key.label} · key {key.api_key_hint ?? 'hidden'} · added{' '}
            {formatTime(key.created_at)}{' '}
            <button type="button" className="button button--small" onClick={() => void remove(key)} aria-label={`Remove ${key.venue} key ${key.label}`}>
              Remove
            </button>
          </li>
        ))}
      </ul>
      <form className="settings__form" onSubmit={(e) => void submit(e)} aria-labelledby={`${id}-title`} autoComplete="off">
        <div className="settings__grid">
          <div className="field">
            <label htmlFor={`${id}-venue`}>Venue</label>
            <select id={`${id}-venue`} value={venue} onChange={(e) => setVenue(e.target.value as Venue)}>
              {VENUES.map((v) => (
                <option key={v} value={v}>
                  {v}
                </option>
              ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor={`${id}-label`}>Label</label>
            <input id={`${id}-label`} value={label} maxLength={64} onChange={(e) => setLabel(e.target.value)} />
          </div>
          <div className="field">
            <label htmlFor={`${id}-key`}>API key</label>
            <input id={`${id}-key`} type="password" autoComplete="off" value={apiKey} onChange={(e) => setApiKey(e.target.value)} />
          </div>
          <div className="field">
            <label htmlFor={`${id}-secret`}>API secret</label>
            <input
              id={`${id}-secret`}
              type="password"
              autoComplete="off"
              value={apiSecret}
              onChange={(e) => setApiSecret(e.target.value)}
            />
          </div>
        </div>
        {error && (
          <p className="form-error" role="alert">
            {error}
          </p>
        )}
        {status && <p role="status">{status}</p>}
        <button type="submit" className="button button--primary" disabled={!apiKey || !apiSecret || !label}>
          Save key
        </button>
      </form>
    </div>
  );
}

/** Limits, the model that answers the chat, and exchange keys. */
export function SettingsPanel() {
  const limits = useResource([], 'limits', (c, signal) => call(c.GET('/api/limits', { signal })));
  const model = useResource([], 'model-settings', (c, signal) => call(c.GET('/api/settings/model', { signal })));
  return (
    <section className="panel settings" aria-labelledby="settings-title">
      <h2 className="panel__title" id="settings-title">
        Settings
      </h2>
      {limits.error && (
        <p className="form-error" role="alert">
          Limits could not be loaded: {limits.error.message}
        </p>
      )}
      {limits.data && <LimitsForm initial={limits.data} />}
      {model.error && (
        <p className="form-error" role="alert">
          Model settings could not be loaded: {model.error.message}
        </p>
      )}
      {model.data && <ModelSettingsForm initial={model.data} />}
      <ExchangeKeys />
    </section>
  );
}
