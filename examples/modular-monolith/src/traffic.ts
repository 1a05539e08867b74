/**
 * One round of traffic through the monolith's HTTP API, the same every time,
 * so tests (and the stack's end-to-end test) know the call graph it makes.
 * Per round, module calls (from > to.operation outcome = count):
 *
 *   http > catalog.product   ok 2, error 1   (one unknown SKU: 404)
 *   http > orders.place      ok 3, error 2   (a declined piano: 402; an unknown SKU: 404)
 *   http > orders.list       ok 1
 *   orders > catalog.price   ok 4, error 1
 *   orders > billing.charge  ok 3, error 1
 *   billing > catalog.taxRate ok 4
 *
 * The three good orders are sent at once, so their async work interleaves.
 */
export async function driveRound(baseUrl: string): Promise<number[]> {
  const get = (path: string) => fetch(`${baseUrl}${path}`).then(drain);
  const order = (sku: string) =>
    fetch(`${baseUrl}/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ sku, quantity: 1, country: 'FR' }),
    }).then(drain);
  const statuses: number[] = [];
  statuses.push(...(await Promise.all([get('/catalog/products/sku-book'), get('/catalog/products/sku-lamp')])));
  statuses.push(await get('/catalog/products/sku-none'));
  statuses.push(...(await Promise.all([order('sku-book'), order('sku-lamp'), order('sku-book')])));
  statuses.push(await order('sku-piano'));
  statuses.push(await order('sku-none'));
  statuses.push(await get('/orders'));
  return statuses;
}

/** The statuses one round answers, in order. */
export const ROUND_STATUSES = [200, 200, 404, 201, 201, 201, 402, 404, 200];

async function drain(response: Response): Promise<number> {
  await response.arrayBuffer();
  return response.status;
}
