/**
 * The one-way dependency rule of ARCHITECTURE.md: a module imports only from its own layer or layers below it.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative, resolve, dirname } from 'node:path';
import { describe, expect, it } from 'vitest';

const LAYERS = ['util', 'kernel', 'model', 'workload', 'metrics', 'mechanisms', 'policies', 'scenario', 'backends', 'report', 'cli'];

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : path.endsWith('.ts') ? [path] : [];
  });
}

function layerOf(file: string): number {
  const top = relative('src', file).split(/[\\/]/)[0];
  return LAYERS.indexOf(top);
}

describe('layers', () => {
  it('ARCHITECTURE.md lists the layers in this order', () => {
    const text = readFileSync('ARCHITECTURE.md', 'utf8');
    const positions = LAYERS.map((layer) => text.indexOf(`\n${layer} `));
    expect(positions.every((p) => p > 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
  });

  it('no module imports from a higher layer', () => {
    const violations: string[] = [];
    for (const file of files('src')) {
      const own = layerOf(file);
      if (own < 0) continue; // src/index.ts and the like
      const source = readFileSync(file, 'utf8');
      for (const match of source.matchAll(/(?:import|export)[^'"]*?from\s+'(\.[^']+)'/g)) {
        const target = relative('.', resolve(dirname(file), match[1]));
        const layer = layerOf(target);
        if (layer > own) violations.push(`${file} imports ${match[1]} (${LAYERS[own]} → ${LAYERS[layer]})`);
      }
      for (const match of source.matchAll(/import\('(\.[^']+)'\)/g)) {
        const layer = layerOf(relative('.', resolve(dirname(file), match[1])));
        if (layer > own) violations.push(`${file} imports ${match[1]} dynamically`);
      }
    }
    expect(violations).toEqual([]);
  });
});
