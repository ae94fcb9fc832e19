import type { DecisionOutcome } from '../../lib/protocol';
import { describeSize, formatAmount, orderTypeLabel, quoteOf, sideLabel } from './format';
import { expiresAtOf, statusOf, type Proposal } from './proposals';

const STATUS_TEXT: Record<DecisionOutcome, string> = {
  pending: 'Waiting for your approval',
  approved: 'Approved',
  rejected: 'Rejected',
  denied: 'Denied by a risk check',
  expired: 'Expired',
  killed: 'Stopped by the kill switch',
};

function countdown(expiresAt: number | null, now: number): string | null {
  if (expiresAt === null) return null;
  const s = Math.max(0, Math.ceil((expiresAt - now) / 1000));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

/**
 * One proposed order with its exact parameters (as the server holds them, so the digest approved
 * is the one shown) and the answer buttons while it is pending.
 */
export function ProposalCard({
  proposal,
  now,
  onAnswer,
}: {
  proposal: Proposal;
  now: number;
  onAnswer: (intentId: string, kind: 'approve' | 'reject') => void;
}) {
  const { intent, decision, answer } = proposal;
  const status = statusOf(proposal, now);
  const sending = answer?.state === 'sending';
  const sent = answer?.state === 'sent' && status === 'pending';
  const reason = intent?.reason || decision?.reason || null;
  const left = status === 'pending' ? countdown(expiresAtOf(proposal), now) : null;
  // With several cards pending, each Approve/Reject names the proposal it answers.
  const headId = `proposal-${proposal.intentId}-head`;

  return (
    <article
      className="proposal-card"
      data-testid="proposal-card"
      data-intent-id={proposal.intentId}
      data-status={status}
      aria-label={intent ? `Proposal: ${sideLabel(intent.side)} ${describeSize(intent)} ${intent.symbol}` : 'Proposal'}
    >
      {intent ? (
        <>
          <header className="proposal-card__head" id={headId}>
            <span className={`proposal-card__side proposal-card__side--${intent.side.toLowerCase()}`}>{sideLabel(intent.side)}</span>
            <span className="proposal-card__size">{describeSize(intent)}</span>
            <span className="proposal-card__symbol">{intent.symbol}</span>
            <span className="venue-tag" data-testid="venue-tag" data-venue={intent.venue}>
              {intent.venue}
            </span>
          </header>
          <dl className="proposal-card__terms">
            <div>
              <dt>Type</dt>
              <dd>{orderTypeLabel(intent.order_type)}</dd>
            </div>
            <div>
              <dt>Limit price</dt>
              <dd>{intent.limit_price === null ? 'none (market)' : formatAmount(intent.limit_price, quoteOf(intent.symbol))}</dd>
            </div>
            {intent.reference_price !== null && (
              <div>
                <dt>Price when proposed</dt>
                <dd>{formatAmount(intent.reference_price, quoteOf(intent.symbol))}</dd>
              </div>
            )}
          </dl>
        </>
      ) : (
        <p className="proposal-card__loading">{proposal.loadError ?? 'Loading the proposal…'}</p>
      )}
      <p className="proposal-card__status">
        {STATUS_TEXT[status]}
        {left !== null && <span className="proposal-card__timer"> · {left} left</span>}
        {status !== 'pending' && status !== 'approved' && reason && <span> — {reason}</span>}
        {sent && <span> · answer sent, waiting for the risk check…</span>}
      </p>
      {answer?.state === 'refused' && (
        <p className="form-error" role="alert">
          {answer.message}
        </p>
      )}
      {status === 'pending' && intent && (
        <div className="proposal-card__actions">
          <button
            type="button"
            className="button button--primary"
            aria-describedby={headId}
            disabled={sending || sent}
            onClick={() => onAnswer(proposal.intentId, 'approve')}
          >
            Approve
          </button>
          <button
            type="button"
            className="button"
            aria-describedby={headId}
            disabled={sending || sent}
            onClick={() => onAnswer(proposal.intentId, 'reject')}
          >
            Reject
          </button>
        </div>
      )}
    </article>
  );
}

/** The proposals waiting for the user, in a live region so a new one is announced. */
export function PendingApprovals({
  proposals,
  now,
  onAnswer,
}: {
  proposals: readonly Proposal[];
  now: number;
  onAnswer: (intentId: string, kind: 'approve' | 'reject') => void;
}) {
  const pending = proposals.filter((p) => statusOf(p, now) === 'pending').length;
  return (
    <section className="panel approvals" aria-labelledby="approvals-title">
      <h2 className="panel__title" id="approvals-title">
        Pending approvals <span className="panel__subtitle">({pending})</span>
      </h2>
      <div aria-live="polite" aria-relevant="additions">
        {proposals.length === 0 ? (
          <p className="panel__empty">Nothing waiting for you.</p>
        ) : (
          <ul className="approvals__list">
            {proposals.map((p) => (
              <li key={p.intentId}>
                <ProposalCard proposal={p} now={now} onAnswer={onAnswer} />
              </li>
            ))}
          </ul>
        )}
      </div>
    </section>
  );
}
