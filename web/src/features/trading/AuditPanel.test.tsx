import { act, screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { Schemas } from '../../lib/client';
import { apiError, FakeApi, json } from '../../test/fakeApi';
import { renderSignedIn } from '../../test/render';
import { AuditPanel } from './AuditPanel';

type Entry = Schemas['AuditEntryPublic'];

function entry(id: number, action: string, details: Entry['details'] = {}): Entry {
  return { id, actor: 'user:u1', action, details, created_at: '2026-11-28T12:00:00Z' };
}

/** 26 entries, newest first, served 25 to a page as the gateway pages them. */
function auditServer(total = 26) {
  const all = Array.from({ length: total }, (_, i) => entry(total - i, `action-${total - i}`));
  return new FakeApi().on('GET', '/api/audit', (request) => {
    const limit = Number(request.query.get('limit'));
    const offset = Number(request.query.get('offset'));
    const data = all.slice(offset, offset + limit);
    const next = offset + limit < all.length ? offset + limit : null;
    return json({ data, limit, offset, next_offset: next });
  });
}

function setup(api: FakeApi) {
  const rendered = renderSignedIn(<AuditPanel />, api);
  act(() => rendered.gateway.open());
  return rendered;
}

describe('AuditPanel', () => {
  it('shows who did what, a page at a time, with Older and Newer', async () => {
    const { user } = setup(auditServer());
    const pages = screen.getByRole('navigation', { name: 'Audit log pages' });

    expect(await screen.findByText('action-26')).toBeInTheDocument();
    expect(screen.getByRole('table', { name: 'Audit log, page 1' })).toBeInTheDocument();
    expect(within(pages).getByText('1–25')).toBeInTheDocument();
    expect(within(pages).getByRole('button', { name: 'Newer' })).toBeDisabled();

    await user.click(within(pages).getByRole('button', { name: 'Older' }));
    expect(await screen.findByText('action-1')).toBeInTheDocument();
    expect(screen.getByRole('table', { name: 'Audit log, page 2' })).toBeInTheDocument();
    expect(within(pages).getByText('26–26')).toBeInTheDocument();
    expect(within(pages).getByRole('button', { name: 'Older' })).toBeDisabled();

    await user.click(within(pages).getByRole('button', { name: 'Newer' }));
    expect(await screen.findByText('action-26')).toBeInTheDocument();
  });

  it('shows the details as text, whatever they contain', async () => {
    const hostile = '<img src=x onerror="window.pwned = 1">';
    setup(new FakeApi().on('GET', '/api/audit', json({ data: [entry(1, 'chat', { text: hostile })], limit: 25, offset: 0, next_offset: null })));

    const details = await screen.findByText(JSON.stringify({ text: hostile }));
    expect(details.tagName).toBe('CODE');
    expect(screen.getByRole('table').querySelector('img')).toBeNull();
  });

  it('says when nothing was recorded yet', async () => {
    setup(auditServer(0));
    expect(await screen.findByText('Nothing recorded yet.')).toBeInTheDocument();
  });

  it('says why the log could not be loaded', async () => {
    setup(new FakeApi().on('GET', '/api/audit', apiError(403, 'forbidden', 'not allowed')));
    expect(await screen.findByRole('alert')).toHaveTextContent('The audit log could not be loaded: not allowed');
  });
});
