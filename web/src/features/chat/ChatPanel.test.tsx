import { act, screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { renderWithSocket } from '../../test/render';
import { ProposalCard } from '../trading/ProposalCard';
import { intentWire } from '../trading/testData';
import { ChatPanel, type RenderProposals } from './ChatPanel';

const NOW = Date.parse('2026-11-28T12:01:00Z');

/** The cards as the signed-in app draws them: one real ProposalCard per intent. */
const renderCards: RenderProposals = (intentIds) =>
  intentIds.map((id) => (
    <ProposalCard
      key={id}
      proposal={{ intentId: id, intent: intentWire({ intent_id: id }), decision: null, answer: null, loadError: null, answeredHere: false }}
      now={NOW}
      onAnswer={() => undefined}
    />
  ));

function setup({ connected = true, renderProposals }: { connected?: boolean; renderProposals?: RenderProposals } = {}) {
  const rendered = renderWithSocket(<ChatPanel signedIn {...(renderProposals ? { renderProposals } : {})} />);
  if (connected) act(() => rendered.gateway.open());
  const log = screen.getByRole('log');
  const turns = () => within(log).queryAllByRole('listitem');
  const chats = () => rendered.gateway.received().filter((m) => m.action === 'chat');
  const push = (frame: Record<string, unknown>) => act(() => rendered.gateway.push(frame));
  return { ...rendered, log, turns, chats, push };
}

function chunk(sequence: number, text: string, final = false, requestId = 'r1') {
  return { type: 'chat.replied', request_id: requestId, conversation_id: 'default', sequence, text, final };
}

describe('ChatPanel', () => {
  it('sends the message on Enter, shows it at once, and marks it sent when the gateway accepts it', async () => {
    const { user, turns, chats, push } = setup();

    await user.type(screen.getByLabelText('Message the copilot'), 'what is the price of BTC?{Enter}');

    const sent = chats();
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ action: 'chat', conversation_id: 'default', text: 'what is the price of BTC?' });
    expect(screen.getByLabelText('Message the copilot')).toHaveValue('');
    expect(turns()).toHaveLength(1);
    expect(turns()[0]).toHaveTextContent('You: what is the price of BTC?Sending…');

    const clientMessageId = (sent[0] as { client_message_id: string }).client_message_id;
    push({ type: 'chat.accepted', request_id: 'r1', client_message_id: clientMessageId, conversation_id: 'default' });
    expect(turns()[0]).toHaveTextContent('Sent');
  });

  it('keeps Shift+Enter as a new line and does not send an empty message', async () => {
    const { user, chats } = setup();
    const box = screen.getByLabelText('Message the copilot');

    expect(screen.getByRole('button', { name: 'Send' })).toBeDisabled();
    await user.type(box, '   {Enter}');
    expect(chats()).toHaveLength(0);

    await user.clear(box);
    await user.type(box, 'line one{Shift>}{Enter}{/Shift}line two');
    expect(box).toHaveValue('line one\nline two');
    expect(chats()).toHaveLength(0);
    await user.click(screen.getByRole('button', { name: 'Send' }));
    expect(chats().map((m) => (m as { text: string }).text)).toEqual(['line one\nline two']);
  });

  it('assembles streamed chunks — out of order and repeated — into one reply, busy until the final one', async () => {
    const { user, turns, push } = setup();
    await user.type(screen.getByLabelText('Message the copilot'), 'hi{Enter}');

    push(chunk(1, 'there, '));
    push(chunk(0, 'Hello '));
    push(chunk(0, 'Hello ')); // redelivered
    const reply = turns()[1];
    expect(turns()).toHaveLength(2);
    expect(reply).toHaveTextContent('Copilot: Hello there,');
    expect(reply).toHaveAttribute('aria-busy', 'true');

    push(chunk(2, 'trader.', true));
    expect(turns()).toHaveLength(2);
    expect(turns()[1]).toHaveTextContent('Copilot: Hello there, trader.');
    expect(turns()[1]).toHaveAttribute('aria-busy', 'false');
  });

  it('marks a message sent while offline as not sent, and resends it under the same id', async () => {
    const { user, gateway, turns, chats } = setup({ connected: false });
    await user.type(screen.getByLabelText('Message the copilot'), 'buy 0.01 BTC{Enter}');

    expect(chats()).toHaveLength(0);
    expect(turns()[0]).toHaveTextContent('Not sent');
    expect(within(turns()[0] as HTMLElement).getByRole('alert')).toHaveTextContent(/not connected/);

    act(() => gateway.open());
    await user.click(screen.getByRole('button', { name: 'Send again' }));

    expect(chats()).toHaveLength(1);
    expect(chats()[0]).toMatchObject({ text: 'buy 0.01 BTC' });
    expect(turns()).toHaveLength(1);
    expect(turns()[0]).toHaveTextContent('Sending…');
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();
  });

  it('shows the gateway’s refusal on the message it refused, and resends that same message id', async () => {
    const { user, turns, chats, push } = setup();
    await user.type(screen.getByLabelText('Message the copilot'), 'buy 1 BTC{Enter}');
    const first = chats()[0] as { client_message_id: string };

    push({ type: 'error', code: 'rate_limited', message: 'too many messages; wait a moment', client_message_id: first.client_message_id });
    expect(within(turns()[0] as HTMLElement).getByRole('alert')).toHaveTextContent('too many messages; wait a moment');

    await user.click(screen.getByRole('button', { name: 'Send again' }));
    const resent = chats()[1] as { client_message_id: string };
    expect(resent.client_message_id).toBe(first.client_message_id);
    expect(turns()).toHaveLength(1);
  });

  it('renders markup in a reply as text: nothing the server sends becomes an element', async () => {
    const { user, log, push } = setup();
    await user.type(screen.getByLabelText('Message the copilot'), '<b>bold?</b>{Enter}');
    const hostile = '<script>window.pwned = 1</script><img src=x onerror="window.pwned = 2">';

    push(chunk(0, hostile, true));

    expect(log).toHaveTextContent('You: <b>bold?</b>');
    expect(log).toHaveTextContent(`Copilot: ${hostile}`);
    expect(log.querySelector('script, img, b')).toBeNull();
    expect((window as unknown as { pwned?: number }).pwned).toBeUndefined();
  });

  it('places a proposal under the reply of the request that made it', async () => {
    const { user, turns, chats, push } = setup({ renderProposals: renderCards });
    await user.type(screen.getByLabelText('Message the copilot'), 'buy 0.01 BTC at 23142.31{Enter}');
    const clientMessageId = (chats()[0] as { client_message_id: string }).client_message_id;
    push({ type: 'chat.accepted', request_id: 'r1', client_message_id: clientMessageId, conversation_id: 'default' });

    push({ type: 'risk.decision', intent_id: 'i7', outcome: 'pending', reason: '', expires_at: '2026-11-28T12:05:00Z' });
    // Before the reply starts, the card waits under the message…
    expect(within(turns()[0] as HTMLElement).getByRole('article', { name: /^Proposal: Buy/ })).toBeInTheDocument();

    push(chunk(0, 'Here is the order for you to approve.', true));
    // …and then moves under the reply: one card, in the reply's turn.
    expect(screen.getAllByRole('article')).toHaveLength(1);
    const card = within(turns()[1] as HTMLElement).getByRole('article', { name: 'Proposal: Buy 0.01000000 BTC BTC/USDT' });
    expect(card).toHaveAttribute('data-intent-id', 'i7');
  });

  it('cannot be used before signing in', () => {
    renderWithSocket(<ChatPanel signedIn={false} />);
    const box = screen.getByLabelText('Message the copilot');
    expect(box).toBeDisabled();
    expect(box).toHaveAttribute('placeholder', 'Sign in to chat');
    expect(screen.getByRole('button', { name: 'Send' })).toBeDisabled();
  });
});
