import { describe, expect, it } from 'vitest';
import { DATASOURCES_FILE } from './support/queries.js';
import { readYaml } from './support/repo.js';

interface Datasource {
  uid: string;
  type: string;
  url: string;
  jsonData: Record<string, unknown> & {
    exemplarTraceIdDestinations?: Array<{ name: string; datasourceUid: string }>;
    tracesToLogsV2?: { datasourceUid: string; filterByTraceID: boolean; query: string };
    tracesToMetrics?: { datasourceUid: string; tags: Array<{ key: string; value: string }> };
    serviceMap?: { datasourceUid: string };
    derivedFields?: Array<{ name: string; matcherType: string; matcherRegex: string; datasourceUid: string }>;
  };
}

describe.each([DATASOURCES_FILE, 'observability/grafana/provisioning-scale/datasources/datasources.yml'])('%s', (file) => {
  const load = async () => {
    const { datasources } = await readYaml<{ datasources: Datasource[] }>(file);
    const byType = (type: string) => datasources.find((source) => source.type === type) as Datasource;
    return { datasources, prometheus: byType('prometheus'), tempo: byType('tempo'), loki: byType('loki') };
  };

  it('links a Prometheus exemplar to its trace in Tempo by trace_id', async () => {
    const { prometheus, tempo } = await load();
    expect(prometheus.jsonData.exemplarTraceIdDestinations).toEqual([{ name: 'trace_id', datasourceUid: tempo.uid }]);
  });

  it("links a Tempo trace to its Loki lines by trace ID and service, and to the service's metrics", async () => {
    const { prometheus, tempo, loki } = await load();
    const toLogs = tempo.jsonData.tracesToLogsV2;
    expect(toLogs?.datasourceUid).toBe(loki.uid);
    const $ = '$'; // Grafana's ${…} placeholders, not JavaScript templates
    expect(toLogs?.query).toContain(`trace_id="${$}{__trace.traceId}"`);
    expect(toLogs?.query).toContain(`service="${$}{__span.tags["service.name"]}"`);
    expect(tempo.jsonData.tracesToMetrics?.datasourceUid).toBe(prometheus.uid);
    expect(tempo.jsonData.tracesToMetrics?.tags).toContainEqual({ key: 'service.name', value: 'service' });
    expect(tempo.jsonData.serviceMap?.datasourceUid).toBe(prometheus.uid);
  });

  it('links a Loki line back to Tempo through its trace_id structured metadata', async () => {
    const { tempo, loki } = await load();
    expect(loki.jsonData.derivedFields).toContainEqual(
      expect.objectContaining({ name: 'trace_id', matcherType: 'label', matcherRegex: 'trace_id', datasourceUid: tempo.uid }),
    );
  });

  it('gives the dashboards the datasource UIDs they reference', async () => {
    const { datasources } = await load();
    expect(datasources.map((source) => source.uid).sort()).toEqual(['loki', 'prometheus', 'tempo']);
  });
});

describe('log shipping', () => {
  it('never makes trace_id a Loki label: it is structured metadata', async () => {
    const { readFile } = await import('node:fs/promises');
    const { repoPath } = await import('./support/repo.js');
    const alloy = await readFile(repoPath('observability/alloy/config.alloy'), 'utf8');
    const labels = /stage\.labels \{\s*values = \{([^}]*)\}/.exec(alloy)?.[1] ?? '';
    const metadata = /stage\.structured_metadata \{\s*values = \{([^}]*)\}/.exec(alloy)?.[1] ?? '';
    expect(labels).toContain('service');
    expect(labels).not.toContain('trace_id');
    expect(metadata).toContain('trace_id');
  });
});
