/** `vigil` start-up: the command table main.ts lists and loads from is the commands the areas really register. */
import { spawnSync } from 'node:child_process';
import { commandAreas } from '../../src/cli/command-areas';
import { compiledPath } from '../../src/project-root';
import { runVigil } from '../helpers/vigil-process';

/** What each area's real register function adds, from the built modules (some load ESM-only packages). */
function registeredByArea(): { name: string; description: string }[][] {
  const script = `
    const { Command } = require('commander');
    const logger = require('pino')({ level: 'silent' });
    const { commandAreas } = require(${JSON.stringify(compiledPath('src/cli/command-areas'))});
    (async () => {
      const out = [];
      for (const area of commandAreas) {
        const program = new Command();
        await area.register(program, logger);
        out.push(program.commands.map((c) => ({ name: c.name(), description: c.description() })));
      }
      process.stdout.write(JSON.stringify(out));
    })();`;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 60_000 });
  expect(r.status).toBe(0);
  return JSON.parse(r.stdout) as { name: string; description: string }[][];
}

test('each area registers exactly the commands listed for it, described as listed', () => {
  const registered = registeredByArea();
  commandAreas.forEach((area, i) => {
    expect(registered[i]!.map((c) => c.name)).toEqual(area.commands.map((c) => c.name));
    registered[i]!.forEach((c, j) => expect(c.description.startsWith(area.commands[j]!.description)).toBe(true));
  });
});

test('`vigil --help` lists every command; a command loads its own area (its subcommands and options work)', () => {
  const help = runVigil(['--help'], {});
  expect(help.status).toBe(0);
  for (const area of commandAreas) for (const c of area.commands) expect(help.stdout).toMatch(new RegExp(`^  ${c.name}\\b`, 'm'));
  const evalHelp = runVigil(['rules', 'eval', '--help'], {});
  expect(evalHelp.status).toBe(0);
  expect(evalHelp.stdout).toContain('--rule-cache <dir>');
  const unknown = runVigil(['rulez'], {});
  expect(unknown.status).toBe(1);
  expect(unknown.stderr).toContain("unknown command 'rulez'");
});
