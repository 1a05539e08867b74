// The funnels whose recording rules Prometheus loads: the example shop's
// sign-up journey (examples/shop-kit). Regenerate the rules after a change:
//   node packages/cli/dist/cli.js rules --config observability/prometheus/funnels.config.mjs \
//     --out observability/prometheus/rules/funnels.yml
export const funnels = {
  signup: ['landing.viewed', 'user.signed_up', 'checkout.completed'],
};
