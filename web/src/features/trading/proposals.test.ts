import { describe, expect, it } from 'vitest';
import type { Decision } from '../../lib/protocol';
import { approvalsPanel, digestOf, emptyProposals, needsLoading, pendingProposals, proposalsReducer, statusOf, type ProposalsState } from './proposals';
import { intentWire } from './testData';

const NOW = Date.parse('2026-11-28T12:01:00Z');

function decision(intentId: string, outcome: Decision['outcome'], expiresAt: number | null = null): Decision {
  return { intentId, outcome, reason: '', check: null, digest: 'd'.repeat(64), expiresAt };
}

function byId(state: ProposalsState, id: string) {
  const p = state.byId[id];
  if (!p) throw new Error(`no proposal ${id}`);
  return p;
}

describe('proposals', () => {
  it('learns of an intent from a decision and asks for its parameters', () => {
    const state = proposalsReducer(emptyProposals, { type: 'decision', decision: decision('i1', 'pending') });
    expect(needsLoading(state)).toEqual(['i1']);
    expect(digestOf(byId(state, 'i1'))).toBeNull(); // no digest to approve with before the parameters are shown
    const loaded = proposalsReducer(state, { type: 'loaded', intent: intentWire() });
    expect(needsLoading(loaded)).toEqual([]);
    expect(digestOf(byId(loaded, 'i1'))).toBe('d'.repeat(64));
  });

  it('lets a settled decision outrank a stale pending from REST', () => {
    let state = proposalsReducer(emptyProposals, { type: 'loaded', intent: intentWire() });
    state = proposalsReducer(state, { type: 'decision', decision: decision('i1', 'approved') });
    expect(statusOf(byId(state, 'i1'), NOW)).toBe('approved');
    state = proposalsReducer(state, { type: 'loaded', intent: intentWire() }); // a refetch that raced the decision
    expect(statusOf(byId(state, 'i1'), NOW)).toBe('approved');
  });

  it('takes the REST status over a pending decision (e.g. rejected in another tab)', () => {
    let state = proposalsReducer(emptyProposals, { type: 'decision', decision: decision('i1', 'pending') });
    state = proposalsReducer(state, { type: 'loaded', intent: intentWire({ status: 'rejected' }) });
    expect(statusOf(byId(state, 'i1'), NOW)).toBe('rejected');
  });

  it('reads a pending proposal past its time as expired', () => {
    const state = proposalsReducer(emptyProposals, { type: 'loaded', intent: intentWire() });
    expect(statusOf(byId(state, 'i1'), NOW)).toBe('pending');
    expect(statusOf(byId(state, 'i1'), Date.parse('2026-11-28T12:05:00Z'))).toBe('expired');
  });

  it('lists pending proposals soonest to lapse first', () => {
    let state = proposalsReducer(emptyProposals, {
      type: 'pendingListed',
      intents: [
        intentWire({ intent_id: 'late', expires_at: '2026-11-28T12:09:00Z' }),
        intentWire({ intent_id: 'soon', expires_at: '2026-11-28T12:02:00Z' }),
        intentWire({ intent_id: 'done', status: 'approved' }),
      ],
    });
    state = proposalsReducer(state, { type: 'decision', decision: decision('gone', 'expired') });
    expect(pendingProposals(state, NOW).map((p) => p.intentId)).toEqual(['soon', 'late']);
  });

  it('keeps the server reason of a refused answer until a decision settles the proposal', () => {
    let state = proposalsReducer(emptyProposals, { type: 'loaded', intent: intentWire() });
    state = proposalsReducer(state, { type: 'answering', intentId: 'i1', kind: 'approve' });
    expect(byId(state, 'i1').answer).toEqual({ kind: 'approve', state: 'sending', message: null });
    state = proposalsReducer(state, {
      type: 'answerRefused',
      intentId: 'i1',
      message: "the proposal's parameters are not those shown; reload and answer again",
    });
    expect(byId(state, 'i1').answer).toMatchObject({ state: 'refused', message: expect.stringContaining('not those shown') });
    state = proposalsReducer(state, { type: 'decision', decision: decision('i1', 'expired') });
    expect(byId(state, 'i1').answer).toBeNull();
    expect(statusOf(byId(state, 'i1'), NOW)).toBe('expired');
  });

  it('keeps the outcome of what the user answered here in the approvals panel, after the pending ones', () => {
    let state = proposalsReducer(emptyProposals, {
      type: 'pendingListed',
      intents: [intentWire({ intent_id: 'a' }), intentWire({ intent_id: 'b' }), intentWire({ intent_id: 'c' })],
    });
    state = proposalsReducer(state, { type: 'answering', intentId: 'a', kind: 'approve' });
    state = proposalsReducer(state, { type: 'decision', decision: decision('a', 'approved') });
    state = proposalsReducer(state, { type: 'decision', decision: decision('b', 'expired') }); // not answered here
    expect(approvalsPanel(state, NOW).map((p) => [p.intentId, statusOf(p, NOW)])).toEqual([
      ['c', 'pending'],
      ['a', 'approved'],
    ]);
  });
});
