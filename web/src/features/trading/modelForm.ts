/**
 * The model settings form over /api/settings/model: which provider answers the chat, and the
 * user's own provider. The key is write-only: the form never holds a saved key, only says one is
 * saved; leaving the key field empty keeps it. Only what changed is sent, and the server's refusal
 * ("own.base_url: reason") is shown on the field it names.
 */
import type { Schemas } from '../../lib/client';

export type ModelSettings = Schemas['ModelSettingsPublic'];
export type ModelSettingsPut = Schemas['ModelSettingsPut'];
export type Preset = Schemas['PresetPublic']['name'];
export type ModelField = 'choice' | 'own.preset' | 'own.model' | 'own.base_url' | 'own.api_key';

export interface ModelDraft {
  choice: string;
  preset: Preset | '';
  model: string;
  baseUrl: string;
  apiKey: string;
}

export const PRESET_LABELS: Record<Preset, string> = {
  openai: 'OpenAI',
  gemini: 'Google Gemini',
  openrouter: 'OpenRouter',
  ollama: 'Ollama (local)',
  custom: 'Other OpenAI-compatible',
};

export function draftOf(settings: ModelSettings): ModelDraft {
  const own = settings.own;
  return {
    choice: settings.choice,
    preset: own?.preset ?? '',
    model: own?.model ?? '',
    baseUrl: own?.base_url ?? '',
    apiKey: '',
  };
}

export interface ChoiceOption {
  value: string;
  label: string;
  disabled: boolean;
}

/** What the chat may be answered by: the server's order, offline, one server provider, or your own. */
export function choiceOptions(settings: ModelSettings, draft: ModelDraft): ChoiceOption[] {
  const order = settings.providers.map((p) => p.name).join(' → ');
  const options: ChoiceOption[] = [
    { value: 'auto', label: order ? `Automatic (${order})` : 'Automatic (no server model: offline)', disabled: false },
    { value: 'offline', label: 'Offline: command parser only, no model', disabled: false },
    ...settings.providers.map((p) => ({ value: p.name, label: `${p.name} (${p.model}) first`, disabled: false })),
    { value: 'own', label: 'My own provider first', disabled: draft.preset === '' },
  ];
  if (!options.some((o) => o.value === draft.choice)) {
    // A provider the server no longer offers: shown, so the form does not silently change it.
    options.push({ value: draft.choice, label: `${draft.choice} (no longer offered: automatic)`, disabled: true });
  }
  return options;
}

export function presetOf(settings: ModelSettings, preset: Preset | ''): Schemas['PresetPublic'] | undefined {
  return settings.presets.find((p) => p.name === preset);
}

/** Whether the key field should say a key is saved: one is stored and would still be used. */
export function keySaved(settings: ModelSettings, draft: ModelDraft): boolean {
  const own = settings.own;
  return !!own?.has_key && own.preset === draft.preset && (own.base_url ?? '') === draft.baseUrl.trim();
}

function ownChanged(settings: ModelSettings, draft: ModelDraft): boolean {
  const saved = draftOf(settings);
  return (
    draft.apiKey !== '' ||
    draft.preset !== saved.preset ||
    draft.model.trim() !== saved.model ||
    draft.baseUrl.trim() !== saved.baseUrl
  );
}

/** The body to PUT: only what changed (an empty object when nothing did). */
export function modelRequest(settings: ModelSettings, draft: ModelDraft): ModelSettingsPut {
  const body: ModelSettingsPut = {};
  if (draft.choice !== settings.choice) body.choice = draft.choice;
  if (draft.preset !== '' && ownChanged(settings, draft)) {
    const baseUrl = draft.baseUrl.trim();
    body.own = {
      preset: draft.preset,
      model: draft.model.trim(),
      ...(baseUrl ? { base_url: baseUrl } : {}),
      ...(draft.apiKey ? { api_key: draft.apiKey } : {}),
    };
  }
  return body;
}

const FIELDS: readonly ModelField[] = ['choice', 'own.preset', 'own.model', 'own.base_url', 'own.api_key'];

/** "own.base_url: expected an http:// or https:// URL" → that field and its reason; null if it names none. */
export function modelFieldError(message: string): { field: ModelField; reason: string } | null {
  const match = /^([a-z_]+(?:\.[a-z_]+)?):\s*(.*)$/s.exec(message);
  if (!match) return null;
  const field = FIELDS.find((f) => f === match[1]);
  return field ? { field, reason: match[2] as string } : null;
}

/** The draft after picking another preset: a URL only where the preset takes one. */
export function withPreset(settings: ModelSettings, draft: ModelDraft, preset: Preset | ''): ModelDraft {
  const editable = presetOf(settings, preset)?.base_url_editable ?? false;
  const savedUrl = settings.own?.preset === preset ? (settings.own.base_url ?? '') : '';
  return { ...draft, preset, baseUrl: editable ? savedUrl : '', choice: preset === '' && draft.choice === 'own' ? 'auto' : draft.choice };
}
