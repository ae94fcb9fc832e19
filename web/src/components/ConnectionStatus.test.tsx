import { act, screen } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { useConnectionStatus } from '../app/socket';
import { renderWithSocket } from '../test/render';
import { ConnectionStatus } from './ConnectionStatus';

/** The header's status, as the app mounts it: fed by the shared socket. */
function HeaderStatus() {
  return <ConnectionStatus status={useConnectionStatus()} />;
}

const status = () => screen.getByRole('status');

describe('ConnectionStatus', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('follows the live connection: connecting, connected, reconnecting after a drop, connected again', () => {
    const { gateway } = renderWithSocket(<HeaderStatus />);
    expect(status()).toHaveAccessibleName('Connection: Connecting…');

    act(() => gateway.open());
    expect(status()).toHaveAccessibleName('Connection: Connected');
    expect(status()).toHaveAttribute('title', 'Connected to the live market feed');

    act(() => gateway.drop());
    expect(status()).toHaveAccessibleName('Connection: Reconnecting…');
    expect(status()).toHaveAttribute('title', 'Connection lost, reconnecting');

    act(() => vi.advanceTimersByTime(1_000)); // the first retry is due well within a second
    expect(gateway.connections()).toBe(2);
    act(() => gateway.open());
    expect(status()).toHaveAccessibleName('Connection: Connected');
  });

  it('reads offline after failed attempts in a row, and keeps retrying in the background', () => {
    const { gateway } = renderWithSocket(<HeaderStatus />);
    for (let attempt = 0; attempt < 5; attempt += 1) {
      act(() => gateway.drop());
      act(() => vi.advanceTimersToNextTimer()); // the retry, whatever its backoff
    }
    expect(status()).toHaveAccessibleName('Connection: Offline');
    expect(status()).toHaveAttribute('title', 'Server unreachable, retrying in the background');
    expect(gateway.connections()).toBe(6);

    act(() => gateway.open());
    expect(status()).toHaveAccessibleName('Connection: Connected');
  });
});
