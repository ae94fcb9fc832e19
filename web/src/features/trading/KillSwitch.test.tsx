import { act, screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { isModal } from '../../test/dialog';
import { apiError, FakeApi, json } from '../../test/fakeApi';
import { renderSignedIn } from '../../test/render';
import { KillSwitch } from './KillSwitch';

type Scope = 'user' | 'global';

function switchWire(scope: Scope, engaged: boolean, reason = '') {
  return { scope, engaged, reason, actor: 'u1', engaged_at: engaged ? '2026-11-28T12:00:00Z' : null };
}

/** The server's two switches; POST flips the user's, GET reads both. */
function killServer(initial: { user?: boolean; global?: boolean; reason?: string } = {}) {
  const state = { user: initial.user ?? false, global: initial.global ?? false, reason: initial.reason ?? '' };
  const api = new FakeApi()
    .on('GET', '/api/kill-switch', () =>
      json({
        user: switchWire('user', state.user, state.user ? state.reason : ''),
        global: state.global ? switchWire('global', true, state.reason) : null,
        stopped: state.user || state.global,
      }),
    )
    .on('POST', '/api/kill-switch', (request) => {
      const body = request.body as { engaged: boolean; reason: string };
      state.user = body.engaged;
      state.reason = body.reason;
      return json({ switch: switchWire('user', body.engaged, body.reason), notified: true });
    });
  return { api, state };
}

function setup(api: FakeApi) {
  const rendered = renderSignedIn(<KillSwitch />, api);
  act(() => rendered.gateway.open());
  return rendered;
}

describe('KillSwitch', () => {
  it('asks first: the confirmation is a modal dialog that takes focus, and nothing is sent until confirmed', async () => {
    const { api } = killServer();
    const { user } = setup(api);

    await user.click(await screen.findByRole('button', { name: 'Stop all trading' }));

    const dialog = screen.getByRole('dialog', { name: 'Stop all trading?' });
    expect(isModal(dialog as HTMLDialogElement)).toBe(true);
    expect(dialog).toHaveAttribute('aria-modal', 'true');
    expect(dialog).toContainElement(document.activeElement as HTMLElement);
    expect(dialog).toHaveTextContent('No order is placed — from chat, approvals or rules — until you resume.');
    expect(api.sent('POST', '/api/kill-switch')).toHaveLength(0);
  });

  it('Escape cancels: nothing is sent and focus returns to the button that opened the dialog', async () => {
    const { api } = killServer();
    const { user } = setup(api);
    const button = await screen.findByRole('button', { name: 'Stop all trading' });

    await user.click(button);
    await user.keyboard('{Escape}');

    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
    expect(button).toHaveFocus();
    expect(api.sent('POST', '/api/kill-switch')).toHaveLength(0);
  });

  it('Cancel closes the dialog the same way', async () => {
    const { api } = killServer();
    const { user } = setup(api);
    const button = await screen.findByRole('button', { name: 'Stop all trading' });

    await user.click(button);
    await user.click(within(screen.getByRole('dialog')).getByRole('button', { name: 'Cancel' }));

    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
    expect(button).toHaveFocus();
    expect(api.sent('POST', '/api/kill-switch')).toHaveLength(0);
  });

  it('stops trading once confirmed, then shows that trading is stopped and offers to resume', async () => {
    const { api } = killServer();
    const { user } = setup(api);

    await user.click(await screen.findByRole('button', { name: 'Stop all trading' }));
    await user.click(screen.getByRole('button', { name: 'Stop everything' }));

    expect(api.sent('POST', '/api/kill-switch').map((r) => r.body)).toEqual([
      { engaged: true, reason: 'stopped from the web app', scope: 'user' },
    ]);
    expect(await screen.findByRole('status')).toHaveTextContent('Trading stopped: stopped from the web app');
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Resume trading' })).toHaveFocus();
  });

  it('resumes after its own confirmation', async () => {
    const { api } = killServer({ user: true, reason: 'panic' });
    const { user } = setup(api);
    expect(await screen.findByRole('status')).toHaveTextContent('Trading stopped: panic');

    await user.click(screen.getByRole('button', { name: 'Resume trading' }));
    const dialog = screen.getByRole('dialog', { name: 'Resume trading?' });
    await user.click(within(dialog).getByRole('button', { name: 'Resume trading' }));

    expect(api.sent('POST', '/api/kill-switch').map((r) => r.body)).toEqual([
      { engaged: false, reason: 'resumed from the web app', scope: 'user' },
    ]);
    expect(await screen.findByRole('button', { name: 'Stop all trading' })).toBeInTheDocument();
    expect(screen.queryByRole('status')).not.toBeInTheDocument();
  });

  it('keeps the dialog open with the server’s reason when the change is refused', async () => {
    const api = killServer().api.on('POST', '/api/kill-switch', apiError(503, 'unavailable', 'the risk gate is not reachable'));
    const { user } = setup(api);

    await user.click(await screen.findByRole('button', { name: 'Stop all trading' }));
    await user.click(screen.getByRole('button', { name: 'Stop everything' }));

    const dialog = screen.getByRole('dialog', { name: 'Stop all trading?' });
    expect(await within(dialog).findByRole('alert')).toHaveTextContent('the risk gate is not reachable');
    expect(within(dialog).getByRole('button', { name: 'Stop everything' })).toBeEnabled();
  });

  it('follows kill news from the socket; a global stop cannot be lifted from here', async () => {
    const { api, state } = killServer();
    const { gateway } = setup(api);
    await screen.findByRole('button', { name: 'Stop all trading' });

    // An administrator stops everything; the gateway relays the event.
    state.global = true;
    state.reason = 'exchange outage';
    act(() => gateway.push({ type: 'sys.kill_engaged', scope: 'global', reason: 'exchange outage' }));

    expect(await screen.findByRole('status')).toHaveTextContent('Trading stopped: exchange outage');
    const button = screen.getByRole('button', { name: 'Resume trading' });
    expect(button).toBeDisabled();
    expect(button).toHaveAttribute('title', 'An administrator stopped all trading');

    state.global = false;
    act(() => gateway.push({ type: 'sys.kill_released', scope: 'global', reason: null }));
    expect(await screen.findByRole('button', { name: 'Stop all trading' })).toBeEnabled();
    expect(screen.queryByRole('status')).not.toBeInTheDocument();
  });
});
