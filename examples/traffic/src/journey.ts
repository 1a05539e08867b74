/**
 * One simulated visitor: lands (a third of them on the pricing page), 60%
 * sign up, 55% of those check out, with think time between steps. Each
 * journey carries its own `x-correlation-id`, so its requests can be found
 * together in the logs of all three services.
 */
export interface JourneyOutcome {
  reached: 'landing' | 'signup' | 'checkout' | 'failed';
  failedAt?: string;
}

export const DROP_OFF = { signUp: 0.6, checkOut: 0.55, invalidEmail: 0.02 } as const;

export async function walkJourney(webUrl: string, id: number, signal: AbortSignal): Promise<JourneyOutcome> {
  const headers = { 'x-correlation-id': `journey-${process.pid}-${id}`, 'content-type': 'application/json' };
  const call = async (path: string, body?: object): Promise<Response> =>
    fetch(`${webUrl}${path}`, {
      method: body ? 'POST' : 'GET',
      headers,
      body: body ? JSON.stringify(body) : undefined,
      signal: AbortSignal.any([signal, AbortSignal.timeout(10_000)]),
    });

  const landing = await call(Math.random() < 0.33 ? '/?page=pricing' : '/');
  await landing.body?.cancel();
  if (!landing.ok) return { reached: 'failed', failedAt: 'landing' };
  if (Math.random() > DROP_OFF.signUp) return { reached: 'landing' };

  await think(signal);
  const plan = Math.random() < 0.3 ? 'pro' : 'basic';
  const channel = pick(['ads', 'search', 'direct']);
  const email = Math.random() < DROP_OFF.invalidEmail ? 'not-an-email' : `visitor-${process.pid}-${id}@example.com`;
  const signup = await call('/signup', { email, plan, channel });
  if (!signup.ok) {
    await signup.body?.cancel();
    return { reached: 'failed', failedAt: 'signup' };
  }
  const { userId } = (await signup.json()) as { userId: string };
  if (Math.random() > DROP_OFF.checkOut) return { reached: 'signup' };

  await think(signal);
  const checkout = await call('/checkout', { userId, plan });
  await checkout.body?.cancel();
  return checkout.ok ? { reached: 'checkout' } : { reached: 'failed', failedAt: 'checkout' };
}

function think(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, 50 + Math.random() * 250);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}

function pick<T>(items: readonly T[]): T {
  return items[Math.floor(Math.random() * items.length)] as T;
}
