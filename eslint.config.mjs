// Lint for Vigil (`npm run lint`, CI): promises that nobody awaits, the layering of the code, and what may run in
// the Temporal workflow sandbox. Type-aware: one TypeScript program from test/tsconfig.json (all sources and tests).
//
// Layers, bottom to top; a layer imports only layers below it (types included), checked by import-x zones:
//   src/model, src/error-codes.ts       vocabulary: events, detections, entities, alerts, durations; error codes
//   src/sigma → src/correlation         pure core: Sigma rules, correlation windows
//   src/response (records, specs)       pure response logic: playbook specs, action records, authorization
//   src/contracts                       what crosses a workflow or process boundary: messages, inputs, carried
//                                       state, notices, rules view, activity interfaces
//   workflows/                          deterministic code only (the workflow bundle)
//   activities/                         side effects
//   src/ingest, chatops, cli, app, ...  processes; they reference workflow functions by `import type` only
import { builtinModules } from 'node:module';
import path from 'node:path';
import { defineConfig } from 'eslint/config';
import { createNodeResolver, importX } from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

/**
 * What the workflow bundle may contain besides workflows/ (globs under src/; single files as `name.*` because zone
 * exceptions must be globs): pure, deterministic code.
 */
const bundledFromSrc = [
  'contracts/**',
  'model/!(json-value.*)', // json-value.ts is Node-only (Buffer): the MQTT codec and codec server use it
  'correlation/**',
  'error-codes.*',
  'response/authorize.*',
  'response/containment.*',
  'response/playbook-spec.*',
  'response/actions/**',
  'temporal/search-attributes.*',
  'temporal/workflow-ids.*',
  'temporal/payload-size.*',
];
const under = (dir, globs) => globs.map((g) => `${dir}/${g}`);

/**
 * Each zone: files in `target` may import nothing from `from` but `except` (types included). Paths are relative to
 * this file; import-x matches `except` globs against absolute paths, so `zone()` anchors them.
 */
const root = import.meta.dirname;
const zone = ({ except, ...rest }) => ({ ...rest, ...(except ? { except: except.map((glob) => path.join(root, glob)) } : {}) });
const zones = [
  {
    target: 'src/model/**',
    from: ['src/**', 'workflows/**', 'activities/**'],
    except: ['src/model/**'],
    message: 'src/model is the bottom layer: it imports only itself.',
  },
  {
    target: 'src/error-codes.ts',
    from: ['src/**', 'workflows/**', 'activities/**'],
    except: ['src/error-codes.*'],
    message: 'src/error-codes.ts is the bottom layer.',
  },
  {
    target: 'src/sigma/**',
    from: ['src/**', 'workflows/**', 'activities/**'],
    except: ['src/sigma/**', 'src/model/**', 'src/error-codes.*'],
    message: 'src/sigma imports only src/model and src/error-codes.ts.',
  },
  {
    target: 'src/correlation/**',
    from: ['src/**', 'workflows/**', 'activities/**'],
    except: ['src/correlation/**', 'src/sigma/**', 'src/model/**', 'src/error-codes.*'],
    message: 'src/correlation (pure core) imports only src/sigma, src/model and src/error-codes.ts.',
  },
  {
    target: 'src/response/**',
    from: ['src/**', 'workflows/**', 'activities/**'],
    except: ['src/response/**', 'src/model/**', 'src/error-codes.*'],
    message: 'src/response imports only src/model and src/error-codes.ts (activities/ implement its actions).',
  },
  {
    target: 'src/contracts/**',
    from: ['src/**', 'workflows/**', 'activities/**'],
    except: ['src/contracts/**', 'src/model/**', 'src/error-codes.*', 'src/sigma/**', 'src/correlation/**', 'src/response/**'],
    message: 'src/contracts sits below workflows/ and activities/: it imports only the pure layers.',
  },
  {
    target: 'workflows/**',
    from: ['src/**', 'activities/**'],
    except: [...under('src', bundledFromSrc), 'src/sigma/**'],
    message: 'workflows/ imports only src/contracts and the pure code of the workflow bundle (activities through src/contracts interfaces).',
  },
  {
    target: 'workflows/playbook/**',
    from: ['workflows/correlator/**'],
    message: 'The correlator starts playbooks, not the reverse: what both need is in src/contracts.',
  },
  {
    target: 'activities/**',
    from: ['src/**', 'workflows/**'],
    except: [
      'src/contracts/**',
      'src/model/**',
      'src/error-codes.*',
      'src/sigma/**',
      'src/correlation/**',
      'src/response/**',
      'src/auth/**',
      'src/temporal/search-attributes.*',
      'src/temporal/workflow-ids.*',
    ],
    message: 'activities/ imports src/contracts and the pure layers, never workflows/ or the processes above.',
  },
  {
    target: 'src/temporal/**',
    from: ['src/**', 'workflows/**', 'activities/**'],
    except: ['src/temporal/**', 'src/contracts/**', 'src/model/**', 'src/error-codes.*', 'src/auth/**', 'src/project-root.*'],
    message: 'src/temporal (client, workers, converters) knows workflows and activities only through src/contracts.',
  },
  {
    target: ['src/!(app|bench)/**', 'src/*.ts'],
    from: ['activities/**'],
    message: 'Only the worker process (src/app) and benchmarks assemble activities; others use src/contracts.',
  },
];

