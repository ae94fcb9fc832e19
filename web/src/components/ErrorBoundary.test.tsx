import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { ErrorBoundary } from './ErrorBoundary';

describe('ErrorBoundary', () => {
  it('shows what broke instead of a blank page, and renders the panel again on “Try again”', async () => {
    const logged = vi.spyOn(console, 'error').mockImplementation(() => undefined); // React and the boundary report it
    let broken = true;
    function Panel() {
      if (broken) throw new Error('bad data from the server');
      return <p>Orders</p>;
    }
    render(
      <ErrorBoundary title="The orders panel crashed">
        <Panel />
      </ErrorBoundary>,
    );

    const alert = screen.getByRole('alert');
    expect(alert).toHaveTextContent('The orders panel crashed');
    expect(alert).toHaveTextContent('bad data from the server');
    expect(logged).toHaveBeenCalledWith('[ui] render error', expect.any(Error), expect.any(String));

    broken = false;
    await userEvent.setup().click(screen.getByRole('button', { name: 'Try again' }));
    expect(screen.getByText('Orders')).toBeInTheDocument();
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();
  });
});
