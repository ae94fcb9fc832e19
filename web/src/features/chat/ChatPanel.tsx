import { useId, useState, type FormEvent, type KeyboardEvent, type ReactNode } from 'react';
import { useSocket } from '../../app/socket';
import { intentsUnder, type ChatState, type Turn } from './chatState';
import { SpecChart } from './SpecChart';
import { useChat } from './useChat';

const MAX_LENGTH = 4000;

const USER_STATUS: Record<'sending' | 'sent' | 'failed', string> = {
  sending: 'Sending…',
  sent: 'Sent',
  failed: 'Not sent',
};

/** Draws the proposal cards for the given intents (the app supplies them; the chat only places them). */
export type RenderProposals = (intentIds: readonly string[]) => ReactNode;

/** Proposals go under the reply of the request that made them, or under the message until the reply starts. */
function proposalsFor(state: ChatState, turn: Turn, render: RenderProposals | undefined): ReactNode {
  if (!render || turn.requestId === null) return null;
  if (turn.role === 'user' && state.turns.some((t) => t.role === 'agent' && t.requestId === turn.requestId)) return null;
  const intentIds = intentsUnder(state, turn.requestId);
  return intentIds.length > 0 ? render(intentIds) : null;
}

function TurnView({
  turn,
  onResend,
  proposals,
}: {
  turn: Turn;
  onResend: (clientMessageId: string) => void;
  proposals: ReactNode;
}) {
  if (turn.role === 'agent') {
    return (
      <li className="chat-turn chat-turn--agent" data-status={turn.status} aria-busy={turn.status === 'streaming'}>
        <span className="visually-hidden">Copilot: </span>
        <p className="chat-turn__text">{turn.text || '…'}</p>
        {turn.charts.map((spec, i) => (
          <SpecChart key={i} spec={spec} />
        ))}
        {proposals}
      </li>
    );
  }
  return (
    <li className="chat-turn chat-turn--user" data-status={turn.status}>
      <span className="visually-hidden">You: </span>
      <p className="chat-turn__text">{turn.text}</p>
      <span className="chat-turn__status">{USER_STATUS[turn.status]}</span>
      {turn.status === 'failed' && (
        <span className="chat-turn__error" role="alert">
          {turn.error}{' '}
          <button type="button" className="button button--small" onClick={() => onResend(turn.clientMessageId)}>
            Send again
          </button>
        </span>
      )}
      {proposals}
    </li>
  );
}

/** The chat with the copilot: streamed replies, and a message box that sends on Enter. */
export function ChatPanel({ signedIn, renderProposals }: { signedIn: boolean; renderProposals?: RenderProposals }) {
  const socket = useSocket();
  const { state, send, resend } = useChat(socket);
  const [draft, setDraft] = useState('');
  const inputId = useId();

  const submit = (event?: FormEvent) => {
    event?.preventDefault();
    const text = draft.trim();
    if (!text || !signedIn) return;
    send(text);
    setDraft('');
  };

  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (event.key === 'Enter' && !event.shiftKey) submit(event);
  };

  return (
    <section className="panel chat" aria-labelledby={`${inputId}-title`}>
      <h2 className="panel__title" id={`${inputId}-title`}>
        Copilot
      </h2>
      <ol className="chat__log" role="log" aria-live="polite" aria-relevant="additions text" data-testid="chat-log">
        {state.turns.map((turn) => (
          <TurnView
            key={turn.role === 'user' ? `u-${turn.clientMessageId}` : `a-${turn.requestId}`}
            turn={turn}
            onResend={resend}
            proposals={proposalsFor(state, turn, renderProposals)}
          />
        ))}
      </ol>
      <form className="chat__form" onSubmit={submit}>
        <label htmlFor={inputId} className="visually-hidden">
          Message the copilot
        </label>
        <textarea
          id={inputId}
          className="chat__input"
          value={draft}
          maxLength={MAX_LENGTH}
          rows={2}
          disabled={!signedIn}
          placeholder={signedIn ? 'e.g. buy 0.01 BTC, or: what is the price of ETH?' : 'Sign in to chat'}
          onChange={(event) => setDraft(event.target.value)}
          onKeyDown={onKeyDown}
        />
        <button type="submit" className="button" disabled={!signedIn || draft.trim() === ''}>
          Send
        </button>
      </form>
    </section>
  );
}
