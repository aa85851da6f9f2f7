/**
 * Typed config overrides: every component owns a DEFAULTS object; profiles and users
 * override a few fields. Unknown keys and wrong types are rejected by name.
 */

export type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? (T[K] extends any[] ? T[K] : DeepPartial<T[K]>) : T[K] };

function kind(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

/**
 * Merge `overrides` into a deep copy of `defaults`. `where` names the config in errors,
 * e.g. "profile smoke" or "--param". Throws on unknown keys or type mismatches.
 */
export function mergeConfig<T extends object>(defaults: T, overrides: unknown, where: string, prefix = ''): T {
  const out: any = JSON.parse(JSON.stringify(defaults));
  if (overrides === undefined || overrides === null) return out;
  if (kind(overrides) !== 'object') {
    throw new Error(`${where}: ${prefix || 'config'} must be an object, got ${kind(overrides)}`);
  }
  for (const [key, value] of Object.entries(overrides as Record<string, unknown>)) {
    const name = prefix ? `${prefix}.${key}` : key;
    if (!(key in out)) {
      const known = Object.keys(out).join(', ');
      throw new Error(`${where}: unknown key "${name}" (known: ${known})`);
    }
    const want = kind(out[key]);
    const got = kind(value);
    if (want === 'object') {
      out[key] = mergeConfig(out[key], value, where, name);
    } else if (want !== got) {
      throw new Error(`${where}: "${name}" must be a ${want}, got ${got} (${JSON.stringify(value)})`);
    } else {
      out[key] = value;
    }
  }
  return out;
}

/**
 * Parse a `key.path=value` string the way a user types it on the command line, using the
 * type of the default at that path (number, boolean, string, or JSON for arrays/objects).
 */
export function parseOverride(defaults: object, assignment: string, where = '--param'): Record<string, unknown> {
  const eq = assignment.indexOf('=');
  if (eq <= 0) throw new Error(`${where}: expected key=value, got "${assignment}"`);
  const keyPath = assignment.slice(0, eq).trim();
  const raw = assignment.slice(eq + 1);
  const parts = keyPath.split('.');
  let cur: any = defaults;
  for (let i = 0; i < parts.length; i++) {
    if (kind(cur) !== 'object' || !(parts[i] in cur)) {
      const known = kind(cur) === 'object' ? Object.keys(cur).join(', ') : '(not an object)';
      throw new Error(`${where}: unknown key "${parts.slice(0, i + 1).join('.')}" (known: ${known})`);
    }
    cur = cur[parts[i]];
  }
  const want = kind(cur);
  let value: unknown;
  if (want === 'number') {
    value = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(value)) throw new Error(`${where}: "${keyPath}" must be a number, got "${raw}"`);
  } else if (want === 'boolean') {
    if (raw !== 'true' && raw !== 'false') throw new Error(`${where}: "${keyPath}" must be true or false, got "${raw}"`);
    value = raw === 'true';
  } else if (want === 'string') {
    value = raw;
  } else {
    try {
      value = JSON.parse(raw);
    } catch {
      throw new Error(`${where}: "${keyPath}" must be JSON (${want}), got "${raw}"`);
    }
    if (kind(value) !== want) throw new Error(`${where}: "${keyPath}" must be a ${want}, got ${kind(value)}`);
  }
  const result: Record<string, unknown> = {};
  let node: any = result;
  for (let i = 0; i < parts.length - 1; i++) node = node[parts[i]] = {};
  node[parts[parts.length - 1]] = value;
  return result;
}

/** JSON with object keys sorted, for comparing configs. */
export function canonical(value: unknown): string {
  return JSON.stringify(value, (_k, v) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.keys(v)
            .sort()
            .map((k) => [k, v[k]]),
        )
      : v,
  );
}
