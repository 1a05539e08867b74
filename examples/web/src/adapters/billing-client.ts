import { request } from 'node:http';
import type { Plan } from '@periscope/example-shop-kit';
import { type BillingPort, UpstreamError } from '../domain/ports.js';

/**
 * The billing service over `node:http`, the way older code bases call their
 * neighbours. Periscope wraps `http.request`, so this call carries the trace
 * and correlation headers too.
 */
export class BillingHttpClient implements BillingPort {
  constructor(private readonly baseUrl: string) {}

  checkout(order: { userId: string; plan: Plan }): Promise<{ orderId: string; amountUsd: number }> {
    const body = JSON.stringify(order);
    return new Promise((resolve, reject) => {
      const req = request(
        `${this.baseUrl}/checkouts`,
        { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }, timeout: 5000 },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => {
            const status = res.statusCode ?? 0;
            if (status < 200 || status >= 300) return reject(new UpstreamError('billing', status));
            try {
              resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
            } catch {
              reject(new UpstreamError('billing', status));
            }
          });
          res.on('error', () => reject(new UpstreamError('billing', 0)));
        },
      );
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', () => reject(new UpstreamError('billing', 0)));
      req.end(body);
    });
  }
}
