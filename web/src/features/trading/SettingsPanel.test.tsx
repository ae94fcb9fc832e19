import { act, screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { Schemas } from '../../lib/client';
import { apiError, FakeApi, json } from '../../test/fakeApi';
import { renderSignedIn } from '../../test/render';
import type { Limits } from './limitsForm';
import { SettingsPanel } from './SettingsPanel';

const LIMITS: Limits = {
  allowed_symbols: null,
  max_order_notional: '1000.50',
  max_order_quantity: null,
  max_position_notional: '5000',
  max_total_exposure: '10000',
  max_open_orders: 10,
  max_intents_per_minute: 6,
  max_orders_per_minute: 6,
  price_collar_pct: '5',
  cumulative_collar_pct: '10',
  collar_window_s: 300,
  reference_max_age_s: 30,
  rule_max_executions: 5,
  rule_window_s: 3600,
  daily_loss_limit: '500',
  duplicate_window_s: 10,
  approval_ttl_s: 120,
  approval_max_move_pct: '1',
};

function key(fields: Partial<Schemas['ExchangeKeyPublic']> = {}): Schemas['ExchangeKeyPublic'] {
  return {
    id: '00000000-0000-4000-8000-000000000001',
    venue: 'testnet',
    label: 'main',
    api_key_hint: 'ab12',
    created_at: '2026-11-28T12:00:00Z',
    rotated_at: null,
    ...fields,
  };
}

function settingsServer(keys: Schemas['ExchangeKeyPublic'][] = []) {
  let limits = LIMITS;
  return new FakeApi()
    .on('GET', '/api/limits', () => json(limits))
    .on('PUT', '/api/limits', (request) => {
      limits = { ...limits, ...(request.body as Partial<Limits>) };
      return json(limits);
    })
    .on('GET', '/api/exchange-keys', () => json({ data: keys, count: keys.length }));
}

function setup(api: FakeApi) {
  const rendered = renderSignedIn(<SettingsPanel />, api);
  act(() => rendered.gateway.open());
  return rendered;
}

const limitsForm = () => screen.findByRole('form', { name: 'Risk limits' });
const keysForm = () => screen.getByRole('form', { name: 'Exchange keys' });

describe('SettingsPanel: risk limits', () => {
  it('shows the server’s limits exactly as sent, an unset one as empty', async () => {
    setup(settingsServer());
    const form = await limitsForm();
    expect(within(form).getByLabelText('Max order value (quote)')).toHaveValue('1000.50');
    expect(within(form).getByLabelText('Max order quantity (base, empty for none)')).toHaveValue('');
    expect(within(form).getByLabelText('Max open orders')).toHaveValue('10');
  });

  it('sends only the changed fields, decimals as typed and counts as integers', async () => {
    const api = settingsServer();
    const { user } = setup(api);
    const form = await limitsForm();

    await user.clear(within(form).getByLabelText('Max order value (quote)'));
    await user.type(within(form).getByLabelText('Max order value (quote)'), '2500.10');
    await user.clear(within(form).getByLabelText('Max open orders'));
    await user.type(within(form).getByLabelText('Max open orders'), '12');
    await user.click(within(form).getByRole('button', { name: 'Save limits' }));

    expect(api.sent('PUT', '/api/limits').map((r) => r.body)).toEqual([{ max_order_notional: '2500.10', max_open_orders: 12 }]);
    expect(await within(form).findByRole('status')).toHaveTextContent('Limits saved.');
    expect(within(form).getByLabelText('Max order value (quote)')).toHaveValue('2500.10');
  });

  it('puts the server’s reason on the field it names, keeping what was typed', async () => {
    const api = settingsServer().on(
      'PUT',
      '/api/limits',
      apiError(422, 'invalid_request', 'max_order_notional: Input should be greater than 0'),
    );
    const { user } = setup(api);
    const form = await limitsForm();
    const field = within(form).getByLabelText('Max order value (quote)');

    await user.clear(field);
    await user.type(field, '-5');
    await user.click(within(form).getByRole('button', { name: 'Save limits' }));

    expect(await within(form).findByRole('alert')).toHaveTextContent('Check the highlighted field: Input should be greater than 0');
    expect(field).toBeInvalid();
    expect(field).toHaveAccessibleDescription('Input should be greater than 0');
    expect(field).toHaveValue('-5');
    expect(within(form).getByLabelText('Max open orders')).toBeValid();
  });

  it('says when nothing changed instead of sending', async () => {
    const api = settingsServer();
    const { user } = setup(api);
    const form = await limitsForm();

    await user.click(within(form).getByRole('button', { name: 'Save limits' }));
    expect(within(form).getByRole('status')).toHaveTextContent('Nothing changed.');
    expect(api.sent('PUT', '/api/limits')).toHaveLength(0);
  });

  it('says why the limits could not be loaded', async () => {
    setup(settingsServer().on('GET', '/api/limits', apiError(503, 'unavailable', 'the database is not reachable')));
    expect(await screen.findByText('Limits could not be loaded: the database is not reachable')).toHaveRole('alert');
  });
});

describe('SettingsPanel: exchange keys', () => {
  it('lists keys by venue, label and hint only; the secret fields are never filled from the server', async () => {
    setup(settingsServer([key()]));
    expect(await screen.findByRole('button', { name: 'Remove testnet key main' })).toBeInTheDocument();
    expect(screen.getByText(/main · key ab12 · added/)).toBeInTheDocument();

    const form = keysForm();
    expect(within(form).getByLabelText('API key')).toHaveAttribute('type', 'password');
    expect(within(form).getByLabelText('API key')).toHaveValue('');
    expect(within(form).getByLabelText('API secret')).toHaveAttribute('type', 'password');
    expect(within(form).getByLabelText('API secret')).toHaveValue('');
  });

  it('saves a key pair write-only: sent once, then cleared from the page', async () => {
    const secret = 'sEcReT-0123456789';
    const saved: Schemas['ExchangeKeyPublic'][] = [];
    const api = settingsServer(saved).on('PUT', '/api/exchange-keys/{venue}', (request, { venue }) => {
      const stored = key({ venue: venue as 'testnet', label: (request.body as { label: string }).label, api_key_hint: 'WXYZ' });
      saved.push(stored);
      return json(stored, 201);
    });
    const { user } = setup(api);
    const form = keysForm();
    const save = within(form).getByRole('button', { name: 'Save key' });

    expect(within(form).getByLabelText('Venue')).toHaveValue('testnet');
    expect(save).toBeDisabled();
    await user.type(within(form).getByLabelText('API key'), 'key-ABCDWXYZ');
    await user.type(within(form).getByLabelText('API secret'), secret);
    await user.click(save);

    expect(api.sent('PUT', '/api/exchange-keys/testnet').map((r) => r.body)).toEqual([
      { api_key: 'key-ABCDWXYZ', api_secret: secret, label: 'main' },
    ]);
    expect(await within(form).findByRole('status')).toHaveTextContent('Key "main" for testnet saved.');
    expect(within(form).getByLabelText('API key')).toHaveValue('');
    expect(within(form).getByLabelText('API secret')).toHaveValue('');
    expect(await screen.findByText(/main · key WXYZ/)).toBeInTheDocument();
    expect(document.body.innerHTML).not.toContain(secret);
  });

  it('clears the secret even when the server refuses it, and says why', async () => {
    const api = settingsServer().on(
      'PUT',
      '/api/exchange-keys/{venue}',
      apiError(422, 'invalid_request', 'label: String should match pattern'),
    );
    const { user } = setup(api);
    const form = keysForm();

    await user.clear(within(form).getByLabelText('Label'));
    await user.type(within(form).getByLabelText('Label'), 'my key!');
    await user.selectOptions(within(form).getByLabelText('Venue'), 'live');
    await user.type(within(form).getByLabelText('API key'), 'k');
    await user.type(within(form).getByLabelText('API secret'), 's3cret');
    await user.click(within(form).getByRole('button', { name: 'Save key' }));

    expect(api.sent('PUT', '/api/exchange-keys/live')).toHaveLength(1);
    expect(await within(form).findByRole('alert')).toHaveTextContent('label: String should match pattern');
    expect(within(form).getByLabelText('API secret')).toHaveValue('');
    expect(within(form).getByLabelText('Label')).toHaveValue('my key!');
  });

  it('removes a key by venue and label', async () => {
    const api = settingsServer([key({ venue: 'live', label: 'trading' })]).on(
      'DELETE',
      '/api/exchange-keys/{venue}',
      new Response(null, { status: 204 }),
    );
    const { user } = setup(api);

    await user.click(await screen.findByRole('button', { name: 'Remove live key trading' }));

    const [sent] = api.sent('DELETE', '/api/exchange-keys/live');
    expect(sent?.query.get('label')).toBe('trading');
    expect(await screen.findByText('Key "trading" for live removed.')).toHaveRole('status');
  });
});
