/** Renders a component the way the app mounts it: inside the socket and (signed-in) trading providers. */
import { render, type RenderResult } from '@testing-library/react';
import userEvent, { type UserEvent } from '@testing-library/user-event';
import type { ReactElement } from 'react';
import { SocketProvider } from '../app/socket';
import { TradingProvider } from '../features/trading/TradingContext';
import { createTypedClient } from '../lib/client';
import { FakeApi } from './fakeApi';
import { createFakeGateway, type FakeGateway } from './fakeSocket';

export interface Rendered extends RenderResult {
  api: FakeApi;
  gateway: FakeGateway;
  user: UserEvent;
}

export function renderWithSocket(ui: ReactElement, api: FakeApi = new FakeApi()): Rendered {
  const { socket, gateway } = createFakeGateway();
  const user = userEvent.setup();
  const result = render(<SocketProvider socket={socket}>{ui}</SocketProvider>);
  return { ...result, api, gateway, user };
}

export function renderSignedIn(ui: ReactElement, api: FakeApi = new FakeApi()): Rendered {
  const client = createTypedClient({ baseUrl: 'http://cryptopulse.test', fetch: api.fetch });
  return renderWithSocket(<TradingProvider client={client}>{ui}</TradingProvider>, api);
}
