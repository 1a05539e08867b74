import { randomUUID } from 'node:crypto';

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

/** A fresh ID for requests that bring none (a UUID v4). */
export const generateId = (): string => randomUUID();

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
