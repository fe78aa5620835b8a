/**
 * The fault suite's stack, every part a real process that a test can kill: Mosquitto (persistence on),
 * a Temporal dev server on a SQLite file, `vigil ingest` and `vigil worker` from the built CLI. A steady
 * stream of Kubernetes exec events is published through the collectors' BatchPublisher, and the ledger
 * accounts for every published event: archived or dead-lettered, and counted exactly once by the
 * correlators of the entities it names.
 */
import { chmodSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import mqtt, { type MqttClient } from 'mqtt';
import { BatchPublisher } from '../../src/collect/batch-publisher';
import type { RawEvent } from '../../src/model/event';
import { readCredentialFile } from '../../src/mqtt/broker-credentials';
import { brokerIdentities, collectorUsername, tenantOperatorUsername } from '../../src/mqtt/broker-policy';
import { deadLetterTopic } from '../../src/mqtt/topics';
import { connectClient } from '../../src/temporal/client';
import { correlatorWorkflowId } from '../../src/temporal/workflow-ids';
import { entityStateQuery } from '../../src/contracts/correlator/messages';
import { archivedEvents } from '../helpers/archived-events';
import { mosquittoPlace, startMosquitto, type Mosquitto } from '../helpers/mosquitto';
import { makeRulesDir, podExecEvent } from '../helpers/rules-dir';
import { eventually, uniqueTenant } from '../helpers/shared-servers';
import { testLogger } from '../helpers/temporal-env';
import { runVigil, startVigil, type VigilProcess } from '../helpers/vigil-process';
import { startRestartableTemporal, type RestartableTemporal } from './restartable-temporal';

/** High level (one alert per entity), no ATT&CK tactic that binds a playbook: the suite measures delivery, not response. */
const streamRule = `
title: Fault suite - exec into a pod
id: 6d0c7c1e-2f4b-4c55-9a0e-5b1f3c7d9e21
status: test
tags: [attack.t1609]
logsource: { product: kubernetes, service: audit }
detection:
  selection:
    objectRef.resource: pods
    objectRef.subresource: exec
  condition: selection
level: high
`;

export interface Role {
  current: VigilProcess;
  kill9(): Promise<void>;
  start(): Promise<void>;
}

export interface StreamResult {
  /** Event ids the broker acknowledged (PUBACK), in publish order. */
  published: string[];
  dropped: number;
}

export interface Ledger {
  archived: Set<string>;
  /** Every dead letter the tenant's operator received, in order. */
  deadLettered: DeadLetterSeen[];
  /** eventCount and alert ids of each entity's correlator. */
  correlators: Map<string, { eventCount: number; alertIds: string[]; linkedAlertIds: string[] }>;
}

export interface DeadLetterSeen {
  code: string;
  reason: string;
  /** The dead-lettered event's id (one bad event of a batch). */
  eventId?: string;
  /** The whole message's bytes (a message that is not a batch). */
  payloadBase64?: string;
}

export interface FaultStack {
  tenant: string;
  mosquitto: Mosquitto;
  temporal: RestartableTemporal;
  ingest: Role;
  worker: Role;
  dataDir: string;
  /** Pods the stream spreads over (each event also names its pod's user). */
  pods: string[];
  stream(count: number, perSecond: number, midway?: () => Promise<void>): Promise<StreamResult>;
  /** Publishes raw bytes on the tenant's event topic (poison, fuzz) and waits for the broker's PUBACK. */
  publishRaw(payload: Buffer): Promise<void>;
  ledger(): Promise<Ledger>;
  /** Waits until every published event is archived or dead-lettered and every detection counted once. */
  settled(published: string[], timeoutMs?: number): Promise<Ledger>;
  stop(): Promise<void>;
}

/** The correlators an event of `pod` reaches: the pod's and its user's. */
export function entityIdsOf(tenant: string, pod: string): string[] {
  return [correlatorWorkflowId(tenant, { type: 'pod', id: `faults/${pod}` }), correlatorWorkflowId(tenant, { type: 'user', id: `u-${pod}` })];
}

async function startRole(args: string[], env: Record<string, string>, readyLine?: string): Promise<Role> {
  const role: Role = {
    current: undefined as unknown as VigilProcess,
    kill9: async () => role.current.kill9(),
    start: async () => {
      role.current = startVigil(args, env);
      if (readyLine) await eventually(async () => (role.current.output().includes(readyLine) ? true : undefined), `${args[0]} ready: ${role.current.output()}`, 60_000, 100);
    },
  };
  await role.start();
  return role;
}

/** A torn last frame after kill -9 is skipped by the reader; its events were not acknowledged, so they are redelivered and rewritten. */
async function readArchive(dataDir: string, tenant: string): Promise<Set<string>> {
  return new Set((await archivedEvents(path.join(dataDir, 'archive'), tenant, 'k8s_audit')).keys());
}

/**
 * Mosquitto with the configuration `vigil broker config` generates (password file, dynamic-security
 * policy, anonymous refused): the suite's collector, ingest and dead-letter reader log in as the
 * identities a deployment would use, so tenant isolation is exercised under every fault too.
 */
async function startSecuredBroker(tenant: string): Promise<{ mosquitto: Mosquitto; login(username: string): { username: string; password: string } }> {
  const out = path.join(mkdtempSync(path.join(tmpdir(), 'vigil-faults-broker-')), 'deploy');
  chmodSync(path.dirname(out), 0o755);
  const { port, dataDir } = await mosquittoPlace();
  const generated = runVigil(['broker', 'config', '--out', out, '--generate', '--listen', `127.0.0.1:${port}`, '--persistence-dir', dataDir], { VIGIL_TENANTS: tenant, VIGIL_INGEST_GROUP: 'vigil-ingest' });
  if (generated.status !== 0) throw new Error(`vigil broker config failed: ${generated.stderr}`);
  const mosquitto = await startMosquitto({ config: { file: path.join(out, 'mosquitto', 'mosquitto.conf'), port } });
  const login = (username: string) => {
    const identity = brokerIdentities([tenant]).find((i) => i.username === username)!;
    return { username, password: readCredentialFile(path.join(out, 'credentials'), identity)!.password };
  };
  return { mosquitto, login };
}

export async function startFaultStack(options: { pods?: number } = {}): Promise<FaultStack> {
  const tenant = uniqueTenant('faults');
  const [{ mosquitto, login }, temporal] = await Promise.all([startSecuredBroker(tenant), startRestartableTemporal()]);
  const dataDir = mkdtempSync(path.join(tmpdir(), 'vigil-faults-data-'));
  const rulesDir = makeRulesDir({ 'fault-stream.yml': streamRule });
  const ingestLogin = login('ingest');
  const env = {
    TEMPORAL_ADDRESS: temporal.address,
    MQTT_URL: mosquitto.url,
    VIGIL_TENANTS: tenant,
    VIGIL_DATA_DIR: dataDir,
    VIGIL_RULES_DIR: rulesDir,
    VIGIL_INGEST_GROUP: 'vigil-ingest',
    VIGIL_DRY_RUN: 'true',
  };
  const worker = await startRole(['worker'], env);
  const ingest = await startRole(['ingest'], { ...env, MQTT_USERNAME: ingestLogin.username, MQTT_PASSWORD: ingestLogin.password, LOG_LEVEL: 'info' }, 'ingest subscribed');

  const deadLettered: DeadLetterSeen[] = [];
  // Persistent session, subscribed on every CONNACK: it must not miss letters across a broker restart.
  const dlqWatch: MqttClient = mqtt.connect(mosquitto.url, { ...login(tenantOperatorUsername(tenant)), clientId: `dlq-watch-${tenant}`, clean: false, protocolVersion: 5, properties: { sessionExpiryInterval: 3600 }, reconnectPeriod: 250 });
  dlqWatch.on('connect', () => void dlqWatch.subscribeAsync(deadLetterTopic(tenant), { qos: 1 }).catch(() => undefined));
  dlqWatch.on('message', (_topic, payload) => {
    const letter = JSON.parse(payload.toString()) as { code: string; reason: string; event?: { id?: unknown }; payloadBase64?: string };
    deadLettered.push({
      code: letter.code,
      reason: letter.reason,
      ...(typeof letter.event?.id === 'string' ? { eventId: letter.event.id } : {}),
      ...(typeof letter.payloadBase64 === 'string' ? { payloadBase64: letter.payloadBase64 } : {}),
    });
  });
  await new Promise<void>((resolve) => dlqWatch.once('connect', () => resolve()));

  const publisherClient = mqtt.connect(mosquitto.url, { ...login(collectorUsername(tenant)), clientId: `collector-${tenant}`, clean: false, protocolVersion: 5, properties: { sessionExpiryInterval: 3600 }, reconnectPeriod: 250 });
  await new Promise<void>((resolve) => publisherClient.once('connect', () => resolve()));
  const pods = Array.from({ length: options.pods ?? 10 }, (_, i) => `pod-${i}`);
  let client: Client | undefined;
  const temporalClient = async (): Promise<Client> => (client ??= await connectClient(temporal.address, 'default'));
  let streamed = 0;

  const ledger = async (): Promise<Ledger> => {
    const c = await temporalClient();
    const correlators = new Map<string, { eventCount: number; alertIds: string[]; linkedAlertIds: string[] }>();
    for (const pod of pods) {
      for (const id of entityIdsOf(tenant, pod)) {
        try {
          const view = await c.workflow.getHandle(id).query(entityStateQuery);
          correlators.set(id, { eventCount: view.eventCount, alertIds: view.openAlerts.map((a) => a.id), linkedAlertIds: view.linkedAlerts.map((a) => a.alertId) });
        } catch {
          correlators.set(id, { eventCount: 0, alertIds: [], linkedAlertIds: [] });
        }
      }
    }
    return { archived: await readArchive(dataDir, tenant), deadLettered: [...deadLettered], correlators };
  };

  return {
    tenant,
    mosquitto,
    temporal,
    ingest,
    worker,
    dataDir,
    pods,
    stream: async (count, perSecond, midway) => {
      const publisher = new BatchPublisher(publisherClient, { tenant, source: 'k8s_audit', collector: 'fault-suite', maxBatchEvents: 4, maxBatchDelayMs: 20 }, testLogger);
      const published: string[] = [];
      const start = Date.now();
      let fault: Promise<void> | undefined;
      for (let i = 0; i < count; i++) {
        const pod = pods[i % pods.length]!;
        const id = `${tenant}-${streamed++}`;
        const event: RawEvent = { id, time: Date.now(), data: podExecEvent(id, 'faults', pod, `u-${pod}`) };
        publisher.add(event);
        published.push(id);
        if (midway && i === Math.floor(count / 3)) fault = midway();
        const due = start + ((i + 1) * 1000) / perSecond;
        if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
      }
      await fault;
      await publisher.flush();
      publisher.close();
      return { published, dropped: publisher.stats.droppedEvents };
    },
    publishRaw: async (payload) => {
      await publisherClient.publishAsync(`vigil/v1/${tenant}/events/k8s_audit`, payload, { qos: 1 });
    },
    ledger,
    settled: async (published, timeoutMs = 180_000) => {
      const expected = new Map<string, number>();
      published.forEach((_, i) => {
        for (const id of entityIdsOf(tenant, pods[i % pods.length]!)) expected.set(id, (expected.get(id) ?? 0) + 1);
      });
      return eventually(async () => {
        const l = await ledger();
        const dead = new Set(l.deadLettered.flatMap((d) => (d.eventId ? [d.eventId] : [])));
        const missing = published.filter((id) => !l.archived.has(id) && !dead.has(id));
        const short = [...expected].filter(([id, count]) => (l.correlators.get(id)?.eventCount ?? 0) < count);
        // Thrown (not undefined) so a time-out says what is still missing.
        if (missing.length > 0 || short.length > 0) {
          const counted = short.map(([id, count]) => `${id.slice(id.lastIndexOf(':') + 1)} ${l.correlators.get(id)?.eventCount ?? 0}/${count}`);
          throw new Error(`${missing.length} of ${published.length} neither archived nor dead-lettered; correlators short: ${counted.slice(0, 6).join(', ') || 'none'}`);
        }
        return l;
      }, 'every published event accounted for', timeoutMs, 1_000);
    },
    stop: async () => {
      await Promise.allSettled([ingest.current.stop(), worker.current.stop()]);
      await client?.connection.close();
      await Promise.allSettled([dlqWatch.endAsync(true), publisherClient.endAsync(true)]);
      await Promise.allSettled([temporal.stop(), mosquitto.stop()]);
    },
  };
}
