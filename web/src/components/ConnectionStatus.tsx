import type { ConnectionStatus as Status } from '../lib/ws';

const LABELS: Record<Status, string> = {
  connecting: 'Connecting…',
  connected: 'Connected',
  reconnecting: 'Reconnecting…',
  offline: 'Offline',
};

const DESCRIPTIONS: Record<Status, string> = {
  connecting: 'Connecting to the live market feed',
  connected: 'Connected to the live market feed',
  reconnecting: 'Connection lost, reconnecting',
  offline: 'Server unreachable, retrying in the background',
};

export function ConnectionStatus({ status }: { status: Status }) {
  return (
    <div
      className="connection-status"
      data-testid="connection-status"
      data-status={status}
      role="status"
      aria-label={`Connection: ${LABELS[status]}`}
      title={DESCRIPTIONS[status]}
    >
      <span className="connection-status__dot" aria-hidden="true" />
      <span className="connection-status__label">{LABELS[status]}</span>
    </div>
  );
}
