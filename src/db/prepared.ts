/**
 * Statements prepared on their first use. A store holds a few dozen prepared statements; building one
 * through Drizzle's query builder costs a query build and an SQLite prepare, and most of them are needed
 * only once a run has sent its first request, or never (a fallback writer, the end-of-run counts).
 */

/** `build()`'s object, built when one of its members is first read; its methods run on it. */
export function onFirstUse<T extends object>(build: () => T): T {
  let built: T | undefined;
  return new Proxy({} as T, {
    get(_target, key) {
      built ??= build();
      const value: unknown = Reflect.get(built, key, built);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(built) : value;
    },
  });
}
