/**
 * The gateway's WebSocket side, at the network boundary: the app's own ReconnectingSocket (with the
 * app's parser) runs over a fake browser WebSocket the test drives frame by frame.
 */
import type { AppSocket } from '../app/socket';
import { parseServerMessage, type ClientMessage, type ServerMessage } from '../lib/protocol';
import { ReconnectingSocket, type SocketLike } from '../lib/ws';

class FakeWebSocket implements SocketLike {
  readyState = 0;
  onopen: ((event: Event) => void) | null = null;
  onclose: ((event: CloseEvent) => void) | null = null;
  onerror: ((event: Event) => void) | null = null;
  onmessage: ((event: MessageEvent) => void) | null = null;
  readonly frames: string[] = [];

  send(data: string): void {
    if (this.readyState !== 1) throw new Error('not open');
    this.frames.push(data);
  }

  close(): void {
    this.readyState = 3;
  }
}

export interface FakeGateway {
  /** The connection opens (the status goes to connected; persistent messages are sent). */
  open(): void;
  /** The connection drops (the client schedules a reconnect). */
  drop(): void;
  /** The server sends one frame (wire format, as the gateway sends it). */
  push(frame: Record<string, unknown>): void;
  /** What the client sent on every connection so far, parsed. */
  received(): ClientMessage[];
  /** How many connections the client opened. */
  connections(): number;
}

export function createFakeGateway(): { socket: AppSocket; gateway: FakeGateway } {
  const sockets: FakeWebSocket[] = [];
  const socket = new ReconnectingSocket<ServerMessage, ClientMessage>({
    url: 'ws://cryptopulse.test/api/ws',
    parse: parseServerMessage,
    createSocket: () => {
      const fake = new FakeWebSocket();
      sockets.push(fake);
      return fake;
    },
    random: () => 0,
    isOnline: () => true,
    staleAfterMs: 0,
  });
  const current = (): FakeWebSocket => {
    const last = sockets[sockets.length - 1];
    if (!last) throw new Error('the client has not connected yet');
    return last;
  };
  const gateway: FakeGateway = {
    open() {
      const ws = current();
      ws.readyState = 1;
      ws.onopen?.(new Event('open'));
    },
    drop() {
      const ws = current();
      ws.readyState = 3;
      ws.onclose?.(new CloseEvent('close', { code: 1006 }));
    },
    push(frame) {
      current().onmessage?.(new MessageEvent('message', { data: JSON.stringify(frame) }));
    },
    received: () => sockets.flatMap((ws) => ws.frames.map((f) => JSON.parse(f) as ClientMessage)),
    connections: () => sockets.length,
  };
  return { socket, gateway };
}
