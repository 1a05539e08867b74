import { type AccountsPort, type NewAccount, UpstreamError } from '../domain/ports.js';

/**
 * The accounts service over `fetch`. Periscope's undici subscriber adds
 * `traceparent` and `x-correlation-id` and a client span; nothing here knows.
 */
export class AccountsHttpClient implements AccountsPort {
  constructor(private readonly baseUrl: string) {}

  async create(account: NewAccount): Promise<{ id: string }> {
    let response: Response;
    try {
      response = await fetch(`${this.baseUrl}/users`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(account),
        signal: AbortSignal.timeout(5000),
      });
    } catch {
      throw new UpstreamError('accounts', 0);
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw new UpstreamError('accounts', response.status);
    }
    return (await response.json()) as { id: string };
  }
}
