/**
 * The paths at which two plain JSON-like values differ (`a.b[0].c`), in
 * order; empty when they are deeply equal. Lets a test name what differs
 * instead of only knowing that something does.
 */
export function differences(actual: unknown, expected: unknown, path = ''): string[] {
  if (Object.is(actual, expected)) return [];
  if (typeof actual !== 'object' || typeof expected !== 'object' || actual === null || expected === null) return [path || '(root)'];
  if (Array.isArray(actual) !== Array.isArray(expected)) return [path || '(root)'];
  const a = actual as Record<string, unknown>;
  const e = expected as Record<string, unknown>;
  const keys = [...new Set([...Object.keys(a), ...Object.keys(e)])].sort();
  return keys.flatMap((key) => {
    const next = Array.isArray(actual)
      ? `${path}[${key}]`
      : /^[A-Za-z_]\w*$/.test(key)
        ? `${path}${path ? '.' : ''}${key}`
        : `${path}["${key}"]`;
    return differences(a[key], e[key], next);
  });
}
