/** Where a correlator opens in the Temporal Web UI, and the line it is listed under. Pure: the ingest router and the workflow sandbox both use it. */
import type { EntityRef } from '../../model/entity';

export const defaultUiBaseUrl = 'http://localhost:8233';

export function correlatorLink(uiBaseUrl: string, namespace: string, workflowId: string): string {
  return `${uiBaseUrl.replace(/\/+$/, '')}/namespaces/${namespace}/workflows/${encodeURIComponent(workflowId)}`;
}

/** The correlator's static summary (one line in the UI's workflow list and page); its card is the current details. */
export function correlatorSummary(tenant: string, entity: EntityRef): string {
  return `${entity.type} ${entity.id} · tenant ${tenant} · entity correlator`.slice(0, 200);
}
