/**
 * CPU clocks of processes from /proc (Linux-only): the clock tick, the fields of a `stat` file, and the CPU time
 * of this process's running children (a dev server, a broker). Children that exit between two readings drop out,
 * so read it around a phase during which they keep running.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

export const clockTicks = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout?.trim()) || 100;

/** The fields of /proc/<pid>/stat after the command name: fields[0] is field 3 (state), utime/stime are [11]/[12]. */
export function statFields(path: string): string[] {
  const stat = readFileSync(path, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** utime + stime of this process's running direct children, ms (0 without /proc). */
export function runningChildrenCpuMs(): number {
  let ticks = 0;
  try {
    for (const tid of readdirSync('/proc/self/task')) {
      for (const pid of readFileSync(`/proc/self/task/${tid}/children`, 'utf8').split(' ').filter(Boolean)) {
        const fields = statFields(`/proc/${pid}/stat`);
        ticks += Number(fields[11]) + Number(fields[12]);
      }
    }
  } catch {
    return 0;
  }
  return (ticks * 1000) / clockTicks;
}
