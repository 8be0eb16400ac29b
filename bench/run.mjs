// `npm run bench -- <feature> [--smoke]`: runs bench/<feature>.mjs, which prints one line per
// figure, `ratio <name> <value> target <op><value> vs <anchor>`, measured side by side with its
// anchor in one run on one machine. --smoke runs a tiny version so CI keeps the benchmark working.
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const features = readdirSync(here)
  .filter(f => f.endsWith('.bench.mjs'))
  .map(f => f.replace('.bench.mjs', ''));
const [feature, ...rest] = process.argv.slice(2);
if (!feature || !features.includes(feature)) {
  console.error(
    `usage: npm run bench -- <feature> [--smoke]\nbenchmarks: ${features.join(', ') || '(none yet)'}`
  );
  process.exit(2);
}
const mod = await import(
  pathToFileURL(path.join(here, `${feature}.bench.mjs`)).href
);
await mod.run({ smoke: rest.includes('--smoke') });
