/**
 * A fake Kubernetes API server speaking the REST shapes Vigil uses: core/v1 pods and nodes,
 * networking.k8s.io/v1 NetworkPolicies, apps/v1 deployment scale subresource. HTTPS when given a
 * certificate (as API servers are). The current bearer token is required (401 Status otherwise; rotate
 * it with `rotateToken`, as a projected service-account token rotates), PATCH must be merge-patch (415
 * otherwise), errors are `kind: Status` objects with the documented codes (404 NotFound, 409
 * AlreadyExists). Failures can be scripted per route.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { makeTestCa } from '../test-ca';
import { startHttpFake, type FakeReply, type HttpFake, type RecordedRequest } from './http-fake';

type Labels = Record<string, string>;

export interface FakeCluster {
  pods: Map<string, { labels: Labels }>;
  networkPolicies: Map<string, { podSelector: { matchLabels: Labels }; policyTypes: string[] }>;
  deploymentReplicas: Map<string, number>;
  nodesUnschedulable: Map<string, boolean>;
}

export interface ScriptedFailure {
  method: string;
  path: RegExp;
  status: number;
  times: number;
}

export interface KubernetesApiFake extends HttpFake {
  cluster: FakeCluster;
  /** Makes the next `times` matching requests fail with `status`. */
  fail(failure: ScriptedFailure): void;
  /** From now on only `token` is accepted. */
  rotateToken(token: string): void;
}

const status = (code: number, reason: string, message: string): FakeReply => ({
  status: code,
  body: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code },
});

/** RFC 7386 merge patch for label maps: null deletes. */
function mergeLabels(labels: Labels, patch: Record<string, string | null>): Labels {
  const merged = { ...labels };
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete merged[key];
    else merged[key] = value;
  }
  return merged;
}

export async function startKubernetesApiFake(initialToken: string, cluster: FakeCluster, tls?: { cert: string; key: string }): Promise<KubernetesApiFake> {
  const failures: ScriptedFailure[] = [];
  let token = initialToken;
  const route = (req: RecordedRequest): FakeReply => {
    if (req.headers.authorization !== `Bearer ${token}`) return status(401, 'Unauthorized', 'Unauthorized');
    const failure = failures.find((f) => f.times > 0 && f.method === req.method && f.path.test(req.path));
    if (failure) {
      failure.times -= 1;
      return status(failure.status, failure.status === 403 ? 'Forbidden' : 'InternalError', `scripted ${failure.status}`);
    }
    if (req.method === 'PATCH' && req.headers['content-type'] !== 'application/merge-patch+json') return status(415, 'UnsupportedMediaType', 'use merge-patch');
    const body = req.body ? JSON.parse(req.body) : undefined;
    let m: RegExpExecArray | null;
    if ((m = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)$/.exec(req.path))) {
      const key = `${m[1]}/${m[2]}`;
      const pod = cluster.pods.get(key);
      if (!pod) return status(404, 'NotFound', `pods "${m[2]}" not found`);
      if (req.method === 'PATCH') {
        pod.labels = mergeLabels(pod.labels, body.metadata.labels);
        return { status: 200, body: { kind: 'Pod', metadata: { name: m[2], namespace: m[1], labels: pod.labels } } };
      }
      if (req.method === 'DELETE') {
        cluster.pods.delete(key);
        return { status: 200, body: { kind: 'Pod', metadata: { name: m[2], namespace: m[1] } } };
      }
    }
    if ((m = /^\/apis\/networking\.k8s\.io\/v1\/namespaces\/([^/]+)\/networkpolicies(?:\/([^/]+))?$/.exec(req.path))) {
      if (req.method === 'POST' && !m[2]) {
        const key = `${m[1]}/${body.metadata.name}`;
        if (body.kind !== 'NetworkPolicy' || body.apiVersion !== 'networking.k8s.io/v1') return status(400, 'BadRequest', 'not a NetworkPolicy');
        if (cluster.networkPolicies.has(key)) return status(409, 'AlreadyExists', `networkpolicies "${body.metadata.name}" already exists`);
        cluster.networkPolicies.set(key, body.spec);
        return { status: 201, body };
      }
      if (req.method === 'DELETE' && m[2]) {
        const key = `${m[1]}/${m[2]}`;
        if (!cluster.networkPolicies.delete(key)) return status(404, 'NotFound', `networkpolicies "${m[2]}" not found`);
        return { status: 200, body: { kind: 'Status', status: 'Success' } };
      }
    }
    if ((m = /^\/apis\/apps\/v1\/namespaces\/([^/]+)\/deployments\/([^/]+)\/scale$/.exec(req.path))) {
      const key = `${m[1]}/${m[2]}`;
      const replicas = cluster.deploymentReplicas.get(key);
      if (replicas === undefined) return status(404, 'NotFound', `deployments.apps "${m[2]}" not found`);
      if (req.method === 'PATCH') cluster.deploymentReplicas.set(key, body.spec.replicas);
      const scale = { kind: 'Scale', apiVersion: 'autoscaling/v1', metadata: { name: m[2], namespace: m[1] }, spec: { replicas: cluster.deploymentReplicas.get(key) } };
      if (req.method === 'GET' || req.method === 'PATCH') return { status: 200, body: scale };
    }
    if ((m = /^\/api\/v1\/nodes\/([^/]+)$/.exec(req.path))) {
      const unschedulable = cluster.nodesUnschedulable.get(m[1]!);
      if (unschedulable === undefined) return status(404, 'NotFound', `nodes "${m[1]}" not found`);
      if (req.method === 'PATCH') cluster.nodesUnschedulable.set(m[1]!, body.spec.unschedulable);
      if (req.method === 'GET' || req.method === 'PATCH') return { status: 200, body: { kind: 'Node', metadata: { name: m[1] }, spec: { unschedulable: cluster.nodesUnschedulable.get(m[1]!) } } };
    }
    return status(405, 'MethodNotAllowed', `${req.method} ${req.path}`);
  };
  const fake = await startHttpFake(route, tls);
  return {
    ...fake,
    cluster,
    fail: (failure) => failures.push(failure),
    rotateToken: (next) => {
      token = next;
    },
  };
}

/** An empty fake cluster over HTTPS with a fresh private CA, and a kubeconfig file that reaches it with `token`. */
export async function startKubernetesApiFakeWithConfig(token: string): Promise<{ k8s: KubernetesApiFake; kubeconfig: string }> {
  const ca = makeTestCa();
  const k8s = await startKubernetesApiFake(token, { pods: new Map(), networkPolicies: new Map(), deploymentReplicas: new Map(), nodesUnschedulable: new Map() }, { cert: ca.serverCert, key: ca.serverKey });
  const kubeconfig = path.join(mkdtempSync(path.join(tmpdir(), 'vigil-kube-')), 'config');
  writeFileSync(kubeconfig, JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'fake', cluster: { server: k8s.url, 'certificate-authority-data': Buffer.from(ca.caCert).toString('base64') } }],
    users: [{ name: 'vigil', user: { token } }],
    contexts: [{ name: 'fake', context: { cluster: 'fake', user: 'vigil' } }],
    'current-context': 'fake',
  }));
  return { k8s, kubeconfig };
}
