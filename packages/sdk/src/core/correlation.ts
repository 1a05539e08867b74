import { randomFillSync } from 'node:crypto';

/** Letters, digits and `-_.:` only: safe in headers, logs and label values. */
const ID_PATTERN = /^[A-Za-z0-9\-_.:]+$/;

export type HeaderValue = string | string[] | number | undefined;

/** Why an inbound ID was refused; the label of `periscope_correlation_id_rejected_total`. */
export type RejectionReason = 'too_long' | 'invalid_characters' | 'empty' | 'multiple_values';

export interface CorrelationOutcome {
  id: string;
  /** True when the ID came from the request. */
  accepted: boolean;
  /** Set when the request offered an ID that was refused. */
  rejected?: RejectionReason;
}

/** Checks one inbound ID; returns why it is refused, or undefined when it is fine. */
export function checkInboundId(value: HeaderValue, maxLength: number): RejectionReason | undefined {
  if (Array.isArray(value)) return 'multiple_values';
  if (typeof value !== 'string') return 'invalid_characters';
  if (value.length === 0) return 'empty';
  if (value.length > maxLength) return 'too_long';
  if (!ID_PATTERN.test(value)) return 'invalid_characters';
  return undefined;
}

/** Random bytes for 256 IDs at a time, from the CSPRNG. */
const idBytes = Buffer.allocUnsafe(16 * 256);
let idOffset = idBytes.length;
/** The ID's text, rewritten for each ID: ASCII, dashes in place. */
const idText = Buffer.from('00000000-0000-0000-0000-000000000000', 'latin1');
const HEX_DIGITS = Buffer.from('0123456789abcdef', 'latin1');
/** Where the two hex digits of each of the 16 bytes go in the text. */
const DIGIT_AT = [0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34];

/**
 * A fresh ID for requests that bring none: a random UUID v4, written from a
 * pooled CSPRNG buffer into one string. `crypto.randomUUID()` builds its
 * string from twenty concatenations, about 1 kB of garbage per ID, which was
 * the largest allocation per request after the access line.
 */
export function generateId(): string {
  if (idOffset === idBytes.length) {
    randomFillSync(idBytes);
    idOffset = 0;
  }
  const at = idOffset;
  idOffset += 16;
  for (let i = 0; i < 16; i++) {
    let byte = idBytes[at + i] as number;
    if (i === 6)
      byte = (byte & 0x0f) | 0x40; // version 4
    else if (i === 8) byte = (byte & 0x3f) | 0x80; // variant 10
    const to = DIGIT_AT[i] as number;
    idText[to] = HEX_DIGITS[byte >> 4] as number;
    idText[to + 1] = HEX_DIGITS[byte & 15] as number;
  }
  return idText.toString('latin1');
}

/**
 * Picks the correlation ID of an inbound request: the `primary` header, else
 * the `fallback` header, when it passes {@link checkInboundId}; otherwise a
 * new one, with the reason the offered ID was refused.
 */
export function resolveCorrelationId(primary: HeaderValue, fallback: HeaderValue, maxLength: number): CorrelationOutcome {
  const offered = primary ?? fallback;
  if (offered === undefined) return { id: generateId(), accepted: false };
  const rejected = checkInboundId(offered, maxLength);
  if (rejected === undefined) return { id: offered as string, accepted: true };
  return { id: generateId(), accepted: false, rejected };
}
