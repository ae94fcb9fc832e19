import { act, screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { Schemas } from '../../lib/client';
import { apiError, FakeApi, json } from '../../test/fakeApi';
import { renderSignedIn } from '../../test/render';
import { RulesPanel } from './RulesPanel';

type Rule = Schemas['RulePublic'];

function rule(id: string, status: Rule['status'], definition: Rule['definition']): Rule {
  return {
    id,
    venue: 'paper',
    symbol: 'BTC/USDT',
    definition,
    status,
    fire_once: false,
    fires: 0,
    last_fired_at: null,
    last_intent_id: null,
    created_at: '2026-11-28T12:00:00Z',
    updated_at: '2026-11-28T12:00:00Z',
  };
}

const DIP = { side: 'buy', amount: '0.01', trigger: 'price_below', price: '20000.00' };
const DIP_TEXT = 'Buy 0.01 BTC/USDT · trigger=price_below, price=20000.00';

/** The rules service: GET lists, pause/resume/delete change the stored status. */
function rulesServer(rules: Rule[]) {
  const byId = new Map(rules.map((r) => [r.id, r]));
  const set = (id: string, status: Rule['status']) => {
    const current = byId.get(id);
    if (!current) return apiError(404, 'not_found', 'no such rule');
    const next = { ...current, status };
    byId.set(id, next);
    return json(next);
  };
  return new FakeApi()
    .on('GET', '/api/rules', () => json({ data: [...byId.values()], limit: 100, offset: 0, next_offset: null }))
    .on('POST', '/api/rules/{rule_id}/pause', (_, { rule_id }) => set(rule_id!, 'paused'))
    .on('POST', '/api/rules/{rule_id}/resume', (_, { rule_id }) => set(rule_id!, 'active'))
    .on('DELETE', '/api/rules/{rule_id}', (_, { rule_id }) => {
      set(rule_id!, 'deleted');
      return new Response(null, { status: 204 });
    });
}

function setup(api: FakeApi) {
  const rendered = renderSignedIn(<RulesPanel />, api);
  act(() => rendered.gateway.open());
  return rendered;
}

describe('RulesPanel', () => {
  it('lists the standing rules in words, with the actions each status allows', async () => {
    setup(
      rulesServer([
        rule('r1', 'active', DIP),
        { ...rule('r2', 'fired', { side: 'sell', quantity: '0.5' }), fires: 1, fire_once: true },
        rule('r3', 'deleted', { side: 'buy', amount: '9' }),
      ]),
    );

    const active = (await screen.findByText(DIP_TEXT)).closest('li') as HTMLElement;
    expect(active).toHaveTextContent('paper active · fired 0×');
    expect(within(active).getAllByRole('button').map((b) => b.textContent)).toEqual(['Pause', 'Delete']);
    expect(within(active).getByRole('button', { name: `Pause rule: ${DIP_TEXT}` })).toBeInTheDocument();

    const fired = screen.getByText('Sell 0.5 BTC/USDT').closest('li') as HTMLElement;
    expect(fired).toHaveTextContent('fired · fired 1×');
    expect(fired).toHaveTextContent('· once');
    expect(within(fired).getAllByRole('button').map((b) => b.textContent)).toEqual(['Delete']);

    expect(screen.queryByText('Buy 9 BTC/USDT')).not.toBeInTheDocument();
  });

  it('pauses and resumes a rule', async () => {
    const api = rulesServer([rule('r1', 'active', DIP)]);
    const { user } = setup(api);

    await user.click(await screen.findByRole('button', { name: `Pause rule: ${DIP_TEXT}` }));
    expect(api.sent('POST', '/api/rules/r1/pause')).toHaveLength(1);

    await user.click(await screen.findByRole('button', { name: `Resume rule: ${DIP_TEXT}` }));
    expect(api.sent('POST', '/api/rules/r1/resume')).toHaveLength(1);
    expect(await screen.findByRole('button', { name: `Pause rule: ${DIP_TEXT}` })).toBeInTheDocument();
  });

  it('deletes only after confirming; Escape keeps the rule', async () => {
    const api = rulesServer([rule('r1', 'active', DIP)]);
    const { user } = setup(api);
    const remove = await screen.findByRole('button', { name: `Delete rule: ${DIP_TEXT}` });

    await user.click(remove);
    expect(screen.getByRole('dialog', { name: 'Delete this rule?' })).toHaveTextContent(DIP_TEXT);
    await user.keyboard('{Escape}');
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
    expect(remove).toHaveFocus();
    expect(api.sent('DELETE', '/api/rules/r1')).toHaveLength(0);

    await user.click(remove);
    await user.click(within(screen.getByRole('dialog')).getByRole('button', { name: 'Delete rule' }));
    expect(api.sent('DELETE', '/api/rules/r1')).toHaveLength(1);
    expect(await screen.findByText(/^No rules\./)).toBeInTheDocument();
  });

  it('shows the server’s reason when an action is refused', async () => {
    const api = rulesServer([rule('r1', 'active', DIP)]).on(
      'POST',
      '/api/rules/{rule_id}/pause',
      apiError(409, 'conflict', 'the rule fired meanwhile'),
    );
    const { user } = setup(api);

    await user.click(await screen.findByRole('button', { name: `Pause rule: ${DIP_TEXT}` }));
    expect(await screen.findByRole('alert')).toHaveTextContent('the rule fired meanwhile');
  });

  it('suggests how to make a rule when there is none', async () => {
    setup(rulesServer([]));
    expect(await screen.findByText('No rules. Ask the copilot, e.g. “buy 0.01 BTC if it drops below 20,000”.')).toBeInTheDocument();
  });

  it('says why the rules could not be loaded', async () => {
    setup(new FakeApi().on('GET', '/api/rules', apiError(503, 'unavailable', 'the rules service is down')));
    expect(await screen.findByRole('alert')).toHaveTextContent('the rules service is down');
  });
});
