import { connect } from 'node:net';

/** A response read off the wire, before any HTTP client could reject or normalise it. */
export interface RawResponse {
  status: number;
  /** Header names lower-cased; a repeated header keeps its last value. */
  headers: Record<string, string>;
  body: string;
  /** The bytes as received, for greps. */
  raw: string;
}

/**
 * Sends `head` (request line and header lines, without the final blank line)
 * and `body` over a fresh TCP connection, byte for byte: no client library
 * stands between the test and the server's parser, so CR, LF, NUL and
 * non-ASCII bytes reach Node as written. `Connection: close` is added, and
 * the response is whatever arrives before the server closes the socket.
 */
export function rawRequest(port: number, head: string, body = ''): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      try {
        resolve(parseResponse(Buffer.concat(chunks).toString('latin1')));
      } catch (error) {
        reject(error);
      }
    });
    socket.end(Buffer.from(`${head}\r\nconnection: close\r\n\r\n${body}`, 'utf8'));
  });
}

function parseResponse(raw: string): RawResponse {
  const end = raw.indexOf('\r\n\r\n');
  if (end === -1) throw new Error(`no complete response head in ${JSON.stringify(raw.slice(0, 200))}`);
  const [statusLine = '', ...lines] = raw.slice(0, end).split('\r\n');
  const status = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine);
  if (!status) throw new Error(`not an HTTP status line: ${JSON.stringify(statusLine)}`);
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { status: Number(status[1]), headers, body: raw.slice(end + 4), raw };
}

/** The port of a `http://127.0.0.1:<port>` URL. */
export const portOf = (url: string): number => Number(new URL(url).port);
