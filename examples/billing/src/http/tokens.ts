/** Injection tokens: explicit, so DI does not depend on emitted decorator metadata. */
export const CHECKOUT_SERVICE = Symbol('CHECKOUT_SERVICE');
export const FAULT_STATE = Symbol('FAULT_STATE');
