/**
 * The proposals (intents waiting for, or past, the user's word) as the cards show them.
 *
 * Two sources tell about one intent: the REST resource (its exact parameters and digest, fetched
 * once a decision names it and again after a reconnect) and the risk gate's decisions on the
 * socket. A settled decision outranks a stale `pending` from REST; the server's answer to the
 * user's approve/reject is kept so a 409 can say why.
 */
import type { Decision, DecisionOutcome } from '../../lib/protocol';
import type { Schemas } from '../../lib/client';

export type Intent = Schemas['IntentPublic'];

export interface Proposal {
  intentId: string;
  intent: Intent | null;
  decision: Decision | null;
  /** The user's approve/reject: sent and awaiting the gate's decision, or refused by the server. */
  answer: { kind: 'approve' | 'reject'; state: 'sending' | 'sent' | 'refused'; message: string | null } | null;
  /** Loading the parameters failed (e.g. not found); the card says so instead of guessing. */
  loadError: string | null;
  /** The user answered it here, so the approvals panel keeps showing its outcome. */
  answeredHere: boolean;
}

export interface ProposalsState {
  byId: Readonly<Record<string, Proposal>>;
}

export const emptyProposals: ProposalsState = { byId: {} };

export type ProposalsAction =
  | { type: 'decision'; decision: Decision }
  | { type: 'loaded'; intent: Intent }
  | { type: 'loadFailed'; intentId: string; message: string }
  /** The pending list from REST (after sign-in or a reconnect): these are pending now. */
  | { type: 'pendingListed'; intents: readonly Intent[] }
  | { type: 'answering'; intentId: string; kind: 'approve' | 'reject' }
  | { type: 'answered'; intentId: string }
  | { type: 'answerRefused'; intentId: string; message: string };

function blank(intentId: string): Proposal {
  return { intentId, intent: null, decision: null, answer: null, loadError: null, answeredHere: false };
}

function update(state: ProposalsState, intentId: string, change: (p: Proposal) => Proposal): ProposalsState {
  const current = state.byId[intentId] ?? blank(intentId);
  return { byId: { ...state.byId, [intentId]: change(current) } };
}

export function proposalsReducer(state: ProposalsState, action: ProposalsAction): ProposalsState {
  switch (action.type) {
    case 'decision':
      return update(state, action.decision.intentId, (p) => ({
        ...p,
        decision: action.decision,
        // A settled decision is the outcome of the answer; a refusal note would now mislead.
        answer: action.decision.outcome === 'pending' ? p.answer : null,
      }));
    case 'loaded':
      return update(state, action.intent.intent_id, (p) => ({ ...p, intent: action.intent, loadError: null }));
    case 'loadFailed':
      return update(state, action.intentId, (p) => ({ ...p, loadError: action.message }));
    case 'pendingListed': {
      let next = state;
      for (const intent of action.intents) next = proposalsReducer(next, { type: 'loaded', intent });
      return next;
    }
    case 'answering':
      return update(state, action.intentId, (p) => ({
        ...p,
        answer: { kind: action.kind, state: 'sending', message: null },
        answeredHere: true,
      }));
    case 'answered':
      return update(state, action.intentId, (p) => ({
        ...p,
        answer: p.answer ? { ...p.answer, state: 'sent' } : null,
      }));
    case 'answerRefused':
      return update(state, action.intentId, (p) => ({
        ...p,
        answer: p.answer ? { ...p.answer, state: 'refused', message: action.message } : null,
      }));
  }
}

/**
 * What became of the proposal: a settled decision first, then the REST status, and a pending one
 * whose time ran out reads as expired even before the gate says so.
 */
export function statusOf(proposal: Proposal, now: number): DecisionOutcome {
  const fromDecision = proposal.decision?.outcome ?? null;
  const fromIntent = proposal.intent?.status ?? null;
  const status =
    fromDecision !== null && fromDecision !== 'pending' ? fromDecision : (fromIntent ?? fromDecision ?? 'pending');
  if (status !== 'pending') return status;
  const expiresAt = expiresAtOf(proposal);
  return expiresAt !== null && expiresAt <= now ? 'expired' : 'pending';
}

export function expiresAtOf(proposal: Proposal): number | null {
  const iso = proposal.intent?.expires_at ?? null;
  if (iso !== null) {
    const ms = Date.parse(iso);
    if (!Number.isNaN(ms)) return ms;
  }
  return proposal.decision?.expiresAt ?? null;
}

/** The digest to answer with: the one of the parameters shown (REST), never one the card did not show. */
export function digestOf(proposal: Proposal): string | null {
  return proposal.intent?.digest ?? null;
}

/** The proposals waiting for the user, soonest to lapse first. */
export function pendingProposals(state: ProposalsState, now: number): Proposal[] {
  return Object.values(state.byId)
    .filter((p) => statusOf(p, now) === 'pending')
    .sort((a, b) => (expiresAtOf(a) ?? Infinity) - (expiresAtOf(b) ?? Infinity));
}

/** The approvals panel: what waits for the user, then (newest first) the outcomes of what they answered here. */
export function approvalsPanel(state: ProposalsState, now: number, keepAnswered = 5): Proposal[] {
  const answered = Object.values(state.byId)
    .filter((p) => p.answeredHere && statusOf(p, now) !== 'pending')
    .reverse()
    .slice(0, keepAnswered);
  return [...pendingProposals(state, now), ...answered];
}

/** Intents named by decisions whose parameters are not known yet (the card fetches them). */
export function needsLoading(state: ProposalsState): string[] {
  return Object.values(state.byId)
    .filter((p) => p.intent === null && p.loadError === null)
    .map((p) => p.intentId);
}
