/**
 * The smallest `Reflect` metadata API that `@peculiar/x509` needs: its dependency `tsyringe` refuses to
 * load without one (it asks for the `reflect-metadata` package). Import this module before
 * `@peculiar/x509`; it defines nothing when a full polyfill is already installed.
 *
 * @module
 */

type Target = object;
type Key = string | symbol | undefined;

const store = new WeakMap<Target, Map<Key, Map<unknown, unknown>>>();

function own(target: Target, property: Key, create: boolean): Map<unknown, unknown> | undefined {
  let byProperty = store.get(target);
  if (!byProperty) {
    if (!create) return undefined;
    byProperty = new Map();
    store.set(target, byProperty);
  }
  let entries = byProperty.get(property);
  if (!entries && create) {
    entries = new Map();
    byProperty.set(property, entries);
  }
  return entries;
}

const api = {
  defineMetadata(key: unknown, value: unknown, target: Target, property?: Key): void {
    own(target, property, true)!.set(key, value);
  },
  getOwnMetadata(key: unknown, target: Target, property?: Key): unknown {
    return own(target, property, false)?.get(key);
  },
  hasOwnMetadata(key: unknown, target: Target, property?: Key): boolean {
    return own(target, property, false)?.has(key) ?? false;
  },
  getMetadata(key: unknown, target: Target, property?: Key): unknown {
    for (let at: Target | null = target; at !== null; at = Object.getPrototypeOf(at)) {
      const entries = own(at, property, false);
      if (entries?.has(key)) return entries.get(key);
    }
    return undefined;
  },
  hasMetadata(key: unknown, target: Target, property?: Key): boolean {
    for (let at: Target | null = target; at !== null; at = Object.getPrototypeOf(at)) {
      if (own(at, property, false)?.has(key)) return true;
    }
    return false;
  },
  metadata(key: unknown, value: unknown): (target: Target, property?: Key) => void {
    return (target, property) => api.defineMetadata(key, value, target, property);
  },
};

const reflect = Reflect as unknown as Record<string, unknown>;
if (typeof reflect.getMetadata !== "function") {
  for (const [name, fn] of Object.entries(api)) reflect[name] = fn;
}
