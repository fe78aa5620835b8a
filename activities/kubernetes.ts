/**
 * The Kubernetes client actions use (@kubernetes/client-node). The configuration is loaded for every
 * action, so what the files say now is what the action uses: a projected service-account token that
 * the kubelet rotated, a renewed kubeconfig or token file. Within one action the library caches the
 * token for up to 60 s, as client-go does. Three sources:
 *   in-cluster  the pod's service account (KUBERNETES_SERVICE_HOST/PORT, token file, cluster CA)
 *   kubeconfig  a kubeconfig file (CA data or file, client certificates, tokens, exec plugins), one context
 *   token       a static API server URL and bearer token (a private CA via NODE_EXTRA_CA_CERTS)
 * Failures are classified for Temporal: 408, 429, 5xx and network errors retry; other refusals are
 * VGL_ACTION_REJECTED; an unreadable configuration, token or CA file is VGL_ACTION_NOT_CONFIGURED.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { KubeConfig } from '@kubernetes/client-node';
import type { ActionClient, KubernetesApis } from '../src/response/actions/action';
import { notConfigured } from './http-call';

type ClientNode = typeof import('@kubernetes/client-node');
let clientNode: ClientNode | undefined;
/**
 * Loaded on first use: the library is about a thousand modules (seconds of start-up), which every CLI
 * command would otherwise pay, since they all import the worker's activities.
 */
const k8sLib = (): ClientNode => (clientNode ??= require('@kubernetes/client-node') as ClientNode);

export type KubernetesSettings =
  /** `pathPrefix` roots the service-account files (/var/run/secrets/kubernetes.io/serviceaccount/…); tests only. */
  | { kind: 'in-cluster'; pathPrefix?: string }
  | { kind: 'kubeconfig'; path: string; context?: string }
  | { kind: 'token'; apiServerUrl: string; token: string };

function describe(settings: KubernetesSettings): string {
  switch (settings.kind) {
    case 'in-cluster':
      return 'in-cluster service account';
    case 'kubeconfig':
      return `kubeconfig ${settings.path}${settings.context ? ` (context ${settings.context})` : ''}`;
    case 'token':
      return `API server ${settings.apiServerUrl}`;
  }
}

function loadKubeConfig(settings: KubernetesSettings): KubeConfig {
  const config = new (k8sLib().KubeConfig)();
  switch (settings.kind) {
    case 'in-cluster':
      config.loadFromCluster(settings.pathPrefix);
      break;
    case 'kubeconfig':
      config.loadFromFile(settings.path);
      if (settings.context) config.setCurrentContext(settings.context);
      break;
    case 'token':
      // The library refuses plain http unless told TLS is skipped; there is no TLS to verify on http.
      config.loadFromClusterAndUser({ name: 'vigil', server: settings.apiServerUrl, skipTLSVerify: settings.apiServerUrl.startsWith('http:') }, { name: 'vigil', token: settings.token });
      break;
  }
  if (!config.getCurrentCluster()) throw new Error(`no cluster for context ${config.getCurrentContext()}`);
  return config;
}

const retryableStatuses = new Set([408, 429]);
const fileErrors = new Set(['ENOENT', 'EACCES', 'EISDIR']);

/** The API server's own words: a `kind: Status` message, or the start of the body. */
function statusMessage(body: unknown): string {
  if (typeof body === 'string') {
    try {
      return statusMessage(JSON.parse(body));
    } catch {
      return body.slice(0, 300);
    }
  }
  const message = (body as { message?: unknown } | undefined)?.message;
  return typeof message === 'string' ? message : JSON.stringify(body ?? '').slice(0, 300);
}

function classify(err: unknown, what: string, source: string): Error {
  const { ApiException, FetchError } = k8sLib();
  if (err instanceof ApiException) {
    const message = `Kubernetes ${what} → HTTP ${err.code}: ${statusMessage(err.body)}`;
    if (err.code >= 500 || retryableStatuses.has(err.code)) return ApplicationFailure.retryable(message, 'HttpUnavailable');
    return ApplicationFailure.nonRetryable(message, 'VGL_ACTION_REJECTED');
  }
  if (err instanceof FetchError) return ApplicationFailure.retryable(`Kubernetes ${what} (${source}): ${err.message}`, 'HttpUnreachable');
  const code = (err as NodeJS.ErrnoException).code;
  if (code && fileErrors.has(code)) return notConfigured(`Kubernetes ${source}: ${(err as Error).message}`);
  return err as Error;
}

/** A client for one action, from the configuration as it is now (see the header). */
export function kubernetesClient(settings: KubernetesSettings): ActionClient<KubernetesApis, number> {
  const source = describe(settings);
  const { ApiException, AppsV1Api, CoreV1Api, NetworkingV1Api, PatchStrategy, setHeaderOptions } = k8sLib();
  let apis: KubernetesApis;
  try {
    const config = loadKubeConfig(settings);
    apis = {
      core: config.makeApiClient(CoreV1Api),
      apps: config.makeApiClient(AppsV1Api),
      networking: config.makeApiClient(NetworkingV1Api),
      mergePatch: setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    };
  } catch (err) {
    throw notConfigured(`Kubernetes ${source}: ${(err as Error).message}`);
  }
  return {
    async call(what, fn, accept = []) {
      try {
        return await fn(apis);
      } catch (err) {
        if (err instanceof ApiException && accept.includes(err.code)) return undefined;
        throw classify(err, what, source);
      }
    },
  };
}
