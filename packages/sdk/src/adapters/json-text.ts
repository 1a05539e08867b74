/** Characters `JSON.stringify` would escape in a string: quote, backslash, controls, and any surrogate (lone ones are escaped). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: these are the characters JSON escapes
const PLAIN = /^[^"\\\u0000-\u001f\ud800-\udfff]*$/;

/**
 * `JSON.stringify(text)` for a string: the text in quotes when nothing in it
 * needs escaping (IDs, methods, route templates, most paths), else the native
 * call. The lines Periscope builds itself use it for fields whose names they
 * know, instead of serialising an object.
 */
export function jsonString(text: string): string {
  return PLAIN.test(text) ? `"${text}"` : JSON.stringify(text);
}

/** `JSON.stringify(value)` for a number: `null` when it is not finite. */
export function jsonNumber(value: number): string {
  return Number.isFinite(value) ? `${value}` : 'null';
}
