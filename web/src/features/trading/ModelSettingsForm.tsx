import { useId, useState, type FormEvent } from 'react';
import { ApiError } from '../../lib/api';
import { call } from '../../lib/client';
import {
  choiceOptions,
  draftOf,
  keySaved,
  modelFieldError,
  modelRequest,
  presetOf,
  PRESET_LABELS,
  withPreset,
  type ModelDraft,
  type ModelField,
  type ModelSettings,
  type Preset,
} from './modelForm';
import { FieldError, FormFeedback } from './FormFeedback';
import { useTrading } from './TradingContext';

/** Which model answers the chat, and your own provider (its key goes in, never comes back). */
export function ModelSettingsForm({ initial }: { initial: ModelSettings }) {
  const { client } = useTrading();
  const id = useId();
  const [saved, setSaved] = useState<ModelSettings>(initial);
  const [draft, setDraft] = useState<ModelDraft>(() => draftOf(initial));
  const [errors, setErrors] = useState<Partial<Record<ModelField, string>>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const preset = presetOf(saved, draft.preset);
  const hasSavedKey = keySaved(saved, draft);
  const described = (field: ModelField) => (errors[field] ? `${id}-${field}-error` : undefined);

  const accept = (settings: ModelSettings, message: string) => {
    setSaved(settings);
    setDraft(draftOf(settings));
    setStatus(message);
  };

  const fail = (e: unknown) => {
    const message = e instanceof ApiError ? e.message : 'Something went wrong; try again.';
    const named = modelFieldError(message);
    if (named) setErrors({ [named.field]: named.reason });
    else setFormError(message);
  };

  const begin = () => {
    setErrors({});
    setFormError(null);
    setStatus(null);
    setBusy(true);
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const body = modelRequest(saved, draft);
    if (Object.keys(body).length === 0) {
      setStatus('Nothing changed.');
      return;
    }
    begin();
    try {
      accept(await call(client.PUT('/api/settings/model', { body })), body.own?.api_key ? 'Saved; your key is stored encrypted.' : 'Model settings saved.');
    } catch (e) {
      fail(e);
    } finally {
      // The key never lingers in the page, whatever the outcome.
      setDraft((d) => ({ ...d, apiKey: '' }));
      setBusy(false);
    }
  };

  const removeOwn = async () => {
    begin();
    try {
      accept(await call(client.DELETE('/api/settings/model/key')), 'Your own provider and its key were removed.');
    } catch (e) {
      fail(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="settings__form" onSubmit={(e) => void submit(e)} noValidate aria-labelledby={`${id}-title`} autoComplete="off">
      <h3 id={`${id}-title`}>Model</h3>
      <div className="settings__grid">
        <div className="field">
          <label htmlFor={`${id}-choice`}>Answers come from</label>
          <select
            id={`${id}-choice`}
            value={draft.choice}
            aria-invalid={errors.choice ? true : undefined}
            aria-describedby={described('choice')}
            onChange={(e) => setDraft({ ...draft, choice: e.target.value })}
          >
            {choiceOptions(saved, draft).map((o) => (
              <option key={o.value} value={o.value} disabled={o.disabled}>
                {o.label}
              </option>
            ))}
          </select>
          <FieldError id={`${id}-choice-error`} error={errors.choice} />
        </div>
        <div className="field">
          <label htmlFor={`${id}-preset`}>Your own provider</label>
          <select
            id={`${id}-preset`}
            value={draft.preset}
            aria-invalid={errors['own.preset'] ? true : undefined}
            aria-describedby={described('own.preset')}
            onChange={(e) => setDraft(withPreset(saved, draft, e.target.value as Preset | ''))}
          >
            <option value="">None</option>
            {saved.presets.map((p) => (
              <option key={p.name} value={p.name}>
                {PRESET_LABELS[p.name]}
              </option>
            ))}
          </select>
          <FieldError id={`${id}-own.preset-error`} error={errors['own.preset']} />
        </div>
        {draft.preset !== '' && (
          <>
            <div className="field">
              <label htmlFor={`${id}-model`}>Model name</label>
              <input
                id={`${id}-model`}
                value={draft.model}
                maxLength={128}
                placeholder="e.g. gpt-4o-mini"
                aria-invalid={errors['own.model'] ? true : undefined}
                aria-describedby={described('own.model')}
                onChange={(e) => setDraft({ ...draft, model: e.target.value })}
              />
              <FieldError id={`${id}-own.model-error`} error={errors['own.model']} />
            </div>
            <div className="field">
              <label htmlFor={`${id}-url`}>Base URL{preset?.base_url_required ? '' : ' (optional)'}</label>
              <input
                id={`${id}-url`}
                value={preset?.base_url_editable ? draft.baseUrl : (preset?.base_url ?? '')}
                disabled={!preset?.base_url_editable}
                maxLength={300}
                placeholder={preset?.base_url ?? 'https://host/v1'}
                aria-invalid={errors['own.base_url'] ? true : undefined}
                aria-describedby={described('own.base_url')}
                onChange={(e) => setDraft({ ...draft, baseUrl: e.target.value })}
              />
              <FieldError id={`${id}-own.base_url-error`} error={errors['own.base_url']} />
            </div>
            <div className="field">
              <label htmlFor={`${id}-key`}>API key{preset?.key_required ? '' : ' (optional)'}</label>
              <input
                id={`${id}-key`}
                type="password"
                autoComplete="off"
                value={draft.apiKey}
                placeholder={hasSavedKey ? 'Key saved; type to replace it' : 'Paste your key'}
                aria-invalid={errors['own.api_key'] ? true : undefined}
                aria-describedby={described('own.api_key')}
                onChange={(e) => setDraft({ ...draft, apiKey: e.target.value })}
              />
              {hasSavedKey && !draft.apiKey && <small>Key saved (never shown again).</small>}
              <FieldError id={`${id}-own.api_key-error`} error={errors['own.api_key']} />
            </div>
          </>
        )}
      </div>
      <FormFeedback errors={errors} formError={formError} status={status} />
      <div className="rules__actions">
        <button type="submit" className="button button--primary" disabled={busy}>
          Save model settings
        </button>
        {saved.own && (
          <button type="button" className="button" disabled={busy} onClick={() => void removeOwn()}>
            Remove own provider and key
          </button>
        )}
      </div>
    </form>
  );
}
