import { describe, expect, it } from 'vitest';
import type { ChatChunk, Decision, ServerMessage } from '../../lib/protocol';
import {
  accepted,
  chatReducer,
  decided,
  emptyChat,
  failed,
  intentsUnder,
  pendingDecisions,
  received,
  sending,
  type AgentTurn,
} from './chatState';

function chunk(sequence: number, text: string, final = false, requestId = 'r1'): ChatChunk {
  return { requestId, conversationId: 'default', sequence, text, final, chart: null };
}

function agentTurn(state: ReturnType<typeof emptyChat>, requestId = 'r1'): AgentTurn {
  const turn = state.turns.find((t) => t.role === 'agent' && t.requestId === requestId);
  if (!turn || turn.role !== 'agent') throw new Error(`no agent turn ${requestId}`);
  return turn;
}

function decision(intentId: string, outcome: Decision['outcome'], expiresAt: number | null = null): Decision {
  return { intentId, outcome, reason: '', check: null, digest: 'a'.repeat(64), expiresAt };
}

describe('chat state', () => {
  it('shows a message at once, then marks it sent with the request id the reply will carry', () => {
    let state = sending(emptyChat(), 'm1', 'buy 0.01 BTC');
    expect(state.turns).toEqual([
      { role: 'user', clientMessageId: 'm1', text: 'buy 0.01 BTC', status: 'sending', requestId: null, error: null },
    ]);
    state = accepted(state, 'm1', 'r1');
    expect(state.turns[0]).toMatchObject({ status: 'sent', requestId: 'r1' });
  });

  it('keeps a failed message in place so resending it does not duplicate it', () => {
    let state = sending(emptyChat(), 'm1', 'hello');
    state = failed(state, 'm1', 'the chat is unavailable right now');
    expect(state.turns[0]).toMatchObject({ status: 'failed', error: 'the chat is unavailable right now' });
    state = sending(state, 'm1', 'hello');
    expect(state.turns).toHaveLength(1);
    expect(state.turns[0]).toMatchObject({ status: 'sending', error: null });
  });

  it('assembles streamed chunks in order and completes at the final one', () => {
    let state = received(emptyChat(), chunk(0, 'BTC is '));
    expect(agentTurn(state)).toMatchObject({ text: 'BTC is ', status: 'streaming' });
    state = received(state, chunk(1, 'at 23,140.', true));
    expect(agentTurn(state)).toMatchObject({ text: 'BTC is at 23,140.', status: 'done' });
  });

  it('ignores repeated chunks and waits for a gap to fill before showing what follows it', () => {
    let state = received(emptyChat(), chunk(0, 'a'));
    state = received(state, chunk(2, 'c', true));
    expect(agentTurn(state)).toMatchObject({ text: 'a', status: 'streaming' });
    const before = state;
    state = received(state, chunk(0, 'a'));
    expect(state).toBe(before);
    state = received(state, chunk(1, 'b'));
    expect(agentTurn(state)).toMatchObject({ text: 'abc', status: 'done' });
  });

  it('keeps the charts of a reply in the order they came', () => {
    const chart = (symbol: string) => ({ symbol, interval: '1h', candles: [], overlays: [], markers: [] });
    let state = received(emptyChat(), { ...chunk(1, '', false), chart: chart('ETH/USDT') });
    state = received(state, { ...chunk(0, 'Charts:', false), chart: chart('BTC/USDT') });
    state = received(state, chunk(2, ' done.', true));
    expect(agentTurn(state).charts.map((c) => c.symbol)).toEqual(['BTC/USDT', 'ETH/USDT']);
    expect(agentTurn(state)).toMatchObject({ text: 'Charts: done.', status: 'done' });
  });

  it('keeps replies to different requests apart and ignores other conversations', () => {
    let state = received(emptyChat(), chunk(0, 'first', true, 'r1'));
    state = received(state, chunk(0, 'second', true, 'r2'));
    state = received(state, { ...chunk(0, 'elsewhere', true, 'r3'), conversationId: 'other' });
    expect(state.turns.map((t) => t.role === 'agent' && t.text)).toEqual(['first', 'second']);
  });

  it('lists pending approvals that have not lapsed, soonest first, and drops decided ones', () => {
    let state = decided(emptyChat(), decision('i1', 'pending', 5_000));
    state = decided(state, decision('i2', 'pending', 2_000));
    state = decided(state, decision('i3', 'pending', 500));
    state = decided(state, decision('i4', 'denied'));
    expect(pendingDecisions(state, 1_000).map((d) => d.intentId)).toEqual(['i2', 'i1']);
    state = decided(state, decision('i2', 'approved'));
    expect(pendingDecisions(state, 1_000).map((d) => d.intentId)).toEqual(['i1']);
  });
});

describe('chatReducer', () => {
  it('follows a message from send to accepted to a streamed reply, from socket events', () => {
    let state = chatReducer(emptyChat(), { type: 'send', clientMessageId: 'm1', text: 'price of BTC?' });
    const events: ServerMessage[] = [
      { type: 'chat.accepted', requestId: 'r1', clientMessageId: 'm1', conversationId: 'default' },
      { type: 'chat.replied', requestId: 'r1', conversationId: 'default', sequence: 0, text: 'BTC ', final: false, chart: null },
      { type: 'trade', symbol: 'BTC/USDT', tradeId: '1', price: '1', quantity: '1', ts: 1 },
      { type: 'chat.replied', requestId: 'r1', conversationId: 'default', sequence: 1, text: '23,140', final: true, chart: null },
    ];
    for (const message of events) state = chatReducer(state, { type: 'message', message });
    expect(state.turns).toMatchObject([
      { role: 'user', status: 'sent', requestId: 'r1' },
      { role: 'agent', text: 'BTC 23,140', status: 'done' },
    ]);
  });

  it('marks the refused message failed with the reason, and ignores errors naming no message', () => {
    let state = chatReducer(emptyChat(), { type: 'send', clientMessageId: 'm1', text: 'x' });
    state = chatReducer(state, { type: 'message', message: { type: 'error', code: 'stream', message: 'feed' } });
    expect(state.turns[0]).toMatchObject({ status: 'sending' });
    const refusal: ServerMessage = {
      type: 'error',
      code: 'rate_limited',
      message: 'too many chat messages: retry in 3.0 s',
      clientMessageId: 'm1',
    };
    state = chatReducer(state, { type: 'message', message: refusal });
    expect(state.turns[0]).toMatchObject({ status: 'failed', error: 'too many chat messages: retry in 3.0 s' });
  });

  it('shows a proposal under the reply to the latest request, even when it comes before the reply', () => {
    let state = accepted(sending(emptyChat(), 'm1', 'buy 0.01 BTC'), 'm1', 'r1');
    state = decided(state, decision('i1', 'pending'));
    state = received(state, chunk(0, 'Proposed.', true, 'r1'));
    state = accepted(sending(state, 'm2', 'and 0.02 ETH'), 'm2', 'r2');
    state = decided(state, decision('i2', 'pending'));
    state = decided(state, decision('i1', 'approved')); // a later word keeps its first place
    expect(intentsUnder(state, 'r1')).toEqual(['i1']);
    expect(intentsUnder(state, 'r2')).toEqual(['i2']);
    expect(decided(emptyChat(), decision('i3', 'pending')).anchors).toEqual({}); // no conversation yet
  });
});
