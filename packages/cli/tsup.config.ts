import { defineConfig } from 'tsup';

export default defineConfig([
  { entry: ['src/index.ts'], format: ['esm', 'cjs'], dts: true, sourcemap: true, clean: false, target: 'node20', platform: 'node' },
  { entry: ['src/cli.ts'], format: ['esm'], sourcemap: true, target: 'node20', platform: 'node', banner: { js: '#!/usr/bin/env node' } },
]);
