import { describe, expect, it } from 'vitest';
import { choiceOptions, draftOf, keySaved, modelFieldError, modelRequest, withPreset, type ModelSettings } from './modelForm';

const presets: ModelSettings['presets'] = [
  { name: 'openai', base_url: 'https://api.openai.com/v1', base_url_editable: false, base_url_required: false, key_required: true },
  { name: 'ollama', base_url: 'http://127.0.0.1:11434/v1', base_url_editable: true, base_url_required: false, key_required: false },
  { name: 'custom', base_url: null, base_url_editable: true, base_url_required: true, key_required: false },
];

const fresh: ModelSettings = {
  providers: [
    { name: 'primary', model: 'gpt-4o-mini' },
    { name: 'lan', model: 'llama3.1:8b' },
  ],
  presets,
  choice: 'auto',
  own: null,
  updated_at: null,
};

const withOwnKey: ModelSettings = {
  ...fresh,
  choice: 'own',
  own: { preset: 'custom', model: 'm1', base_url: 'https://models.example/v1', endpoint: 'https://models.example/v1', has_key: true },
  updated_at: '2026-12-05T10:00:00Z',
};

describe('model settings form', () => {
  it('offers automatic, offline, each server provider and — once one is filled in — your own', () => {
    const options = choiceOptions(fresh, draftOf(fresh));
    expect(options.map((o) => o.value)).toEqual(['auto', 'offline', 'primary', 'lan', 'own']);
    expect(options[0]?.label).toBe('Automatic (primary → lan)');
    expect(options.find((o) => o.value === 'own')?.disabled).toBe(true);
    expect(choiceOptions(fresh, { ...draftOf(fresh), preset: 'openai' }).find((o) => o.value === 'own')?.disabled).toBe(false);
  });

  it('keeps showing a choice the server no longer offers instead of silently changing it', () => {
    const stale = { ...fresh, choice: 'retired' };
    expect(choiceOptions(stale, draftOf(stale)).at(-1)).toEqual({ value: 'retired', label: 'retired (no longer offered: automatic)', disabled: true });
  });

  it('sends only what changed, and never the saved key', () => {
    expect(modelRequest(fresh, draftOf(fresh))).toEqual({});
    expect(modelRequest(fresh, { ...draftOf(fresh), choice: 'lan' })).toEqual({ choice: 'lan' });
    expect(modelRequest(withOwnKey, draftOf(withOwnKey))).toEqual({});
    expect(draftOf(withOwnKey).apiKey).toBe('');
  });

  it('sends the own provider with a new key, trimmed, and leaves an empty base URL out', () => {
    const draft = { ...draftOf(fresh), choice: 'own', preset: 'openai' as const, model: ' gpt-4o-mini ', apiKey: 'sk-new' };
    expect(modelRequest(fresh, draft)).toEqual({ choice: 'own', own: { preset: 'openai', model: 'gpt-4o-mini', api_key: 'sk-new' } });
  });

  it('keeps the saved key when only the model changes (no key field sent)', () => {
    const draft = { ...draftOf(withOwnKey), model: 'm2' };
    expect(modelRequest(withOwnKey, draft)).toEqual({ own: { preset: 'custom', model: 'm2', base_url: 'https://models.example/v1' } });
    expect(keySaved(withOwnKey, draft)).toBe(true);
  });

  it('no longer claims a saved key once the provider or URL changes (the key would not follow)', () => {
    expect(keySaved(withOwnKey, { ...draftOf(withOwnKey), baseUrl: 'https://other.example/v1' })).toBe(false);
    expect(keySaved(withOwnKey, { ...draftOf(withOwnKey), preset: 'ollama' })).toBe(false);
    expect(keySaved(fresh, draftOf(fresh))).toBe(false);
  });

  it('finds the field a server refusal names', () => {
    expect(modelFieldError('own.base_url: expected an http:// or https:// URL')).toEqual({
      field: 'own.base_url',
      reason: 'expected an http:// or https:// URL',
    });
    expect(modelFieldError('choice: expected auto, offline, own or a server provider')?.field).toBe('choice');
    expect(modelFieldError('own.other: x')).toBeNull();
    expect(modelFieldError('the key could not be encrypted; try again later')).toBeNull();
  });

  it('drops a typed URL when the preset has a fixed one, and leaves "own" when no preset is left', () => {
    const custom = { ...draftOf(fresh), choice: 'own', preset: 'custom' as const, model: 'm', baseUrl: 'https://m.example/v1' };
    expect(withPreset(fresh, custom, 'openai')).toMatchObject({ preset: 'openai', baseUrl: '', choice: 'own' });
    expect(withPreset(withOwnKey, draftOf(withOwnKey), 'custom').baseUrl).toBe('https://models.example/v1');
    expect(withPreset(fresh, custom, '')).toMatchObject({ preset: '', choice: 'auto' });
  });
});
