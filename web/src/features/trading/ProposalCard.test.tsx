import { act, screen, within } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { useSocket } from '../../app/socket';
import { apiError, deferred, FakeApi, json } from '../../test/fakeApi';
import { renderSignedIn } from '../../test/render';
import { PendingApprovals } from './ProposalCard';
import { approvalsPanel } from './proposals';
import { intentWire } from './testData';
import { useNow, useTrading } from './TradingContext';
import { useProposals } from './useProposals';

/** The approvals panel wired as the signed-in app wires it (proposals from REST and the socket). */
function Approvals() {
  const { client, versions } = useTrading();
  const now = useNow();
  const { state, answer } = useProposals(client, useSocket(), versions);
  return <PendingApprovals proposals={approvalsPanel(state, now)} now={now} onAnswer={answer} />;
}

const IN_FIVE_MINUTES = () => new Date(Date.now() + 5 * 60_000).toISOString();
const DIGEST = 'ab'.repeat(32);

function page<T>(data: T[]) {
  return { data, limit: 100, offset: 0, next_offset: null };
}

function setup(intents: ReturnType<typeof intentWire>[], api = new FakeApi()) {
  api.on('GET', '/api/intents', json(page(intents)));
  const rendered = renderSignedIn(<Approvals />, api);
  act(() => rendered.gateway.open());
  return rendered;
}

