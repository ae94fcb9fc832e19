import { useState } from 'react';
import { call } from '../../lib/client';
import { formatTime } from './format';
import { useResource } from './TradingContext';

const PAGE = 25;

/** Who did what, newest first, a page at a time. */
export function AuditPanel() {
  const [offset, setOffset] = useState(0);
  const loaded = useResource(['intents', 'orders', 'kill', 'mode'], `audit|${offset}`, (c, signal) =>
    call(c.GET('/api/audit', { params: { query: { limit: PAGE, offset } }, signal })),
  );
  const page = loaded.data;
  const entries = page?.data ?? [];

  return (
    <section className="panel audit" aria-labelledby="audit-title">
      <h2 className="panel__title" id="audit-title">
        Audit log
      </h2>
      {loaded.error && (
        <p className="form-error" role="alert">
          The audit log could not be loaded: {loaded.error.message}
        </p>
      )}
      <div className="table-scroll">
        <table className="table" aria-busy={loaded.loading}>
          <caption className="visually-hidden">Audit log, page {Math.floor(offset / PAGE) + 1}</caption>
          <thead>
            <tr>
              <th scope="col">Time</th>
              <th scope="col">Who</th>
              <th scope="col">What</th>
              <th scope="col">Details</th>
            </tr>
          </thead>
          <tbody>
            {entries.map((entry) => (
              <tr key={entry.id}>
                <td>{formatTime(entry.created_at)}</td>
                <td>{entry.actor}</td>
                <td>{entry.action}</td>
                <td className="audit__details">
                  <code>{JSON.stringify(entry.details)}</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {entries.length === 0 && !loaded.loading && <p className="panel__empty">Nothing recorded yet.</p>}
      <nav className="pager" aria-label="Audit log pages">
        <button type="button" className="button" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - PAGE))}>
          Newer
        </button>
        <span className="pager__at">
          {entries.length > 0 ? `${offset + 1}–${offset + entries.length}` : ''}
        </span>
        <button
          type="button"
          className="button"
          disabled={page?.next_offset == null}
          onClick={() => page?.next_offset != null && setOffset(page.next_offset)}
        >
          Older
        </button>
      </nav>
    </section>
  );
}
