import { describe, expect, it } from 'vitest';
import { parseDuration, parseReviewArgs, parseTime } from '../src/review/args.js';
import { pickExemplars } from '../src/review/evidence.js';
import { normaliseId, parseTrace, summariseTrace } from '../src/review/tempo.js';
import { baselineBand, crossings, versionChanges } from '../src/review/timeline.js';

const NOW = 1_800_000_000;

describe('review arguments', () => {
  it('times: RFC 3339 with a zone, Unix seconds, now and now-<duration>', () => {
    expect(parseTime('2026-11-29T02:00:00Z', NOW)).toBe(Date.parse('2026-11-29T02:00:00Z') / 1000);
    expect(parseTime('2026-11-29T03:00:00.500+01:00', NOW)).toBe(Date.parse('2026-11-29T02:00:00.500Z') / 1000);
    expect(parseTime('1795917600', NOW)).toBe(1_795_917_600);
    expect(parseTime('now', NOW)).toBe(NOW);
    expect(parseTime('now-30m', NOW)).toBe(NOW - 1800);
    expect(parseTime('now-1d', NOW)).toBe(NOW - 86_400);
    // No zone, no time, or nonsense: refused rather than read as local time.
    for (const bad of ['2026-11-29T02:00:00', '2026-11-29', 'yesterday', 'now-30x', '']) expect(parseTime(bad, NOW), bad).toBeUndefined();
    expect(parseDuration('1w')).toBe(604_800);
    expect(parseDuration('1.5h')).toBe(5400);
  });

  it('each mistake is a PERISCOPE_INVALID_OPTION naming the flag', () => {
    const cases: Array<[string[], RegExp]> = [
      [['--from', 'now-1h'], /--prometheus: is required/],
      [['--prometheus', 'ftp://x', '--from', 'now-1h'], /--prometheus: "ftp:\/\/x" is not an http\(s\) URL/],
      [['--prometheus', 'http://p:9090'], /--from: is required/],
      [['--prometheus', 'http://p:9090', '--from', 'last tuesday'], /--from: "last tuesday" is not a time/],
      [['--prometheus', 'http://p:9090', '--from', 'now-1h', '--to', 'now-2h'], /--to: .* is not after --from/],
      [['--prometheus', 'http://p:9090', '--from', 'now-2h', '--baseline', '1h'], /--baseline: the offset 1h is shorter than the window/],
      [['--prometheus', 'http://p:9090', '--from', 'now-1h', '--baseline', 'lastweek'], /--baseline: "lastweek"/],
      [['--prometheus', 'http://p:9090', '--from', 'now-1h', '--step', '0s'], /--step: "0s"/],
      [['--prometheus', 'http://p:9090', '--from', 'now-1h', '--top', '0'], /--top: "0"/],
      [['--prometheus', 'http://p:9090', '--from', 'now-1h', '--service', 'a b'], /--service: "a b"/],
      [['--prometheus', 'http://p:9090', '--from', 'now-1h', '--nope'], /arguments: Unknown option '--nope'/],
    ];
    for (const [argv, message] of cases) {
      expect(() => parseReviewArgs(argv, NOW), argv.join(' ')).toThrow(message);
      expect(() => parseReviewArgs(argv, NOW)).toThrow(/^PERISCOPE_INVALID_OPTION: /);
    }
  });

  it('defaults: --to now, baseline before, top 5, 10 s timeout; --service splits commas', () => {
    const options = parseReviewArgs(
      ['--prometheus', 'http://p:9090/', '--from', 'now-30m', '--service', 'web,accounts', '--service', 'billing'],
      NOW,
    );
    expect(options).toMatchObject({
      prometheus: 'http://p:9090',
      from: NOW - 1800,
      to: NOW,
      baseline: { kind: 'before' },
      top: 5,
      timeoutMs: 10_000,
    });
    expect(options.services).toEqual(['web', 'accounts', 'billing']);
    expect(parseReviewArgs(['--prometheus', 'http://p', '--from', 'now-1h', '--baseline', '1w'], NOW).baseline).toEqual({
      kind: 'offset',
      seconds: 604_800,
      text: '1w',
    });
  });
});