describe('ProposalCard', () => {
  it('shows the order exactly as the server holds it: no float rounding of tiny sizes or cents', async () => {
    setup([
      intentWire({
        intent_id: 'i1',
        venue: 'testnet',
        quantity: '0.00000001',
        limit_price: '30000.10',
        reference_price: '29999.90',
        expires_at: IN_FIVE_MINUTES(),
      }),
    ]);

    const card = await screen.findByRole('article', { name: 'Proposal: Buy 0.00000001 BTC BTC/USDT' });
    expect(within(card).getByText('0.00000001 BTC')).toBeInTheDocument();
    expect(within(card).getByText('30,000.10 USDT')).toBeInTheDocument();
    expect(within(card).getByText('29,999.90 USDT')).toBeInTheDocument();
    expect(within(card).getByText('Limit')).toBeInTheDocument();
    expect(within(card).getByText('testnet')).toHaveAttribute('data-venue', 'testnet');
    expect(card).toHaveTextContent(/Waiting for your approval · [0-5]:\d\d left/);
    expect(screen.getByRole('heading', { name: 'Pending approvals (1)' })).toBeInTheDocument();
  });

  it.each(['paper', 'testnet', 'live'] as const)('tags a %s proposal with its venue', async (venue) => {
    setup([intentWire({ intent_id: `i-${venue}`, venue, expires_at: IN_FIVE_MINUTES() })]);
    const card = await screen.findByRole('article', { name: /^Proposal:/ });
    expect(within(card).getByTestId('venue-tag')).toHaveTextContent(venue);
  });

  it('approves with the digest of the parameters shown; both buttons wait while the answer is on its way', async () => {
    const reply = deferred();
    const api = new FakeApi().on('POST', '/api/intents/{intent_id}/approve', () => reply.promise);
    const { user, gateway } = setup([intentWire({ intent_id: 'i1', digest: DIGEST, expires_at: IN_FIVE_MINUTES() })], api);
    const card = await screen.findByRole('article', { name: /^Proposal: Buy/ });

    await user.click(within(card).getByRole('button', { name: 'Approve' }));
    expect(api.sent('POST', '/api/intents/i1/approve').map((r) => r.body)).toEqual([{ digest: DIGEST, reason: '' }]);
    expect(within(card).getByRole('button', { name: 'Approve' })).toBeDisabled();
    expect(within(card).getByRole('button', { name: 'Reject' })).toBeDisabled();

    await act(async () => reply.resolve(json({ intent_id: 'i1', approve: true, message_id: 'm1' }, 202)));
    expect(card).toHaveTextContent('answer sent, waiting for the risk check…');
    expect(within(card).getByRole('button', { name: 'Approve' })).toBeDisabled();

    act(() => gateway.push({ type: 'risk.decision', intent_id: 'i1', outcome: 'approved', reason: '', digest: DIGEST }));
    expect(card).toHaveTextContent('Approved');
    expect(within(card).queryByRole('button')).not.toBeInTheDocument();
  });

  it('with several cards pending, each answer button is described by the proposal it answers', async () => {
    setup([
      intentWire({ intent_id: 'i-btc', quantity: '0.01', expires_at: IN_FIVE_MINUTES() }),
      intentWire({ intent_id: 'i-eth', symbol: 'ETH/USDT', quantity: '2', expires_at: IN_FIVE_MINUTES() }),
    ]);

    const btc = await screen.findByRole('article', { name: 'Proposal: Buy 0.01 BTC BTC/USDT' });
    const eth = await screen.findByRole('article', { name: 'Proposal: Buy 2 ETH ETH/USDT' });
    expect(within(btc).getByRole('button', { name: 'Approve' })).toHaveAccessibleDescription(/Buy\s*0\.01 BTC\s*BTC\/USDT/);
    expect(within(eth).getByRole('button', { name: 'Reject' })).toHaveAccessibleDescription(/Buy\s*2 ETH\s*ETH\/USDT/);
  });

  it('rejects with the digest too', async () => {
    const api = new FakeApi().on(
      'POST',
      '/api/intents/{intent_id}/reject',
      json({ intent_id: 'i1', approve: false, message_id: 'm2' }, 202),
    );
    const { user } = setup([intentWire({ intent_id: 'i1', digest: DIGEST, expires_at: IN_FIVE_MINUTES() })], api);

    await user.click(await screen.findByRole('button', { name: 'Reject' }));
    expect(api.sent('POST', '/api/intents/i1/reject').map((r) => r.body)).toEqual([{ digest: DIGEST, reason: '' }]);
    expect(api.sent('POST', '/api/intents/i1/approve')).toHaveLength(0);
  });

  it('shows why the server refused the answer (409) and reloads the proposal as it is now', async () => {
    const api = new FakeApi()
      .on('POST', '/api/intents/{intent_id}/approve', apiError(409, 'digest_mismatch', 'the proposal changed; review it again'))
      .on('GET', '/api/intents/{intent_id}', json(intentWire({ intent_id: 'i1', status: 'expired', reason: 'approval timed out' })));
    const { user } = setup([intentWire({ intent_id: 'i1', expires_at: IN_FIVE_MINUTES() })], api);
    const card = await screen.findByRole('article', { name: /^Proposal: Buy/ });

    await user.click(within(card).getByRole('button', { name: 'Approve' }));

    expect(await within(card).findByRole('alert')).toHaveTextContent('the proposal changed; review it again');
    expect(await within(card).findByText(/^Expired/)).toHaveTextContent('Expired — approval timed out');
    expect(api.sent('GET', '/api/intents/i1')).toHaveLength(1);
    expect(within(card).queryByRole('button', { name: 'Approve' })).not.toBeInTheDocument();
  });

  it('loads a proposal the copilot just made, and says so when it cannot be found', async () => {
    const api = new FakeApi()
      .on('GET', '/api/intents/{intent_id}', (_, { intent_id }) =>
        intent_id === 'i2'
          ? json(intentWire({ intent_id: 'i2', side: 'sell', quantity: '1.5', symbol: 'ETH/USDT', expires_at: IN_FIVE_MINUTES() }))
          : apiError(404, 'not_found', 'no such intent'),
      );
    const { gateway } = setup([], api);
    expect(await screen.findByText('Nothing waiting for you.')).toBeInTheDocument();

    act(() => gateway.push({ type: 'risk.decision', intent_id: 'i2', outcome: 'pending', reason: '', expires_at: IN_FIVE_MINUTES() }));
    expect(await screen.findByRole('article', { name: 'Proposal: Sell 1.5 ETH ETH/USDT' })).toBeInTheDocument();

    act(() => gateway.push({ type: 'risk.decision', intent_id: 'gone', outcome: 'pending', reason: '', expires_at: IN_FIVE_MINUTES() }));
    expect(await screen.findByText('no such intent')).toBeInTheDocument();
  });

  it('renders the risk gate’s reason as text, never as markup', async () => {
    const hostile = '<img src=x onerror="window.pwned = 1">';
    const api = new FakeApi().on(
      'POST',
      '/api/intents/{intent_id}/approve',
      json({ intent_id: 'i1', approve: true, message_id: 'm1' }, 202),
    );
    const { user, gateway } = setup([intentWire({ intent_id: 'i1', expires_at: IN_FIVE_MINUTES() })], api);
    await user.click(await screen.findByRole('button', { name: 'Approve' }));

    act(() => gateway.push({ type: 'risk.decision', intent_id: 'i1', outcome: 'denied', reason: hostile, check: 'collar' }));
    const card = screen.getByRole('article', { name: /^Proposal:/ });
    expect(card).toHaveTextContent(`Denied by a risk check — ${hostile}`);
    expect(card.querySelector('img')).toBeNull();
  });

  it('counts down, and once the time is up reads as expired without the answer buttons', async () => {
    // Only the clock and the card's once-a-second tick are faked; the network stays real promises.
    vi.useFakeTimers({ toFake: ['Date', 'setInterval', 'clearInterval'] });
    vi.setSystemTime(Date.parse('2026-11-28T12:00:00Z'));
    try {
      setup([intentWire({ intent_id: 'i1', expires_at: '2026-11-28T12:02:00Z' })]);
      const card = await screen.findByRole('article', { name: /^Proposal: Buy/ });
      expect(card).toHaveTextContent('Waiting for your approval · 2:00 left');

      act(() => vi.advanceTimersByTime(61_000));
      expect(card).toHaveTextContent('Waiting for your approval · 0:59 left');

      act(() => vi.advanceTimersByTime(60_000));
      expect(screen.queryByRole('button', { name: 'Approve' })).not.toBeInTheDocument();
      expect(screen.getByText('Nothing waiting for you.')).toBeInTheDocument();
    } finally {
      vi.useRealTimers();
    }
  });
});
