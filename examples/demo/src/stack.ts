import { connect } from 'node:net';

/** The compose stack's published ports (docker-compose.observability.yml). */
export const STACK_PORTS = { prometheus: 9090, tempo: 4318, grafana: 3000 } as const;

/** True when something accepts a TCP connection on 127.0.0.1:`port` within `timeoutMs`. */
export function isListening(port: number, timeoutMs = 300): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    const done = (up: boolean): void => {
      socket.destroy();
      resolve(up);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** The stack is "up" when Prometheus, Tempo's OTLP/HTTP receiver and Grafana all answer. */
export async function detectStack(): Promise<boolean> {
  const up = await Promise.all(Object.values(STACK_PORTS).map((port) => isListening(port)));
  return up.every(Boolean);
}

/** A port the demo is about to give a service is free (0 always is). */
export async function portIsFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  if (port === 0) return true;
  const { createServer } = await import('node:net');
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}
