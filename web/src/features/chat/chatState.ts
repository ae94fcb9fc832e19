/**
 * One conversation as the chat panel shows it, built from what the socket says.
 *
 * Pure functions over an immutable state, so the panel is a function of the events it saw and
 * tests need no DOM. Replies arrive as numbered chunks that may repeat (a redelivered request
 * republishes them) or arrive out of order: a reply's text is the unbroken run of chunks from 0,
 * and it is complete once that run reaches the chunk marked final.
 */
import type { ChartSpec } from '../../lib/chartSpec';
import type { ChatChunk, Decision, ServerMessage } from '../../lib/protocol';

export type TurnStatus = 'sending' | 'sent' | 'failed' | 'streaming' | 'done';

export interface UserTurn {
  role: 'user';
  clientMessageId: string;
  text: string;
  status: 'sending' | 'sent' | 'failed';
  requestId: string | null;
  error: string | null;
}

export interface AgentTurn {
  role: 'agent';
  requestId: string;
  parts: Readonly<Record<number, Pick<ChatChunk, 'text' | 'chart'>>>;
  finalSequence: number | null;
  text: string;
  /** Charts drawn so far, in the order they came in the reply. */
  charts: readonly ChartSpec[];
  status: 'streaming' | 'done';
}

export type Turn = UserTurn | AgentTurn;

export interface ChatState {
  conversationId: string;
  turns: readonly Turn[];
  /** Latest decision per intent, for the proposal cards (pending ones can be approved). */
  decisions: Readonly<Record<string, Decision>>;
  /** Which request's reply each intent showed up under: the latest request when it was first heard of. */
  anchors: Readonly<Record<string, string>>;
}

export function emptyChat(conversationId = 'default'): ChatState {
  return { conversationId, turns: [], decisions: {}, anchors: {} };
}

function replaceTurn(state: ChatState, index: number, turn: Turn): ChatState {
  const turns = state.turns.slice();
  turns[index] = turn;
  return { ...state, turns };
}

function userTurnIndex(state: ChatState, clientMessageId: string): number {
  return state.turns.findIndex((t) => t.role === 'user' && t.clientMessageId === clientMessageId);
}

/** The user pressed send: show the message at once, marked as sending. */
export function sending(state: ChatState, clientMessageId: string, text: string): ChatState {
  const index = userTurnIndex(state, clientMessageId);
  const turn: UserTurn = { role: 'user', clientMessageId, text, status: 'sending', requestId: null, error: null };
  if (index >= 0) return replaceTurn(state, index, turn); // a retry keeps its place
  return { ...state, turns: [...state.turns, turn] };
}

/** The gateway stored the message for the agent: the reply will carry `requestId`. */
export function accepted(state: ChatState, clientMessageId: string, requestId: string): ChatState {
  const index = userTurnIndex(state, clientMessageId);
  if (index < 0) return state;
  const turn = state.turns[index] as UserTurn;
  return replaceTurn(state, index, { ...turn, status: 'sent', requestId, error: null });
}

/** The gateway refused or could not take the message; the text stays so the user can resend it. */
export function failed(state: ChatState, clientMessageId: string, error: string): ChatState {
  const index = userTurnIndex(state, clientMessageId);
  if (index < 0) return state;
  const turn = state.turns[index] as UserTurn;
  return replaceTurn(state, index, { ...turn, status: 'failed', error });
}

function assemble(parts: AgentTurn['parts']): { text: string; charts: ChartSpec[]; next: number } {
  let text = '';
  const charts: ChartSpec[] = [];
  let next = 0;
  for (let part = parts[next]; part !== undefined; part = parts[next]) {
    text += part.text;
    if (part.chart) charts.push(part.chart);
    next += 1;
  }
  return { text, charts, next };
}

/** A chunk of the agent's reply arrived (possibly again, possibly early). */
export function received(state: ChatState, chunk: ChatChunk): ChatState {
  if (chunk.conversationId !== state.conversationId) return state;
  const index = state.turns.findIndex((t) => t.role === 'agent' && t.requestId === chunk.requestId);
  const current: AgentTurn =
    index >= 0
      ? (state.turns[index] as AgentTurn)
      : {
          role: 'agent',
          requestId: chunk.requestId,
          parts: {},
          finalSequence: null,
          text: '',
          charts: [],
          status: 'streaming',
        };
  if (current.parts[chunk.sequence] !== undefined) return state; // a duplicate
  const parts = { ...current.parts, [chunk.sequence]: { text: chunk.text, chart: chunk.chart } };
  const finalSequence = chunk.final ? chunk.sequence : current.finalSequence;
  const { text, charts, next } = assemble(parts);
  const done = finalSequence !== null && next > finalSequence;
  const turn: AgentTurn = { ...current, parts, finalSequence, text, charts, status: done ? 'done' : 'streaming' };
  if (index >= 0) return replaceTurn(state, index, turn);
  return { ...state, turns: [...state.turns, turn] };
}

/** The risk gate decided an intent: the latest word wins (pending, then approved or expired…). */
export function decided(state: ChatState, decision: Decision): ChatState {
  const decisions = { ...state.decisions, [decision.intentId]: decision };
  if (state.anchors[decision.intentId] !== undefined) return { ...state, decisions };
  // The copilot proposes while it answers, so a new intent belongs to the latest request (if any).
  const anchor = latestRequestId(state);
  const anchors = anchor === null ? state.anchors : { ...state.anchors, [decision.intentId]: anchor };
  return { ...state, decisions, anchors };
}

function latestRequestId(state: ChatState): string | null {
  for (let i = state.turns.length - 1; i >= 0; i -= 1) {
    const requestId = state.turns[i]?.requestId ?? null;
    if (requestId !== null) return requestId;
  }
  return null;
}

/** The intents to show under a request's reply, in the order they were first heard of. */
export function intentsUnder(state: ChatState, requestId: string): string[] {
  return Object.keys(state.anchors).filter((intentId) => state.anchors[intentId] === requestId);
}

/** Pending approvals, soonest to lapse first. */
export function pendingDecisions(state: ChatState, now: number): Decision[] {
  return Object.values(state.decisions)
    .filter((d) => d.outcome === 'pending' && (d.expiresAt === null || d.expiresAt > now))
    .sort((a, b) => (a.expiresAt ?? Infinity) - (b.expiresAt ?? Infinity));
}

export type ChatAction =
  | { type: 'send'; clientMessageId: string; text: string }
  | { type: 'failed'; clientMessageId: string; error: string }
  | { type: 'message'; message: ServerMessage };

/** Every change to the chat: the user's sends, and what the socket says. */
export function chatReducer(state: ChatState, action: ChatAction): ChatState {
  switch (action.type) {
    case 'send':
      return sending(state, action.clientMessageId, action.text);
    case 'failed':
      return failed(state, action.clientMessageId, action.error);
    case 'message': {
      const message = action.message;
      switch (message.type) {
        case 'chat.accepted':
          return accepted(state, message.clientMessageId, message.requestId);
        case 'chat.replied':
          return received(state, message);
        case 'decision':
          return decided(state, message);
        case 'error':
          return message.clientMessageId ? failed(state, message.clientMessageId, message.message) : state;
        default:
          return state;
      }
    }
  }
}
