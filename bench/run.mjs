// `pnpm bench` runs every benchmark in turn; each prints its own side-by-side ratios.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const only = process.argv.slice(2);
const scripts = readdirSync(here)
  .filter((name) => name.endsWith('.ts') && !name.endsWith('.d.ts'))
  .map((name) => name.replace(/\.ts$/, ''))
  .filter((name) => only.length === 0 || only.includes(name));

if (scripts.length === 0) {
  console.log('no benchmarks built yet');
  process.exit(0);
}
let failed = 0;
for (const name of scripts) {
  console.log(`\n=== bench/${name}`);
  const result = spawnSync('pnpm', ['exec', 'tsx', join(here, `${name}.ts`)], { stdio: 'inherit', cwd: here });
  if (result.status !== 0) failed += 1;
}
process.exit(failed === 0 ? 0 : 1);
