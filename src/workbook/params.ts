/** `--param key=value` strings -> typed dotted overrides, checked against the profile. */
import { parseOverride } from '../util/config';
import { InputError } from '../util/jsonl';
import { profileConfig, workbookConfig, WorkbookConfig } from './profiles';

function valueAt(nested: any, key: string): unknown {
  return key.split('.').reduce((node, k) => node[k], nested);
}

/** `["data.sftPrompts=200"]` -> `{"data.sftPrompts": 200}`; throws one line naming the key. */
export function parseParams(profile: string, assignments: string[]): { params: Record<string, unknown>; config: WorkbookConfig } {
  let base: WorkbookConfig;
  try {
    base = profileConfig(profile);
  } catch (e) {
    throw new InputError(`--profile: ${(e as Error).message}`);
  }
  const params: Record<string, unknown> = {};
  for (const a of assignments) {
    try {
      const nested = parseOverride(base, a, '--param');
      const key = a.slice(0, a.indexOf('=')).trim();
      params[key] = valueAt(nested, key);
    } catch (e) {
      throw new InputError((e as Error).message);
    }
  }
  try {
    return { params, config: workbookConfig(profile, params) };
  } catch (e) {
    throw new InputError(`--param: ${(e as Error).message}`);
  }
}
