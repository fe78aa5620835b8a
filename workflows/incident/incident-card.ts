/**
 * The incident card: the Markdown an incident keeps as its workflow's current details, which the Temporal UI shows on
 * the incident's page. Status and severity, the ATT&CK tactics seen in kill-chain order, the alert count and the
 * latest alerts (each linked to its entity's correlator), the entities, the playbooks it started and the last rows of
 * the merged timeline. A merged incident points to the one that took it over.
 *
 * Pure and bounded (at most MAX_ROWS of each list, the entities cut at MAX_ENTITY_LINKS): the incident renders it only
 * in activations where its state changed (cardKey), and current details are held in worker memory, never in history.
 */
import type { IncidentView } from '../../src/contracts/incident/messages';
import type { EntityRef } from '../../src/model/entity';
import { mdLink, mdTable, mdText, utcTime } from '../../src/model/markdown';
import { attackTags, MAX_ROWS } from '../correlator/entity-card';

const MAX_ENTITY_LINKS = 20;

export interface IncidentCardInput {
  view: IncidentView;
  /** The Temporal UI page of a workflow id. */
  linkTo: (workflowId: string) => string;
  /** The correlator workflow id of an entity of the incident's tenant. */
  correlatorOf: (entity: EntityRef) => string;
}

/** Changes whenever anything the card shows changes: the incident renders its card again only then. */
export function cardKey(view: IncidentView): string {
  return [view.status, view.updatedAt, view.alertCount, view.playbooks.length, view.mergedFrom.length].join('|');
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/** Header, tactics, entities and the latest alerts first, the timeline table last (the UI's frame has a fixed height). */
export function renderIncidentCard({ view, linkTo, correlatorOf }: IncidentCardInput): string {
  const entityLink = (entity: EntityRef): string => mdLink(`${entity.type} ${entity.id}`, linkTo(correlatorOf(entity)));
  const status = view.status === 'resolved' && view.verdict ? `resolved (${view.verdict.replace(/_/g, ' ')})` : view.status;
  const lines = [
    `### Incident ${mdText(view.id)}`,
    `**Severity ${view.severity}** · ${status} · ${plural(view.alertCount, 'alert')} · ${view.entities.length} ${view.entities.length === 1 ? 'entity' : 'entities'} · tenant ${mdText(view.tenant)} · opened ${utcTime(view.createdAt)}`,
  ];
  if (view.mergedInto) lines.push('', `**Merged into** ${mdLink(view.mergedInto.id, linkTo(view.mergedInto.workflowId))}`);
  // An arrow between tactics, not a slash or a dash: the UI's Markdown would typeset those.
  lines.push('', `**Tactics** ${view.tactics.length > 0 ? view.tactics.map((t) => mdText(t.replace(/[-_]/g, ' '))).join(' → ') : 'none tagged'}`);
  const shown = view.entities.slice(0, MAX_ENTITY_LINKS).map(entityLink);
  lines.push('', `**Entities** ${shown.join(' · ')}${view.entities.length > shown.length ? ` · …and ${view.entities.length - shown.length} more` : ''}`);

  const latest = view.alerts.slice(-MAX_ROWS).reverse();
  lines.push('', `#### Latest alerts (${latest.length} of ${view.alertCount})`);
  if (latest.length === 0) lines.push('None yet.');
  for (const alert of latest) {
    const attack = attackTags(alert.rule.tags);
    lines.push(`- **${alert.rule.level}** ${mdText(alert.rule.title)} · \`${alert.id}\` on ${entityLink(alert.entity)} · ${utcTime(alert.raisedAt)}${attack ? ` · ATT&CK ${mdText(attack)}` : ''}`);
  }
  if (view.playbooks.length > 0) {
    lines.push('', '#### Playbooks');
    for (const workflowId of view.playbooks.slice(-MAX_ROWS).reverse()) lines.push(`- ${mdLink(workflowId, linkTo(workflowId))}`);
  }
  const rows = view.timeline.slice(-MAX_ROWS).reverse();
  lines.push('', `#### Timeline (last ${rows.length} of ${view.timeline.length})`);
  if (rows.length === 0) lines.push('No events yet.');
  else lines.push(...mdTable(['Time (UTC)', 'Source', 'Rule', 'Entity'], rows.map((r) => [utcTime(r.time), mdText(r.source), mdText(r.rule, 80), mdText(r.entity, 80)])));
  return lines.join('\n');
}

/** The incident's static summary (its line in the UI's workflow list and page), set by the router when it starts it. */
export function incidentSummary(tenant: string, firstAlert: { rule: { level: string; title: string }; entity: EntityRef }): string {
  return `incident · tenant ${tenant} · opened by ${firstAlert.rule.level} "${firstAlert.rule.title}" on ${firstAlert.entity.type} ${firstAlert.entity.id}`.slice(0, 200);
}
