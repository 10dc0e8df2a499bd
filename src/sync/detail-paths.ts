/**
 * The JSON paths of fetched details, collected on the write path for schema drift. Paths are written the
 * way `inspect` writes them (`domain.name`, `forms[].fields[].value`), but only names are kept, never a
 * value, type or length: this runs for every issue a run writes, so it walks a tree of Maps (one lookup
 * per key, no string built per key) and turns it into path strings once per batch.
 */

/** How many details of a batch held each path. Plain data: it crosses a thread boundary. */
export interface PathSighting {
  /** Details looked at. */
  details: number;
  /** [path, details holding it]. */
  paths: [string, number][];
}

interface Node {
  kids: Map<string, Node>;
  /** The detail that last counted this node, so a path repeated inside one detail counts once. */
  mark: number;
  seen: number;
}

// A key that is not a plain name (spaces, '@', digits only, very long) is likely a value used as a key
// (an object keyed by e-mail or id): it counts as `*`, so paths never carry values and stay few.
const PLAIN_KEY = /^(?!\d+$)[A-Za-z0-9_$-]{1,64}$/;
const MAX_DEPTH = 10;
/** Bounds the paths of a hostile or odd object; paths past it are not tracked. */
export const MAX_PATHS = 1000;
const ARRAY = '[]';

/** Collects the paths of the details given to `add`; `take` returns them and starts over. */
export function createPathCollector(): { add(detail: unknown): void; take(): PathSighting } {
  let root: Node = node();
  let nodes = 0;
  let details = 0;
  const child = (parent: Node, key: string): Node | undefined => {
    const known = parent.kids.get(key);
    if (known) return known;
    if (nodes >= MAX_PATHS) return undefined;
    const name = key === ARRAY || PLAIN_KEY.test(key) ? key : '*';
    let c = name === key ? undefined : parent.kids.get(name);
    if (!c) {
      c = node();
      nodes++;
      parent.kids.set(name, c);
    }
    // An odd key is remembered as an alias of `*`, so the test above runs once per distinct key.
    if (name !== key) parent.kids.set(key, c);
    return c;
  };
  const see = (parent: Node, key: string, v: unknown, depth: number): void => {
    const c = child(parent, key);
    if (!c) return;
    if (c.mark !== details) {
      c.mark = details;
      c.seen++;
    }
    if (typeof v === 'object' && v !== null && depth < MAX_DEPTH) walk(v, c, depth + 1);
  };
  const walk = (v: object, at: Node, depth: number): void => {
    if (Array.isArray(v)) {
      for (const el of v) see(at, ARRAY, el, depth);
      return;
    }
    const o = v as Record<string, unknown>;
    // Parsed JSON objects have no inherited enumerable keys, so for…in visits exactly their own.
    for (const key in o) see(at, key, o[key], depth);
  };
  return {
    add(detail) {
      details++;
      if (typeof detail === 'object' && detail !== null) walk(detail, root, 0);
    },
    take() {
      const paths: [string, number][] = [];
      flatten(root, '', paths);
      const out = { details, paths };
      root = node();
      nodes = 0;
      details = 0;
      return out;
    },
  };
}

function node(): Node {
  return { kids: new Map(), mark: -1, seen: 0 };
}

function flatten(at: Node, prefix: string, out: [string, number][]): void {
  const done = new Set<Node>();
  for (const [key, c] of at.kids) {
    // Aliases of `*` point at the same node: visit it once, under `*`.
    if (done.has(c)) continue;
    done.add(c);
    const name = key === ARRAY || PLAIN_KEY.test(key) ? key : '*';
    const path = key === ARRAY ? `${prefix}${ARRAY}` : prefix === '' ? name : `${prefix}.${name}`;
    out.push([path, c.seen]);
    flatten(c, path, out);
  }
}

/** Adds `b` into `a` (several batches of one run). */
export function mergeSightings(a: Map<string, number>, b: PathSighting): number {
  for (const [path, n] of b.paths) a.set(path, (a.get(path) ?? 0) + n);
  return b.details;
}
