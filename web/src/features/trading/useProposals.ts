import { useCallback, useEffect, useReducer } from 'react';
import type { AppSocket } from '../../app/socket';
import { ApiError, isAbortError } from '../../lib/api';
import { call, type TypedClient } from '../../lib/client';
import { digestOf, emptyProposals, needsLoading, proposalsReducer, type ProposalsState } from './proposals';
import type { Versions } from './refresh';

export interface ProposalsApi {
  state: ProposalsState;
  answer: (intentId: string, kind: 'approve' | 'reject') => void;
}

const PENDING_PAGE = 100;

/**
 * Proposals for the cards: decisions from the socket, the parameters of every intent they name
 * (GET /api/intents/{id}), the pending list again whenever intents go stale, and the answers.
 */
export function useProposals(client: TypedClient, socket: AppSocket, versions: Versions): ProposalsApi {
  const [state, dispatch] = useReducer(proposalsReducer, emptyProposals);

  useEffect(
    () =>
      socket.onMessage((message) => {
        if (message.type === 'decision') dispatch({ type: 'decision', decision: message });
      }),
    [socket],
  );

  useEffect(() => {
    const controller = new AbortController();
    call(client.GET('/api/intents', { params: { query: { status: 'pending', limit: PENDING_PAGE } }, signal: controller.signal })).then(
      (page) => dispatch({ type: 'pendingListed', intents: page.data }),
      () => undefined, // the panel keeps what it has; the next event or reconnect tries again
    );
    return () => controller.abort();
  }, [client, versions.intents]);

  const load = useCallback(
    (intentId: string, signal?: AbortSignal) =>
      call(client.GET('/api/intents/{intent_id}', { params: { path: { intent_id: intentId } }, ...(signal ? { signal } : {}) })).then(
        (intent) => dispatch({ type: 'loaded', intent }),
        (error: unknown) => {
          if (isAbortError(error)) return;
          if (error instanceof ApiError && error.status === 404) {
            dispatch({ type: 'loadFailed', intentId, message: error.message });
          }
        },
      ),
    [client],
  );

  const missing = needsLoading(state).join(',');
  useEffect(() => {
    if (missing === '') return;
    const controller = new AbortController();
    for (const intentId of missing.split(',')) void load(intentId, controller.signal);
    return () => controller.abort();
  }, [missing, load]);

  const answer = useCallback(
    (intentId: string, kind: 'approve' | 'reject') => {
      const proposal = state.byId[intentId];
      const digest = proposal ? digestOf(proposal) : null;
      if (!digest) return;
      dispatch({ type: 'answering', intentId, kind });
      const path = kind === 'approve' ? '/api/intents/{intent_id}/approve' : '/api/intents/{intent_id}/reject';
      call(client.POST(path, { params: { path: { intent_id: intentId } }, body: { digest, reason: '' } })).then(
        () => dispatch({ type: 'answered', intentId }),
        (error: unknown) => {
          const message = error instanceof ApiError ? error.message : 'Something went wrong; try again.';
          dispatch({ type: 'answerRefused', intentId, message });
          // Changed, expired or already answered: show the proposal as the server has it now.
          if (error instanceof ApiError && error.status === 409) void load(intentId);
        },
      );
    },
    [client, state.byId, load],
  );

  return { state, answer };
}
