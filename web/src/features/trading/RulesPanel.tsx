import { useState } from 'react';
import { Dialog } from '../../components/Dialog';
import { ApiError } from '../../lib/api';
import { call, type Schemas } from '../../lib/client';
import { formatTime } from './format';
import { describeRule, ruleActions } from './rules';
import { useResource, useTrading } from './TradingContext';

type Rule = Schemas['RulePublic'];

/** Standing rules, with pause, resume and delete (delete asks first). */
export function RulesPanel() {
  const { client } = useTrading();
  const loaded = useResource(['orders', 'intents'], 'rules', (c, signal) =>
    call(c.GET('/api/rules', { params: { query: { limit: 100 } }, signal })).then((page) => page.data),
  );
  const [deleting, setDeleting] = useState<Rule | null>(null);
  const [error, setError] = useState<string | null>(null);
  const rules = (loaded.data ?? []).filter((r) => r.status !== 'deleted');

  const act = async (rule: Rule, action: 'pause' | 'resume' | 'delete') => {
    setError(null);
    const params = { params: { path: { rule_id: rule.id } } };
    try {
      if (action === 'pause') await call(client.POST('/api/rules/{rule_id}/pause', params));
      else if (action === 'resume') await call(client.POST('/api/rules/{rule_id}/resume', params));
      else await call(client.DELETE('/api/rules/{rule_id}', params));
      setDeleting(null);
    } catch (e) {
      setError(e instanceof ApiError ? e.message : 'Something went wrong; try again.');
    }
    loaded.reload();
  };

  return (
    <section className="panel rules" aria-labelledby="rules-title">
      <h2 className="panel__title" id="rules-title">
        Rules
      </h2>
      {(error ?? loaded.error) && !deleting && (
        <p className="form-error" role="alert">
          {error ?? loaded.error?.message}
        </p>
      )}
      {rules.length === 0 && !loaded.loading ? (
        <p className="panel__empty">No rules. Ask the copilot, e.g. “buy 0.01 BTC if it drops below 20,000”.</p>
      ) : (
        <ul className="rules__list">
          {rules.map((rule) => (
            <li key={rule.id} className="rules__item" data-rule-id={rule.id} data-status={rule.status}>
              <div>
                <p className="rules__what">{describeRule(rule.definition, rule.symbol)}</p>
                <p className="rules__meta">
                  <span className="venue-tag">{rule.venue}</span> {rule.status} · fired {rule.fires}×
                  {rule.last_fired_at && ` · last ${formatTime(rule.last_fired_at)}`}
                  {rule.fire_once && ' · once'}
                </p>
              </div>
              <div className="rules__actions">
                {ruleActions(rule.status).map((action) => (
                  <button
                    key={action}
                    type="button"
                    className="button button--small"
                    aria-label={`${action[0]?.toUpperCase()}${action.slice(1)} rule: ${describeRule(rule.definition, rule.symbol)}`}
                    onClick={() => (action === 'delete' ? setDeleting(rule) : void act(rule, action))}
                  >
                    {action === 'pause' ? 'Pause' : action === 'resume' ? 'Resume' : 'Delete'}
                  </button>
                ))}
              </div>
            </li>
          ))}
        </ul>
      )}
      {deleting && (
        <Dialog
          title="Delete this rule?"
          onClose={() => setDeleting(null)}
          actions={
            <>
              <button type="button" className="button" onClick={() => setDeleting(null)}>
                Cancel
              </button>
              <button type="button" className="button button--danger" onClick={() => void act(deleting, 'delete')}>
                Delete rule
              </button>
            </>
          }
        >
          <p>{describeRule(deleting.definition, deleting.symbol)}</p>
          {error && (
            <p className="form-error" role="alert">
              {error}
            </p>
          )}
        </Dialog>
      )}
    </section>
  );
}
