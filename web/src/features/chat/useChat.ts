import { useCallback, useEffect, useReducer } from 'react';
import type { AppSocket } from '../../app/socket';
import { chatReducer, emptyChat, type ChatState } from './chatState';

function newClientMessageId(): string {
  return crypto.randomUUID();
}

/**
 * One conversation over the shared socket. `send` shows the message at once and marks it failed
 * when the socket is down; `resend` sends a failed one again under the same id, so the gateway
 * stores it once even if the first attempt got through after all.
 */
export function useChat(
  socket: AppSocket,
  conversationId = 'default',
): { state: ChatState; send: (text: string) => void; resend: (clientMessageId: string) => void } {
  const [state, dispatch] = useReducer(chatReducer, conversationId, emptyChat);

  useEffect(() => socket.onMessage((message) => dispatch({ type: 'message', message })), [socket]);

  const transmit = useCallback(
    (clientMessageId: string, text: string) => {
      dispatch({ type: 'send', clientMessageId, text });
      const sent = socket.send({ action: 'chat', conversation_id: conversationId, text, client_message_id: clientMessageId });
      if (!sent) dispatch({ type: 'failed', clientMessageId, error: 'not connected — try again when the connection is back' });
    },
    [socket, conversationId],
  );

  const send = useCallback((text: string) => transmit(newClientMessageId(), text), [transmit]);

  const resend = useCallback(
    (clientMessageId: string) => {
      const turn = state.turns.find((t) => t.role === 'user' && t.clientMessageId === clientMessageId);
      if (turn && turn.role === 'user') transmit(clientMessageId, turn.text);
    },
    [state.turns, transmit],
  );

  return { state, send, resend };
}
