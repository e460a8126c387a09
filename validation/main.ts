/**
 * `npm run validation`: runs every validation claim and writes validation/results.json, a list of
 * {id, claim, measured, target, pass}. docs/validation.md explains each claim. Exit code 1 if any claim fails.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { stableJson } from '../src/util/json.js';
import { validateCloudSim, type Claim } from './cloudsim.js';
import { validateSimGrid } from './simgrid.js';
import { validateQemu } from './qemu.js';
import { validateRelocation } from './relocation.js';
import { validateEnergy } from './energy.js';
import { validateFlexCore } from './flexcore.js';
import { validateGeiger } from './geiger.js';
import { validateReal } from './real.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const log = (line: string): void => {
  process.stdout.write(`${line}\n`);
};
const claims: Claim[] = [...validateCloudSim(log), ...validateQemu(log), ...validateSimGrid(log), ...validateRelocation(log), ...validateEnergy(log), ...validateFlexCore(log), ...(await validateGeiger(log)), ...(await validateReal(log))];
const out = join(root, 'validation', 'results.json');
writeFileSync(out, stableJson(claims));
const failed = claims.filter((c) => !c.pass);
log(`\n${claims.length - failed.length}/${claims.length} claims pass; wrote validation/results.json`);
process.exitCode = failed.length === 0 ? 0 : 1;
