/**
 * `vigil rules coverage`: the pack's ATT&CK coverage against the vendored technique list, and the Navigator
 * export checked against the layer format 4.5 (navigator-layer-schema.ts) through the real CLI.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { computeCoverage, loadAttackCatalog, toNavigatorLayer, type AttackCatalog, type Coverage } from '../../src/coverage';
import { loadRuleSet } from '../../src/sigma';
import { runVigil } from '../helpers/vigil-process';
import { NavigatorLayerSchema } from './navigator-layer-schema';

const rulesRoot = resolve(__dirname, '../../rules');
let catalog: AttackCatalog;
let coverage: Coverage;

beforeAll(async () => {
  catalog = loadAttackCatalog();
  const { ruleSet, errors } = await loadRuleSet([rulesRoot]);
  expect(errors).toEqual([]);
  coverage = computeCoverage(ruleSet, catalog);
});

const coveredIds = (tactic: string) => coverage.tactics.find((t) => t.shortname === tactic)!.covered.map((c) => c.id);

describe('the vendored ATT&CK technique list', () => {
  test('holds the 14 Enterprise tactics in matrix order and the Linux, IaaS and Containers techniques', () => {
    expect(catalog.tactics.map((t) => t.shortname)).toEqual([
      'reconnaissance', 'resource-development', 'initial-access', 'execution', 'persistence', 'privilege-escalation', 'defense-evasion',
      'credential-access', 'discovery', 'lateral-movement', 'collection', 'command-and-control', 'exfiltration', 'impact',
    ]);
    expect(catalog.techniques.get('T1552.005')).toMatchObject({ name: 'Cloud Instance Metadata API', tactics: ['credential-access'] });
    expect(catalog.techniques.get('T1611')?.platforms).toContain('Containers');
    expect(catalog.techniques.size).toBeGreaterThan(300);
  });

  test('malformed data is refused with the offending path', () => {
    expect(() => loadAttackCatalog({ attack: {}, tactics: [], techniques: [] })).toThrow(/domain/);
    const good = { attack: { domain: 'enterprise-attack', version: '18.1', source: 's', platforms: ['Linux'] }, tactics: [{ id: 'TA0002', shortname: 'execution', name: 'Execution' }] };
    expect(() => loadAttackCatalog({ ...good, techniques: [{ id: 'T1059', name: 'x', tactics: ['lateral-movement'], platforms: [] }] })).toThrow(/T1059 names a tactic/);
  });
});

describe('coverage of the rule pack', () => {
  test('every technique tag in the pack is a technique of the list (no typos, nothing revoked)', () => {
    expect(coverage.unknownTechniques).toEqual([]);
  });

  test('the cloud-native families of the attack catalogue are covered under their tactics', () => {
    expect(coveredIds('credential-access')).toEqual(expect.arrayContaining(['T1552.005', 'T1552.007', 'T1528', 'T1555.006', 'T1003.008']));
    expect(coveredIds('execution')).toEqual(expect.arrayContaining(['T1651', 'T1609', 'T1610']));
    expect(coveredIds('defense-evasion')).toEqual(expect.arrayContaining(['T1562.001', 'T1562.008', 'T1070.002']));
    expect(coveredIds('exfiltration')).toEqual(['T1537']);
    expect(coveredIds('impact')).toEqual(expect.arrayContaining(['T1485', 'T1486', 'T1490', 'T1496']));
    expect(coveredIds('privilege-escalation')).toContain('T1611');
  });

  test('a rule counts under the tactic it is tagged with, and informational building blocks do not count', () => {
    const t1078 = coverage.tactics.flatMap((t) => t.covered.filter((c) => c.id === 'T1078.004').map((c) => [t.shortname, c.rules.map((r) => r.name)] as const));
    const root = t1078.find(([tactic]) => tactic === 'privilege-escalation')?.[1] ?? [];
    expect(root).toContain('aws_cloudtrail_root_user_activity');
    const everyRule = coverage.tactics.flatMap((t) => t.covered.flatMap((c) => c.rules.map((r) => r.name)));
    expect(everyRule).not.toContain('aws_cloudtrail_recon_api_call');
    expect(coverage.byLogsource).toMatchObject({ 'aws/cloudtrail': expect.any(Number), 'kubernetes/audit': expect.any(Number), 'linux/process_creation': expect.any(Number), 'linux/auditd': expect.any(Number), correlation: expect.any(Number) });
  });

  test('the layer pairs every technique with a tactic it belongs to, scored by its rule count', () => {
    const layer = toNavigatorLayer(coverage);
    for (const t of layer.techniques) expect({ id: t.techniqueID, ok: catalog.techniques.get(t.techniqueID)?.tactics.includes(t.tactic) }).toEqual({ id: t.techniqueID, ok: true });
    const scored = layer.techniques.filter((t) => t.score !== undefined);
    expect(Math.max(...scored.map((t) => t.score!))).toBe(layer.gradient.maxValue);
    // A covered sub-technique brings its parent into view, expanded.
    const parent = layer.techniques.find((t) => t.techniqueID === 'T1552' && t.tactic === 'credential-access');
    expect(parent?.showSubtechniques).toBe(true);
  });
});

describe('vigil rules coverage (CLI)', () => {
  test('--format navigator prints a layer that satisfies the layer format 4.5', () => {
    const r = runVigil(['rules', 'coverage', rulesRoot, '--format', 'navigator'], {});
    expect(r.status).toBe(0);
    const parsed = NavigatorLayerSchema.safeParse(JSON.parse(r.stdout));
    expect(parsed.success ? [] : parsed.error.issues).toEqual([]);
    expect(parsed.data?.techniques?.length).toBeGreaterThan(50);
  });

  test('--format json and md report the same numbers; an unknown format and a broken rule are errors', () => {
    const json = runVigil(['rules', 'coverage', rulesRoot, '--format', 'json'], {});
    const data = JSON.parse(json.stdout) as Coverage;
    const md = runVigil(['rules', 'coverage', rulesRoot], {});
    const impact = data.tactics.find((t) => t.shortname === 'impact')!;
    expect(md.stdout).toContain(`| Impact (TA0040) | ${impact.covered.length} | ${impact.total} |`);
    expect(runVigil(['rules', 'coverage', rulesRoot, '--format', 'xml'], {}).status).toBe(2);

    const dir = mkdtempSync(join(tmpdir(), 'vigil-coverage-'));
    mkdirSync(join(dir, 'sigma'));
    writeFileSync(join(dir, 'sigma', 'bad.yml'), 'title: x\nlogsource: {product: aws, service: cloudtrail}\ndetection:\n  sel: {eventName: X}\n  condition: sel or\n');
    writeFileSync(join(dir, 'sigma', 'good.yml'), 'title: y\nid: y\nname: y\ntags: [attack.impact, attack.t1485]\nlogsource: {product: aws, service: cloudtrail}\ndetection:\n  sel: {eventName: DeleteBucket}\n  condition: sel\nlevel: high\n');
    const partial = runVigil(['rules', 'coverage', dir, '--format', 'json'], {});
    expect(partial.status).toBe(1);
    expect((JSON.parse(partial.stdout) as Coverage).tactics.find((t) => t.shortname === 'impact')!.covered.map((c) => c.id)).toEqual(['T1485']);
  });
});
