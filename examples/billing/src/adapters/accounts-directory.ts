import type { UserDirectory } from '../domain/checkout.js';

/** Users as the accounts service knows them, over `fetch` (traced and correlated by Periscope). */
export class AccountsDirectory implements UserDirectory {
  constructor(private readonly baseUrl: string) {}

  async exists(userId: string): Promise<boolean> {
    const response = await fetch(`${this.baseUrl}/users/${encodeURIComponent(userId)}`, { signal: AbortSignal.timeout(5000) });
    await response.body?.cancel();
    if (response.status === 404) return false;
    if (!response.ok) throw new Error(`accounts answered ${response.status}`);
    return true;
  }
}
