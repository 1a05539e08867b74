const kScratch = Symbol('periscope.shape.scratch');
/** Left on each object `toSharedShape` has moved (true): the property after the deleted one. */
const kShared = Symbol('periscope.shape.shared');

/**
 * Gives an object whose prototype a framework swapped the hidden class every
 * other such object shares. For plugins; Express's requests and responses
 * are the case in point.
 *
 * Express swaps the prototype of each request and response
 * (`Object.setPrototypeOf(res, app.response)`), and V8 does not share the
 * transitions of an object whose prototype was swapped: every property added
 * afterwards (`res.locals`, `req.next`, ...) makes a new map, so each object
 * has a hidden class of its own, and every property access on it by the
 * framework, Node's `http` code and Periscope misses the inline caches (a
 * lookup along the prototype chain, each time). Deleting a property that is
 * not the last one added turns the object into a dictionary-mode one, whose
 * map all such objects share, and the accesses then hit. Behaviour is
 * unchanged: only V8's representation of the object differs. Measured on the
 * benchmark's Express app (`pnpm bench`, the `bare-dictionary` cell), Express
 * alone answers 7-17% more requests a second with it.
 *
 * Call it after the framework has swapped the prototype: a dictionary-mode
 * object given a new prototype gets a map of its own again. Not for objects
 * whose prototype nobody swapped: they already share their maps, which a
 * fast-mode object reads faster than a dictionary. Never throws.
 */
export function toSharedShape(target: object): void {
  try {
    const object = target as Record<symbol, unknown>;
    object[kScratch] = true;
    object[kShared] = true;
    delete object[kScratch];
  } catch {
    // A frozen or exotic object keeps its shape; nothing else depends on it.
  }
}
