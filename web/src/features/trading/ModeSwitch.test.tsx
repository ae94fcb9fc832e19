import { act, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { isModal } from '../../test/dialog';
import { apiError, FakeApi, json } from '../../test/fakeApi';
import { renderSignedIn } from '../../test/render';
import { ModeSwitch } from './ModeSwitch';

/** The server's mode: PUT asks for a change (202), GET shows it once the risk gate applied it. */
function modeServer(initial: 'manual' | 'autonomous' = 'manual', reduceOnly = false) {
  const state = { mode: initial };
  const api = new FakeApi()
    .on('GET', '/api/mode', () =>
      json({ mode: state.mode, reduce_only: reduceOnly, reduce_only_since: null, updated_at: null }),
    )
    .on('PUT', '/api/mode', (request) => {
      const body = request.body as { mode: 'manual' | 'autonomous'; confirm: boolean };
      state.mode = body.mode;
      return json({ mode: body.mode, confirm: body.confirm, message_id: 'm1' }, 202);
    });
  return api;
}

/** The switch, once the server's mode has loaded. */
async function loadedSwitch(): Promise<HTMLElement> {
  const toggle = screen.getByRole('switch', { name: 'Autonomous mode' });
  await waitFor(() => expect(toggle).toBeEnabled());
  return toggle;
}

function setup(api: FakeApi) {
  const rendered = renderSignedIn(<ModeSwitch />, api);
  act(() => rendered.gateway.open());
  return rendered;
}

describe('ModeSwitch', () => {
  it('shows the server’s mode as a switch, unusable until the mode is known', async () => {
    setup(modeServer('manual'));
    expect(screen.getByRole('switch', { name: 'Autonomous mode' })).toBeDisabled();
    expect(await loadedSwitch()).not.toBeChecked();
  });

  it('turning autonomous on needs an explicit confirmation in a modal dialog', async () => {
    const api = modeServer('manual');
    const { user } = setup(api);
    const toggle = await loadedSwitch();

    await user.click(toggle);
    const dialog = screen.getByRole('dialog', { name: 'Turn on autonomous mode?' });
    expect(isModal(dialog as HTMLDialogElement)).toBe(true);
    expect(dialog).toContainElement(document.activeElement as HTMLElement);
    expect(api.sent('PUT', '/api/mode')).toHaveLength(0);

    await user.click(within(dialog).getByRole('button', { name: 'Turn on autonomous mode' }));
    expect(api.sent('PUT', '/api/mode').map((r) => r.body)).toEqual([{ mode: 'autonomous', confirm: true }]);
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
    expect(await screen.findByRole('switch', { name: 'Autonomous mode', checked: true })).toHaveFocus();
  });

  it('Escape cancels the confirmation: still manual, nothing sent, focus back on the switch', async () => {
    const api = modeServer('manual');
    const { user } = setup(api);
    const toggle = await loadedSwitch();

    await user.click(toggle);
    await user.keyboard('{Escape}');

    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
    expect(toggle).not.toBeChecked();
    expect(toggle).toHaveFocus();
    expect(api.sent('PUT', '/api/mode')).toHaveLength(0);
  });

  it('turning autonomous off is immediate: back to approving every order needs no confirmation', async () => {
    const api = modeServer('autonomous');
    const { user } = setup(api);
    const toggle = await screen.findByRole('switch', { name: 'Autonomous mode', checked: true });

    await user.click(toggle);

    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
    expect(api.sent('PUT', '/api/mode').map((r) => r.body)).toEqual([{ mode: 'manual', confirm: false }]);
    expect(await screen.findByRole('switch', { name: 'Autonomous mode', checked: false })).toBeInTheDocument();
  });

  it('shows the server’s refusal inside the dialog and keeps it open', async () => {
    const api = modeServer('manual').on('PUT', '/api/mode', apiError(409, 'reduce_only', 'the daily loss limit was hit; reduce-only until tomorrow'));
    const { user } = setup(api);
    const toggle = await loadedSwitch();

    await user.click(toggle);
    await user.click(screen.getByRole('button', { name: 'Turn on autonomous mode' }));

    const dialog = screen.getByRole('dialog', { name: 'Turn on autonomous mode?' });
    expect(await within(dialog).findByRole('alert')).toHaveTextContent('the daily loss limit was hit; reduce-only until tomorrow');
    expect(toggle).not.toBeChecked();
  });

  it('says when the risk gate has put the account in reduce-only', async () => {
    setup(modeServer('manual', true));
    expect(await screen.findByText('reduce-only')).toBeInTheDocument();
  });
});
