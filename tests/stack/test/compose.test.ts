import { readFile } from 'node:fs/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { composeValidator } from './support/compose-schema.js';
import { COMPOSE_FILES, repoPath, run } from './support/repo.js';

interface Service {
  image: string;
  ports?: string[];
  volumes?: string[];
  healthcheck?: { test: string[] };
  environment?: Record<string, string>;
}
interface ComposeFile {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
}

const withPassword = { ...process.env, GRAFANA_ADMIN_PASSWORD: 'test-only' };
const load = async (file: string): Promise<ComposeFile> => parse(await readFile(repoPath(file), 'utf8')) as ComposeFile;

describe.each(COMPOSE_FILES)('%s', (file) => {
  let compose: ComposeFile;
  beforeAll(async () => {
    compose = await load(file);
  });

  it('is valid against the compose-spec JSON schema', async () => {
    const validate = await composeValidator();
    expect(validate(compose), JSON.stringify(validate.errors, null, 2)).toBe(true);
  });

  it('is accepted by docker-compose 1.29 (config -q)', async () => {
    const result = await run('docker-compose', ['-f', repoPath(file), 'config', '-q'], { env: withPassword });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
  });

  it('refuses to start Grafana without GRAFANA_ADMIN_PASSWORD', async () => {
    const env = { ...process.env };
    delete env.GRAFANA_ADMIN_PASSWORD;
    const result = await run('docker-compose', ['-f', repoPath(file), 'config', '-q'], { env });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('GRAFANA_ADMIN_PASSWORD');
  });

  it('pins every image to an exact version tag', () => {
    for (const [name, service] of Object.entries(compose.services)) {
      expect(service.image, name).toMatch(/^[\w./-]+:v?\d+\.\d+\.\d+$/);
    }
  });

  it('publishes ports on 127.0.0.1 only', () => {
    const published = Object.values(compose.services).flatMap((service) => service.ports ?? []);
    expect(published.length).toBeGreaterThan(0);
    for (const port of published) expect(port).toMatch(/^127\.0\.0\.1:\d+:\d+$/);
  });

  it('gives every service a healthcheck', () => {
    for (const [name, service] of Object.entries(compose.services)) expect(service.healthcheck?.test, name).toBeDefined();
  });

  it('keeps data in named volumes that are declared', () => {
    const declared = Object.keys(compose.volumes ?? {});
    const named = Object.values(compose.services)
      .flatMap((service) => service.volumes ?? [])
      .map((volume) => volume.split(':')[0] as string)
      .filter((source) => !source.startsWith('.') && !source.startsWith('/'));
    expect(named.length).toBeGreaterThan(0);
    expect(declared.sort()).toEqual([...new Set(named)].sort());
  });

  it('lets anonymous users view Grafana and takes the admin password from the environment', () => {
    const env = compose.services.grafana?.environment ?? {};
    expect(env.GF_AUTH_ANONYMOUS_ENABLED).toBe('true');
    expect(env.GF_AUTH_ANONYMOUS_ORG_ROLE).toBe('Viewer');
    expect(env.GF_SECURITY_ADMIN_PASSWORD).toMatch(/^\$\{GRAFANA_ADMIN_PASSWORD:\?/);
  });
});

describe('the compose checks', () => {
  it('schema validation rejects keys the spec does not define', async () => {
    const validate = await composeValidator();
    const compose = await load(COMPOSE_FILES[0]);
    const broken = { ...compose, services: { ...compose.services, grafana: { ...compose.services.grafana, helthcheck: {} } } };
    expect(validate(broken)).toBe(false);
  });

  it('docker-compose 1.29 rejects keys newer than it (healthcheck.start_interval), so passing it means something', async () => {
    const text = await readFile(repoPath(COMPOSE_FILES[0]), 'utf8');
    const newer = text.replace('      start_period: 10s\n', '      start_period: 10s\n      start_interval: 2s\n');
    expect(newer).not.toBe(text);
    const { mkdtemp, writeFile, rm } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = await mkdtemp(join(tmpdir(), 'periscope-compose-'));
    try {
      await writeFile(join(dir, 'docker-compose.yml'), newer);
      const result = await run('docker-compose', ['-f', join(dir, 'docker-compose.yml'), 'config', '-q'], { env: withPassword });
      expect(result.code).not.toBe(0);
      expect(result.stderr).toContain('start_interval');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
