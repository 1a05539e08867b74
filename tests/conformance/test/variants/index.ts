import type { Variant } from './contract.js';
import { expressVariant } from './express.js';
import { fastifyVariant } from './fastify.js';
import { nestExpressVariant, nestFastifyVariant } from './nest.js';

export type { RunningServer, Variant } from './contract.js';

/** Every framework the conformance table runs against. */
export const variants: Variant[] = [expressVariant(), fastifyVariant, nestExpressVariant, nestFastifyVariant];
