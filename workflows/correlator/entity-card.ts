/**
 * The entity card: the Markdown a correlator keeps as its workflow's current details, which the Temporal UI shows on
 * the workflow's page (no query to run, no JSON to read). Risk, open alerts with their level, ATT&CK tags and incident,
 * the incidents they belong to, the last timeline rows, the playbook runs its alerts started and the other entities its events named, each a link to
 * its own workflow page.
 *
 * Pure and bounded (at most MAX_ROWS of each list): the correlator renders it only in activations where its state
 * changed, and current details are held in worker memory, never written to history.
 */
import type { StartedPlaybook } from '../../src/contracts/correlator/input';
import type { EntityStateView } from '../../src/contracts/correlator/messages';
import type { Alert } from '../../src/model/alert';
import type { EntityRef } from '../../src/model/entity';
import { mdLink, mdTable, mdText, utcTime } from '../../src/model/markdown';

/** Rows shown per list (alerts, timeline, playbooks, related entities). */
export const MAX_ROWS = 10;

export interface EntityCardInput {
  /** When the card was rendered (workflow time): risk decays after it until the next change renders it again. */
  asOf: number;
  view: EntityStateView;
  started: readonly StartedPlaybook[];
  related: readonly EntityRef[];
  /** The Temporal UI page of a workflow id. */
  linkTo: (workflowId: string) => string;
  /** The correlator workflow id of another entity of the same tenant. */
  correlatorOf: (entity: EntityRef) => string;
}

/** `T1059.004, T1611, execution`: an alert rule's ATT&CK techniques (upper case) then tactics. */
export function attackTags(tags: readonly string[]): string {
  const attack = tags.filter((t) => /^attack\./i.test(t)).map((t) => t.slice('attack.'.length));
  const techniques = attack.filter((t) => /^t\d{4}(\.\d{3})?$/i.test(t)).map((t) => t.toUpperCase());
  const tactics = attack.filter((t) => !/^t\d{4}/i.test(t) && !/^[gs]\d{4}$/i.test(t)).map((t) => t.replace(/[-_]/g, ' '));
  return [...techniques, ...tactics].join(', ');
}

function alertLine(alert: Alert): string {
  const attack = attackTags(alert.rule.tags);
  const incident = alert.incident ? ` · incident ${mdLink(alert.incident.id, alert.incident.link)}` : '';
  return `- **${alert.rule.level}** ${mdText(alert.rule.title)} · \`${alert.id}\` · ${alert.eventCount} event${alert.eventCount === 1 ? '' : 's'}, last ${utcTime(alert.lastSeen)}${attack ? ` · ATT&CK ${mdText(attack)}` : ''}${incident}`;
}

/**
 * Header, related entities and open alerts first, the timeline table last: the UI shows current details in a frame
 * of fixed height, so what an analyst needs first must come first.
 */
export function renderEntityCard(input: EntityCardInput): string {
  const { view } = input;
  const open = view.openAlerts;
  const related = input.related.slice(0, MAX_ROWS).map((entity) => mdLink(`${entity.type} ${entity.id}`, input.linkTo(input.correlatorOf(entity))));
  // The incidents of the open alerts, newest alert's first (one per id: several alerts usually share one).
  const incidents = new Map(open.flatMap((a) => (a.incident ? [[a.incident.id, a.incident] as const] : [])).reverse());
  const incidentLinks = [...incidents.values()].slice(0, MAX_ROWS).map((ref) => mdLink(ref.id, ref.link));
  const lines = [
    `### ${mdText(`${view.entity.type} ${view.entity.id}`)}`,
    // "of", not "28/100": the UI's Markdown renders a slash between numbers as a typeset fraction.
    `**Risk ${view.riskScore} of 100** (as of ${utcTime(input.asOf)}) · ${open.length} open alert${open.length === 1 ? '' : 's'} (${view.alertCount} raised) · ${view.eventCount} events · tenant ${mdText(view.tenant)}`,
    ...(incidentLinks.length > 0 ? ['', `**Incident${incidentLinks.length === 1 ? '' : 's'}** ${incidentLinks.join(' · ')}`] : []),
    ...(related.length > 0 ? ['', `**Related** ${related.join(' · ')}`] : []),
    '',
    `#### Open alerts`,
    ...(open.length === 0 ? ['None.'] : open.slice(-MAX_ROWS).reverse().map(alertLine)),
    ...(open.length > MAX_ROWS ? [`…and ${open.length - MAX_ROWS} older (query \`entityState\`).`] : []),
  ];
  const playbooks = input.started.slice(-MAX_ROWS).reverse();
  if (playbooks.length > 0) {
    lines.push('', '#### Playbooks');
    for (const run of playbooks) {
      const report = view.playbooks.find((r) => r.workflowId === run.workflowId && (r.alertId === run.alertId || r.alertIds?.includes(run.alertId)));
      lines.push(`- ${mdLink(run.playbook, input.linkTo(run.workflowId))} for \`${run.alertId}\` · ${report ? report.outcome : 'started'}`);
    }
  }
  const rows = view.timeline.slice(-MAX_ROWS).reverse();
  lines.push('', `#### Timeline (last ${rows.length} of ${view.eventCount})`);
  if (rows.length === 0) lines.push('No events yet.');
  else lines.push(...mdTable(['Time (UTC)', 'Source', 'Rules', 'Event'], rows.map((r) => [utcTime(r.time), mdText(r.source), mdText(r.rules.join(', '), 80), mdText(r.summary, 100)])));
  return lines.join('\n');
}
