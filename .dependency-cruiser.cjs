/**
 * The hexagon's rule, checked in CI: the core knows no adapter library by
 * name. It may use @opentelemetry/api (the vendor-neutral API) and the
 * semantic-conventions constants; everything else lives in adapters/.
 */
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'core-imports-no-adapter-library',
      comment: 'packages/sdk/src/core must not import pino, prom-client, the OpenTelemetry SDK/exporters, or any web framework.',
      severity: 'error',
      from: { path: '^packages/sdk/src/core/' },
      to: {
        path: 'node_modules/(pino|pino-http|sonic-boom|prom-client|@opentelemetry/(sdk-|exporter-|otlp-|context-|resources|core/)|express|fastify|@nestjs|undici)',
      },
    },
    {
      name: 'core-imports-no-adapter-code',
      comment: 'The core depends on ports, never on the adapters that implement them.',
      severity: 'error',
      from: { path: '^packages/sdk/src/core/' },
      to: { path: '^packages/sdk/src/(adapters|config)/|^packages/sdk/src/create-telemetry' },
    },
    {
      name: 'plugins-use-the-sdk-public-entry',
      comment: 'Plugins reach the core through @periscope/sdk, never its files.',
      severity: 'error',
      from: { path: '^packages/(express-plugin|fastify-plugin|nest-module)/src/' },
      to: { path: '^packages/sdk/src/' },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: { path: '^packages/[^/]+/src/' },
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(dist|test)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.base.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
};