describe('band crossings', () => {
  const series = (values: number[], start = 1000, step = 10): Array<[number, number]> => values.map((v, i) => [start + (i + 1) * step, v]);

  it('start, peak, end and recovery of a run outside the band; single-step blips are ignored', () => {
    const band = baselineBand([0.01, 0.01, 0.01, 0.01], 'errorRatio')!;
    expect(band.high).toBeCloseTo(0.03, 6);
    const points = series([0.01, 0.2, 0.01, 0.01, 0.3, 0.4, 0.35, 0.01, 0.01, 0.01]);
    const result = crossings('x', 'errorRatio', points, band, 10);
    // The blip at 1020 is one step: ignored. The run is 1050..1070.
    expect(result).toMatchObject({ start: 1040, end: 1070, recovered: 1080, peak: { at: 1060, value: 0.4 }, direction: 'up' });
    expect(crossings('x', 'errorRatio', points, band, 10, 5).end).toBe(1065);
  });

  it('a signal that never comes back has no recovery; a flat one has no start', () => {
    const band = baselineBand([10, 10, 10], 'rate')!;
    expect(crossings('x', 'rate', series([10, 10, 3, 3, 3, 3, 3]), band, 10)).toMatchObject({
      start: 1020,
      recovered: null,
      direction: 'down',
    });
    expect(crossings('x', 'rate', series([10, 11, 9, 10, 10, 10]), band, 10)).toMatchObject({ start: null, peak: null });
    expect(baselineBand([Number.NaN], 'rate')).toBeUndefined();
  });
});

describe('deploys from periscope_build_info', () => {
  it('a version appearing after another is a deploy; two versions from the first step are a mixed fleet', () => {
    const s = (service: string, version: string, first: number) => ({
      labels: { service_name: service, service_version: version, vcs_revision: `r${version}` },
      points: [[first, 1] as [number, number]],
    });
    const changes = versionChanges(
      [s('billing', '1.4.0', 100), s('billing', '1.5.0', 400), s('web', '2.0.0', 100), s('web', '2.1.0', 100)],
      300,
    );
    expect(changes).toEqual([
      {
        service: 'billing',
        at: 400,
        fromVersion: '1.4.0',
        toVersion: '1.5.0',
        fromRevision: 'r1.4.0',
        toRevision: 'r1.5.0',
        inWindow: true,
      },
    ]);
  });
});

describe('exemplars and traces', () => {
  it('picks the slowest exemplars and the latest failing ones, one per trace', () => {
    const e = (id: string, value: number, at: number) => ({ labels: { trace_id: id }, value: String(value), timestamp: at });
    const picked = pickExemplars([
      { seriesLabels: { http_response_status_code: '200' }, exemplars: [e('a', 0.9, 1), e('b', 0.1, 2), e('c', 0.5, 3), e('d', 0.7, 4)] },
      { seriesLabels: { http_response_status_code: '500' }, exemplars: [e('f1', 0.01, 5), e('f2', 0.02, 9), e('a', 0.9, 10)] },
    ]);
    expect(picked.map((x) => `${x.kind}:${x.traceId}`)).toEqual(['slowest:a', 'slowest:d', 'slowest:c', 'failing:f2', 'failing:f1']);
  });

  it('reads hex or base64 IDs, numeric status codes and the v2 `trace.resourceSpans` shape', () => {
    expect(normaliseId('AAAAAAAAAABhfb3UG1Lnuw==')).toBe('0000000000000000617dbdd41b52e7bb');
    expect(normaliseId('4BF92F3577B34DA6A3CE929D0E0E4736')).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    const spans = parseTrace({
      trace: {
        resourceSpans: [
          {
            resource: { attributes: [{ key: 'service.name', value: { stringValue: 'web' } }] },
            scopeSpans: [
              {
                spans: [
                  { spanId: '00f067aa0ba902b7', name: 'GET /', startTimeUnixNano: '1000000000', endTimeUnixNano: '1500000000' },
                  {
                    spanId: '00f067aa0ba902b8',
                    parentSpanId: '00f067aa0ba902b7',
                    name: 'db',
                    startTimeUnixNano: '1100000000',
                    endTimeUnixNano: '1400000000',
                    status: { code: 2, message: 'boom' },
                  },
                ],
              },
            ],
          },
        ],
      },
    });
    const summary = summariseTrace('t', spans);
    expect(summary.criticalPath).toEqual([
      { service: 'web', name: 'GET /', selfMs: 200, error: false },
      { service: 'web', name: 'db', selfMs: 300, error: true },
    ]);
    expect(summary.slowest).toEqual({ service: 'web', name: 'db', selfMs: 300 });
    expect(summary.error).toEqual({ service: 'web', name: 'db', message: 'boom' });
  });
});