const nodeBuiltins = builtinModules.filter((name) => !name.startsWith('_'));

export default defineConfig(
  { ignores: ['dist/**', 'node_modules/**', '.cache/**', '.vigil/**', 'test/corpus/**'] },
  {
    files: ['**/*.ts'],
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: { project: ['./test/tsconfig.json'], tsconfigRootDir: root },
    },
    plugins: { '@typescript-eslint': tseslint.plugin, 'import-x': importX },
    settings: {
      'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts', '.js', '.json', '.node'] })],
      // Without these import-x skips .ts dependencies when it follows imports, and no-cycle sees nothing.
      'import-x/extensions': ['.ts', '.js'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
    },
    rules: {
      // A promise nobody awaits loses its error and its ordering; `void` marks the few fire-and-forget calls.
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      'import-x/no-cycle': 'error',
      'import-x/no-restricted-paths': ['error', { basePath: root, zones: zones.map(zone) }],
    },
  },
  {
    // Processes reference workflow functions for typed starts and signals (`signalWithStart<typeof fn>`), never
    // load workflow code; benchmarks measure workflow state classes in process, as tests do.
    files: ['src/**/*.ts', 'activities/**/*.ts'],
    ignores: ['src/bench/**'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '(^|/)workflows(/|$)',
              allowTypeImports: true,
              message: 'Import workflow functions with `import type` (typed references); messages and inputs are in src/contracts.',
            },
          ],
        },
      ],
    },
  },
  {
    // The workflow bundle runs in Temporal's deterministic sandbox: no Node built-ins, no I/O, no real timers.
    // Date and Math.random need no ban there (the sandbox makes them deterministic).
    files: ['workflows/**/*.ts', ...under('src', bundledFromSrc)],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: nodeBuiltins.map((name) => ({ name, message: 'Node built-ins do not exist in the workflow sandbox: use an activity.' })),
          patterns: [
            { group: ['node:*'], message: 'Node built-ins do not exist in the workflow sandbox: use an activity.' },
            {
              group: ['@temporalio/client', '@temporalio/worker', '@temporalio/activity', '@temporalio/testing', 'mqtt', 'aedes', 'fastify', 'pino', 're2', 'commander', '@kubernetes/*', '@aws-sdk/*', '@smithy/*'],
              allowTypeImports: true,
              message: 'I/O and process modules stay out of the workflow bundle: call an activity (log with @temporalio/workflow `log`).',
            },
            {
              regex: '(^|/)sigma(/|$)',
              allowTypeImports: true,
              message: 'The workflow bundle takes Sigma types only (rule loading reads files).',
            },
          ],
        },
      ],
      'no-restricted-globals': [
        'error',
        ...['setTimeout', 'setInterval', 'setImmediate'].map((name) => ({ name, message: 'Use sleep() or condition() from @temporalio/workflow: durable timers.' })),
        ...['process', 'Buffer', 'require', 'fetch', '__dirname', '__filename'].map((name) => ({ name, message: 'Not available in the workflow sandbox: use an activity.' })),
      ],
    },
  },
);
