/** Where a correlator opens in the Temporal Web UI. Pure: the ingest router and the workflow sandbox both use it. */
export const defaultUiBaseUrl = 'http://localhost:8233';

export function correlatorLink(uiBaseUrl: string, namespace: string, workflowId: string): string {
  return `${uiBaseUrl.replace(/\/+$/, '')}/namespaces/${namespace}/workflows/${encodeURIComponent(workflowId)}`;
}
