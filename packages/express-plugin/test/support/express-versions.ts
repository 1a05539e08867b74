import express5 from 'express';
import express4 from 'express4';

/** The two Express majors every behaviour is checked against. */
export const EXPRESS_VERSIONS = [
  { name: 'Express 5', express: express5, major: 5 },
  { name: 'Express 4', express: express4, major: 4 },
] as const;

export type ExpressFactory = typeof express5;
