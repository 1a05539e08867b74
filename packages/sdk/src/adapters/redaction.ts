/** The value written in place of a redacted one. */
export const CENSOR = '[Redacted]';
/** How deep a log object is searched for secret keys. */
const MAX_DEPTH = 6;

type Obj = Record<string, unknown>;

/**
 * Plain data: `{}`, `Object.create(null)`, and objects whose prototype is
 * itself a bare null-prototype object (Fastify's parsed query strings, from
 * fast-querystring), which a `proto === Object.prototype` test would skip.
 */
const isPlainObject = (value: unknown): value is Obj => {
  if (value === null || typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value);
  if (proto === Object.prototype || proto === null) return true;
  return Object.getPrototypeOf(proto) === null && !Object.hasOwn(proto, 'constructor');
};

/**
 * Compiles redaction rules into one function over a log object. A rule
 * without a dot (`password`, `set-cookie`) is a key redacted at any depth,
 * case-insensitively; a dotted rule (`card.number`, `*.token`) is a path,
 * `*` matching any key at its level. The function copies only the objects on
 * the way to a redacted value and returns the input itself when nothing
 * matched, so the common case allocates nothing.
 *
 * Written for Periscope rather than using pino's `redact` option: that one
 * walked 21 wildcard paths on every line, about 10 µs a line in the
 * microbenchmark; this walk costs well under a microsecond for a small object.
 */
export function compileRedaction(
  rules: readonly string[],
  serializeError: (error: Error) => Obj = (e) => ({ ...e, message: e.message }),
): (input: Obj) => Obj {
  const keys = new Set<string>();
  const paths: string[][] = [];
  for (const rule of rules) {
    const parts = rule
      .replace(/\[["']?([^\]"']+)["']?\]/g, '.$1')
      .split('.')
      .filter(Boolean);
    if (parts.length === 1) keys.add((parts[0] as string).toLowerCase());
    else if (parts.length > 1) paths.push(parts);
  }
  const isSecret = (key: string): boolean => keys.has(key) || keys.has(key.toLowerCase());

  const byKey = (value: unknown, depth: number): unknown => {
    if (depth > MAX_DEPTH) return value;
    if (Array.isArray(value)) {
      let out: unknown[] | undefined;
      for (let i = 0; i < value.length; i++) {
        const item = value[i];
        if (item === null || typeof item !== 'object') continue;
        const redacted = byKey(item, depth + 1);
        if (redacted !== item) {
          out ??= value.slice();
          out[i] = redacted;
        }
      }
      return out ?? value;
    }
    if (value instanceof Error) {
      // An error's own properties (an HTTP client's config, say) are logged by its serializer: redact them too.
      let out: Obj | undefined;
      for (const key of Object.keys(value)) {
        if (!isSecret(key)) continue;
        out ??= serializeError(value);
        out[key] = CENSOR;
      }
      return out ?? value;
    }
    if (!isPlainObject(value)) return value;
    let out: Obj | undefined;
    for (const key in value) {
      const item = value[key];
      if (isSecret(key)) {
        if (item !== undefined && item !== CENSOR) {
          out ??= { ...value };
          out[key] = CENSOR;
        }
      } else if (item !== null && typeof item === 'object') {
        const redacted = byKey(item, depth + 1);
        if (redacted !== item) {
          out ??= { ...value };
          out[key] = redacted;
        }
      }
    }
    return out ?? value;
  };

  const byPath = (value: unknown, path: string[], at: number): unknown => {
    if (!isPlainObject(value)) return value;
    const segment = path[at] as string;
    const last = at === path.length - 1;
    let out: Obj | undefined;
    for (const key of segment === '*' ? Object.keys(value) : [segment]) {
      if (!(key in value)) continue;
      const item = value[key];
      const redacted = last ? (item === undefined ? item : CENSOR) : byPath(item, path, at + 1);
      if (redacted !== item) {
        out ??= { ...value };
        out[key] = redacted;
      }
    }
    return out ?? value;
  };

  if (keys.size === 0 && paths.length === 0) return (input) => input;
  return (input) => {
    let out = keys.size > 0 ? (byKey(input, 0) as Obj) : input;
    for (const path of paths) out = byPath(out, path, 0) as Obj;
    return out;
  };
}

/**
 * Compiles a user redactor (`logs.redactor`) into a walk over a log object:
 * `redactor(key, value)` is called for every key of every plain object, at
 * any depth up to the same limit as the rules, and its result replaces the
 * value (an object result is walked in turn; array items are walked without
 * a call of their own). Copy-on-write like {@link compileRedaction}: the
 * input is never modified.
 *
 * A throw fails closed: the value it was called for is written as
 * {@link CENSOR}, the walk goes on, and `onError` is called once per object
 * with the first error (the caller counts and reports it).
 */
export function compileUserRedactor(
  redactor: (key: string, value: unknown) => unknown,
  onError: (error: unknown) => void,
): (input: Obj) => Obj {
  type Walk = { error: unknown; failed: boolean };

  const descend = (value: unknown, depth: number, walk: Walk): unknown => {
    if (depth > MAX_DEPTH) return value;
    if (Array.isArray(value)) {
      let out: unknown[] | undefined;
      for (let i = 0; i < value.length; i++) {
        const item = value[i];
        if (item === null || typeof item !== 'object') continue;
        const next = descend(item, depth + 1, walk);
        if (next !== item) {
          out ??= value.slice();
          out[i] = next;
        }
      }
      return out ?? value;
    }
    return isPlainObject(value) ? keys(value, depth, walk) : value;
  };

  const keys = (value: Obj, depth: number, walk: Walk): Obj => {
    let out: Obj | undefined;
    for (const key in value) {
      const item = value[key];
      let next: unknown;
      try {
        next = redactor(key, item);
      } catch (error) {
        if (!walk.failed) walk.error = error;
        walk.failed = true;
        next = CENSOR;
      }
      if (next !== null && typeof next === 'object') next = descend(next, depth + 1, walk);
      if (next !== item) {
        out ??= { ...value };
        out[key] = next;
      }
    }
    return out ?? value;
  };

  return (input) => {
    const walk: Walk = { error: undefined, failed: false };
    const out = keys(input, 0, walk);
    if (walk.failed) onError(walk.error);
    return out;
  };
}
