import { rmSync } from 'node:fs';

export default async function globalTeardown(): Promise<void> {
  const servers = globalThis.__vigilTestServers;
  if (!servers) return;
  await Promise.all([servers.temporal?.stop(), servers.mosquitto.stop()]);
  rmSync(servers.runDir, { recursive: true, force: true });
}
