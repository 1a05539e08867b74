import { setTimeout as sleep } from 'node:timers/promises';

const TAGS = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel'];

/** The "realistic" body: about 2 kB once serialised, built fresh per request as an app would. */
export function userProfile(id) {
  const orders = [];
  for (let i = 0; i < 20; i++) {
    orders.push({
      orderId: `ord-${id}-${i}`,
      total: 19.99 + i,
      currency: 'EUR',
      status: i % 3 === 0 ? 'shipped' : 'pending',
      items: i + 1,
    });
  }
  return {
    id,
    name: `User ${id}`,
    email: `user${id}@example.com`,
    createdAt: '2024-01-01T00:00:00.000Z',
    tags: TAGS,
    address: { street: '1 Bench Street', city: 'Loopback', postcode: '12700', country: 'NL' },
    orders,
  };
}

/** The realistic handler's work: wait on a 2 ms timer (a database call's stand-in), then build the body. */
export async function realistic(id) {
  await sleep(2);
  return userProfile(id);
}
