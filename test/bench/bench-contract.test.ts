/**
 * The benchmark contract: `vigil bench --quick --out FILE` writes `{"figures":[{name, value, unit, load}]}`, and
 * the check `vigil bench` runs after every run (contractProblems) reports missing contract names and figures
 * without a load or unit. Runs the cheap modules (no Temporal: soak, correlation, correlator-state) for real;
 * their speed is not asserted, only that every figure is there and stated.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { contractFigures, contractProblems } from '../../src/bench/support/bench-contract';
import type { BenchFigure } from '../../src/bench/support/bench-figure';
import { runVigilAsync } from '../helpers/vigil-process';

const cheap = ['soak', 'correlation', 'correlator-state'];
let figures: BenchFigure[];

beforeAll(async () => {
  const out = path.join(mkdtempSync(path.join(tmpdir(), 'vigil-bench-contract-')), 'figures.json');
  const run = await runVigilAsync(['bench', ...cheap, '--quick', '--out', out], {});
  expect({ status: run.status, stderr: run.stderr.slice(-2000) }).toEqual({ status: 0, stderr: expect.not.stringContaining('contract not met') });
  figures = (JSON.parse(readFileSync(out, 'utf8')) as { figures: BenchFigure[] }).figures;
}, 300_000);

test('every figure of a quick run states its load, and every number its unit and a finite value', () => {
  expect(figures.length).toBeGreaterThan(10);
  for (const f of figures) {
    expect(f.name).toMatch(/^[a-z-]+\.[a-z0-9_]+$/);
    expect(f.load.length).toBeGreaterThan(0);
    if (typeof f.value === 'number') {
      expect(Number.isFinite(f.value)).toBe(true);
      expect(f.unit.length).toBeGreaterThan(0);
    }
  }
  const byName = new Map(figures.map((f) => [f.name, f]));
  expect(byName.get('ingest.events_per_sec_per_core')).toMatchObject({ unit: 'events/s', value: expect.any(Number) });
  expect(byName.get('ingest.events_per_sec_per_core')!.value).toBeGreaterThan(0);
  expect(byName.get('correlation.core_events_per_sec')!.value).toBeGreaterThan(0);
  expect(contractProblems(figures, cheap)).toEqual([]);
});

test('the contract check names each missing figure with its module, and figures without load or unit', () => {
  const withoutIngest = figures.filter((f) => f.name !== 'ingest.events_per_sec_per_core');
  expect(contractProblems(withoutIngest, cheap)).toEqual(['missing ingest.events_per_sec_per_core (measured by soak)']);
  // Only the modules that ran are held to their names: none of the correlator's is expected from these modules.
  const correlatorNames = Object.entries(contractFigures).filter(([, m]) => m === 'correlator').map(([n]) => n);
  expect(correlatorNames.length).toBeGreaterThan(5);
  expect(contractProblems(figures, [...cheap, 'correlator'])).toEqual(correlatorNames.map((n) => `missing ${n} (measured by correlator)`));
  const [first, ...rest] = figures.filter((f) => typeof f.value === 'number');
  const unstated = [{ ...first!, load: ' ', unit: '' }, ...rest, ...figures.filter((f) => typeof f.value !== 'number')];
  expect(contractProblems(unstated, [])).toEqual([`${first!.name} states no load`, `${first!.name} has no unit`]);
});
