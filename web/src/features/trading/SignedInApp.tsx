import { useSocket } from '../../app/socket';
import { ErrorBoundary } from '../../components/ErrorBoundary';
import type { ApiClient } from '../../lib/api';
import { call } from '../../lib/client';
import { ChatPanel } from '../chat/ChatPanel';
import { MarketPanel } from '../market/MarketPanel';
import { AuditPanel } from './AuditPanel';
import type { Fill } from './fillMarkers';
import { OrdersPanel } from './OrdersPanel';
import { PositionsPanel } from './PositionsPanel';
import { PendingApprovals, ProposalCard } from './ProposalCard';
import { approvalsPanel } from './proposals';
import { RulesPanel } from './RulesPanel';
import { SettingsPanel } from './SettingsPanel';
import { useNow, useResource, useTrading } from './TradingContext';
import { useProposals } from './useProposals';

const FILLS_ON_CHART = 200;
const NO_FILLS: readonly Fill[] = [];

/** The signed-in product: chat with inline proposals, approvals, chart with fills, orders, positions, and the rest. */
export function SignedInApp({ marketApi }: { marketApi: ApiClient }) {
  const { client, versions } = useTrading();
  const socket = useSocket();
  const now = useNow();
  const { state, answer } = useProposals(client, socket, versions);
  const fills = useResource(['fills'], 'fills', (c, signal) =>
    call(c.GET('/api/fills', { params: { query: { limit: FILLS_ON_CHART } }, signal })).then((page) => page.data),
  );

  const renderProposals = (intentIds: readonly string[]) => {
    const cards = intentIds
      .map((id) => state.byId[id])
      .filter((p) => p !== undefined && p.intent?.source !== 'rule') // rules' proposals are not replies
      .map((p) => <ProposalCard key={p!.intentId} proposal={p!} now={now} onAnswer={answer} />);
    return cards.length > 0 ? <div className="chat-proposals">{cards}</div> : null;
  };

  return (
    <div className="workspace">
      <div className="workspace__chat">
        <ErrorBoundary title="The chat crashed">
          <ChatPanel signedIn renderProposals={renderProposals} />
        </ErrorBoundary>
        <ErrorBoundary title="The approvals panel crashed">
          <PendingApprovals proposals={approvalsPanel(state, now)} now={now} onAnswer={answer} />
        </ErrorBoundary>
      </div>
      <div className="workspace__market">
        <ErrorBoundary title="The market panel crashed">
          <MarketPanel api={marketApi} fills={fills.data ?? NO_FILLS} />
        </ErrorBoundary>
        <ErrorBoundary title="The orders panel crashed">
          <OrdersPanel />
        </ErrorBoundary>
        <ErrorBoundary title="The positions panel crashed">
          <PositionsPanel />
        </ErrorBoundary>
      </div>
      <div className="workspace__more">
        <ErrorBoundary title="The rules panel crashed">
          <RulesPanel />
        </ErrorBoundary>
        <ErrorBoundary title="The audit log crashed">
          <AuditPanel />
        </ErrorBoundary>
        <ErrorBoundary title="The settings crashed">
          <SettingsPanel />
        </ErrorBoundary>
      </div>
    </div>
  );
}
