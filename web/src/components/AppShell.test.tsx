import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { AppShell } from './AppShell';

describe('AppShell', () => {
  it('frames the page with a banner and a main region a keyboard user can skip to', async () => {
    render(
      <AppShell status={<span>status</span>} controls={<button type="button">Sign out</button>}>
        <p>content</p>
      </AppShell>,
    );

    expect(screen.getByRole('banner')).toHaveTextContent('CryptoPulse');
    expect(screen.getByRole('heading', { level: 1, name: 'CryptoPulse' })).toBeInTheDocument();
    expect(screen.getByRole('main')).toHaveTextContent('content');

    const user = userEvent.setup();
    await user.tab();
    const skip = screen.getByRole('link', { name: 'Skip to content' });
    expect(skip).toHaveFocus();
    expect(skip).toHaveAttribute('href', '#main');
    await user.tab();
    expect(screen.getByRole('button', { name: 'Sign out' })).toHaveFocus();
  });
});
