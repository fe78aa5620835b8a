/**
 * `k8s.deletePod` in a playbook on a real Temporal server against the Kubernetes API fake: the pod the
 * alert names is deleted, nothing is held (no undo exists, so a run without TTL ends at once), a pod
 * already gone counts as deleted, a binding can name another pod, and a dry run sends nothing.
 */
import type { PlaybookReport } from '../../../src/model/playbook';
import { playbookStatusQuery } from '../../../workflows/playbook/messages';
import { startKubernetesApiFake, type KubernetesApiFake } from '../../helpers/fakes/kubernetes-api';
import { bindingFrom, podAlert, responseConfig } from '../fixtures';
import { startPlaybookHarness, type PlaybookHarness } from '../harness';

let harness: PlaybookHarness;
let k8s: KubernetesApiFake;

beforeAll(async () => {
  harness = await startPlaybookHarness('action-k8s-delete-pod');
  k8s = await startKubernetesApiFake('k8s-token', { pods: new Map(), networkPolicies: new Map(), deploymentReplicas: new Map(), nodesUnschedulable: new Map() });
});

afterAll(async () => {
  await k8s?.close();
  await harness?.teardown();
});

const binding = (step: string, extra = '') => `
bindings:
  - playbook: delete
    match: {}
    params:
      notify: []
      containment: [${step}]
${extra}`;

async function run(yaml: string, alert = podAlert()): Promise<{ report: PlaybookReport; holds: string[]; activities: string[] }> {
  return harness.withWorker({ dryRun: false, responses: responseConfig(yaml), kubernetes: { kind: 'token', apiServerUrl: k8s.url, token: 'k8s-token' } }, async () => {
    const handle = await harness.startPlaybook(alert, bindingFrom(yaml, 'delete'));
    const report = await handle.result();
    const history = await handle.fetchHistory();
    await harness.replay(handle);
    return {
      report,
      holds: (await handle.query(playbookStatusQuery)).holds,
      activities: history.events!.flatMap((e) => (e.activityTaskScheduledEventAttributes ? [e.activityTaskScheduledEventAttributes.activityType!.name!] : [])),
    };
  });
}

test('deletes the pod the alert is about; irreversible, so nothing is held and the run ends without a TTL', async () => {
  k8s.cluster.pods.set('shop/del-1', { labels: {} });
  const before = k8s.requests.length;
  const { report, holds, activities } = await run(binding('{ action: k8s.deletePod }'), podAlert({ entity: { type: 'pod', id: 'shop/del-1' } }));
  expect(report.outcome).toBe('completed');
  expect(report.containment).toEqual({ applied: ['deleted pod shop/del-1'] });
  expect(holds).toEqual([]);
  expect(activities.filter((a) => a !== 'readEntityState')).toEqual(['deletePod']);
  expect(k8s.requests.slice(before).map((r) => `${r.method} ${r.path}`)).toEqual(['DELETE /api/v1/namespaces/shop/pods/del-1']);
  expect(k8s.cluster.pods.has('shop/del-1')).toBe(false);
});

test('a pod already gone (404) counts as deleted; the binding may name the pod from an event field', async () => {
  const alert = podAlert({ entity: { type: 'host', id: 'node-a' }, events: [{ id: 'e', time: 1, source: 'k8s_audit', fields: { 'objectRef.name': 'gone-1', 'objectRef.namespace': 'batch' } }] });
  const { report } = await run(binding('{ action: k8s.deletePod, pod: { field: objectRef.name }, namespace: { field: objectRef.namespace } }'), alert);
  expect(report.outcome).toBe('completed');
  expect(report.actions).toContain('deleted pod batch/gone-1');
});

test('dry run: says what it would delete and sends nothing', async () => {
  k8s.cluster.pods.set('shop/dry-1', { labels: {} });
  const before = k8s.requests.length;
  const { report } = await run(binding('{ action: k8s.deletePod }', '      dryRun: true'), podAlert({ entity: { type: 'pod', id: 'shop/dry-1' } }));
  expect(report.actions).toContain('[dry-run] deleted pod shop/dry-1');
  expect(k8s.requests.length).toBe(before);
  expect(k8s.cluster.pods.has('shop/dry-1')).toBe(true);
});
