/**
 * Where the registry packages that carry our fact bases live on disk. Files are read with
 * fs (lazily, once) rather than through each package's entry point, which for some of them
 * loads every file eagerly.
 */
import * as fs from 'fs';
import * as path from 'path';

function isPackageRoot(dir: string, name: string): boolean {
  const file = path.join(dir, 'package.json');
  if (!fs.existsSync(file)) return false;
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')).name === name;
  } catch {
    return false;
  }
}

/** Directory of an installed package (resolved from its main entry). */
export function packageDir(name: string): string {
  const main = require.resolve(name);
  let dir = path.dirname(main);
  // walk up to the folder whose package.json names this package (cjs/ folders carry their own)
  while (!isPackageRoot(dir, name)) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`packageDir: no package.json above ${main}`);
    dir = up;
  }
  return dir;
}
