/**
 * A small, strict parser for the two exposition formats the SDK writes:
 * Prometheus text 0.0.4 and OpenMetrics 1.0 (with exemplars). Strict on
 * purpose: a malformed line, an unknown escape or a sample outside its family
 * throws, so a formatting bug fails the test that reads the page.
 */

export interface ParsedExemplar {
  labels: Record<string, string>;
  value: number;
  timestamp: number | undefined;
}

export interface ParsedSample {
  name: string;
  labels: Record<string, string>;
  value: number;
  timestamp: number | undefined;
  exemplar: ParsedExemplar | undefined;
}

export interface ParsedFamily {
  name: string;
  type: string | undefined;
  help: string | undefined;
  samples: ParsedSample[];
}

export interface ParsedExposition {
  families: Map<string, ParsedFamily>;
  samples: ParsedSample[];
  /** The page ended with `# EOF` (OpenMetrics). */
  eof: boolean;
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*/;
/** Suffixes a sample may add to its family's name. */
const SAMPLE_SUFFIXES = ['', '_total', '_created', '_bucket', '_sum', '_count', '_gcount', '_gsum', '_info'];

export function parseExposition(text: string): ParsedExposition {
  const families = new Map<string, ParsedFamily>();
  const samples: ParsedSample[] = [];
  let current: ParsedFamily | undefined;
  let eof = false;

  const familyNamed = (name: string): ParsedFamily => {
    let family = families.get(name);
    if (!family) {
      family = { name, type: undefined, help: undefined, samples: [] };
      families.set(name, family);
    }
    return family;
  };

  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  // Prometheus text ignores blank lines; OpenMetrics (the page with # EOF) has none.
  const openMetrics = lines.includes('# EOF');
  lines.forEach((line, index) => {
    const where = `line ${index + 1} (${JSON.stringify(line)})`;
    if (eof) throw new Error(`content after # EOF at ${where}`);
    if (line === '# EOF') {
      eof = true;
      return;
    }
    const meta = /^# (HELP|TYPE|UNIT) ([a-zA-Z_:][a-zA-Z0-9_:]*)(?: (.*))?$/.exec(line);
    if (meta) {
      const [, kind, name, rest = ''] = meta as unknown as [string, string, string, string | undefined];
      current = familyNamed(name);
      if (kind === 'HELP') current.help = unescapeHelp(rest, where);
      else if (kind === 'TYPE') current.type = rest;
      return;
    }
    if (line.trim() === '' && !openMetrics) return;
    if (line.startsWith('#') || line.trim() === '') {
      throw new Error(`unexpected comment or blank line at ${where}`);
    }
    const sample = parseSampleLine(line, where);
    const family = current && belongsTo(sample.name, current.name) ? current : undefined;
    if (!family) throw new Error(`sample ${sample.name} outside its family at ${where}`);
    family.samples.push(sample);
    samples.push(sample);
  });
  return { families, samples, eof };
}

function belongsTo(sampleName: string, familyName: string): boolean {
  return SAMPLE_SUFFIXES.some((suffix) => sampleName === familyName + suffix);
}

function parseSampleLine(line: string, where: string): ParsedSample {
  const cursor = { text: line, pos: 0, where };
  const name = take(cursor, METRIC_NAME, 'metric name');
  const labels = cursor.text[cursor.pos] === '{' ? parseLabels(cursor) : {};
  expect(cursor, ' ');
  const value = parseNumber(takeUntilSpace(cursor), where);
  let timestamp: number | undefined;
  let exemplar: ParsedExemplar | undefined;
  if (cursor.pos < line.length) {
    expect(cursor, ' ');
    if (line[cursor.pos] !== '#') timestamp = parseNumber(takeUntilSpace(cursor), where);
    if (cursor.pos < line.length) {
      if (line[cursor.pos] === ' ') cursor.pos++;
      expect(cursor, '# ');
      const exemplarLabels = parseLabels(cursor);
      expect(cursor, ' ');
      const exemplarValue = parseNumber(takeUntilSpace(cursor), where);
      let exemplarTimestamp: number | undefined;
      if (cursor.pos < line.length) {
        expect(cursor, ' ');
        exemplarTimestamp = parseNumber(takeUntilSpace(cursor), where);
      }
      exemplar = { labels: exemplarLabels, value: exemplarValue, timestamp: exemplarTimestamp };
    }
  }
  if (cursor.pos !== line.length) throw new Error(`trailing characters at ${where}`);
  return { name, labels, value, timestamp, exemplar };
}

interface Cursor {
  text: string;
  pos: number;
  where: string;
}

function take(cursor: Cursor, pattern: RegExp, what: string): string {
  const match = pattern.exec(cursor.text.slice(cursor.pos));
  if (!match) throw new Error(`expected ${what} at column ${cursor.pos + 1} of ${cursor.where}`);
  cursor.pos += match[0].length;
  return match[0];
}

function takeUntilSpace(cursor: Cursor): string {
  const end = cursor.text.indexOf(' ', cursor.pos);
  const token = cursor.text.slice(cursor.pos, end === -1 ? undefined : end);
  cursor.pos += token.length;
  return token;
}

function expect(cursor: Cursor, literal: string): void {
  if (!cursor.text.startsWith(literal, cursor.pos)) {
    throw new Error(`expected ${JSON.stringify(literal)} at column ${cursor.pos + 1} of ${cursor.where}`);
  }
  cursor.pos += literal.length;
}

/** `{name="value",...}` with `\\`, `\"` and `\n` escapes; a trailing comma is allowed (text format). */
function parseLabels(cursor: Cursor): Record<string, string> {
  const labels: Record<string, string> = {};
  expect(cursor, '{');
  while (cursor.text[cursor.pos] !== '}') {
    const name = take(cursor, LABEL_NAME, 'label name');
    if (Object.hasOwn(labels, name)) throw new Error(`duplicate label ${name} in ${cursor.where}`);
    expect(cursor, '="');
    let value = '';
    for (;;) {
      const char = cursor.text[cursor.pos++];
      if (char === undefined) throw new Error(`unterminated label value in ${cursor.where}`);
      if (char === '"') break;
      if (char !== '\\') {
        value += char;
        continue;
      }
      const escaped = cursor.text[cursor.pos++];
      if (escaped === '\\') value += '\\';
      else if (escaped === '"') value += '"';
      else if (escaped === 'n') value += '\n';
      else throw new Error(`invalid escape \\${escaped ?? ''} in label value of ${cursor.where}`);
    }
    labels[name] = value;
    if (cursor.text[cursor.pos] === ',') cursor.pos++;
    else if (cursor.text[cursor.pos] !== '}') throw new Error(`expected , or } at column ${cursor.pos + 1} of ${cursor.where}`);
  }
  cursor.pos++;
  return labels;
}

function parseNumber(token: string, where: string): number {
  if (token === '+Inf' || token === 'Inf') return Number.POSITIVE_INFINITY;
  if (token === '-Inf') return Number.NEGATIVE_INFINITY;
  if (token === 'NaN') return Number.NaN;
  const value = Number(token);
  if (token === '' || Number.isNaN(value)) throw new Error(`invalid number ${JSON.stringify(token)} at ${where}`);
  return value;
}

function unescapeHelp(text: string, where: string): string {
  return text.replace(/\\(.?)/g, (_, escaped: string) => {
    if (escaped === '\\') return '\\';
    if (escaped === 'n') return '\n';
    if (escaped === '"') return '"';
    throw new Error(`invalid escape in HELP at ${where}`);
  });
}

/** The family called `name`, or a thrown error listing what the page has. */
export function family(parsed: ParsedExposition, name: string): ParsedFamily {
  const found = parsed.families.get(name);
  if (!found) throw new Error(`no family ${name}; the page has ${[...parsed.families.keys()].join(', ')}`);
  return found;
}

/** Samples named `name` whose labels include every pair of `labels`. */
export function samplesOf(parsed: ParsedExposition, name: string, labels: Record<string, string> = {}): ParsedSample[] {
  return parsed.samples.filter(
    (sample) => sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value),
  );
}

/** The value of the one sample matching `name` and `labels`; throws when there is not exactly one. */
export function sampleValue(parsed: ParsedExposition, name: string, labels: Record<string, string> = {}): number {
  const found = samplesOf(parsed, name, labels);
  if (found.length !== 1) throw new Error(`expected one ${name}${JSON.stringify(labels)}, found ${found.length}`);
  return found[0]!.value;
}

/** The name other suites import; `sampleValue` is the same function under a name that shadows no global. */
export { sampleValue as valueOf };

/** A sample as the plugin and conformance tests read it: name, labels, value, and its exemplar's labels and value. */
export interface PageSample {
  name: string;
  labels: Record<string, string>;
  value: number;
  exemplar?: { labels: Record<string, string>; value: number };
}

/** The samples of a whole exposition page, parsed strictly by {@link parseExposition}. */
export function pageSamples(text: string): PageSample[] {
  return parseExposition(text).samples.map(({ name, labels, value, exemplar }) =>
    exemplar ? { name, labels, value, exemplar: { labels: exemplar.labels, value: exemplar.value } } : { name, labels, value },
  );
}
