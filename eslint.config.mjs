// Lint for Vigil (`npm run lint`, CI): promises that nobody awaits, the layering of the code, and what may run in
// the Temporal workflow sandbox. Type-aware: one TypeScript program from test/tsconfig.json (all sources and tests).
//
// Layers, bottom to top; a layer imports only layers below it (types included), checked by import-x zones, and no
// file reaches itself through imports (vigil/no-import-cycle, below):
//   src/model, src/error-codes.ts       vocabulary: events, detections, entities, alerts, durations; error codes
//   src/sigma → src/correlation         pure core: Sigma rules, correlation windows
//   src/response (records, specs)       response logic: playbook specs, action records, authorization, config
//   src/contracts                       what crosses a workflow or process boundary: messages, inputs, carried
//                                       state, notices, rules view, activity interfaces
//   workflows/                          deterministic code only (the workflow bundle)
//   activities/                         side effects
//   src/ingest, chatops, cli, app, ...  processes; they reference workflow functions by `import type` only
import { existsSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { defineConfig } from 'eslint/config';
import { createNodeResolver, importX } from 'eslint-plugin-import-x';
import ts from 'typescript';
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
  'response/binding-match.*',
  'response/incident-*',
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
const everything = ['src/**', 'workflows/**', 'activities/**'];
/** A layer: files in `target` import only each other and `allowed`. */
const layer = (target, allowed, message) => ({ target, from: everything, except: [target, ...allowed], message });

const model = 'src/model/**';
const errorCodes = 'src/error-codes.*';
const sigma = 'src/sigma/**';
const correlation = 'src/correlation/**';
const response = 'src/response/**';
const contracts = 'src/contracts/**';
const zones = [
  layer(model, [], 'src/model is the bottom layer: it imports only itself.'),
  layer(errorCodes, [], 'src/error-codes.ts is the bottom layer.'),
  layer(sigma, [model, errorCodes], 'src/sigma imports only src/model and src/error-codes.ts.'),
  layer(correlation, [sigma, model, errorCodes], 'src/correlation (pure core) imports only src/sigma, src/model and src/error-codes.ts.'),
  layer(response, [model, errorCodes], 'src/response imports only src/model and src/error-codes.ts (activities/ implement its actions).'),
  layer(contracts, [model, errorCodes, sigma, correlation, response], 'src/contracts sits below workflows/ and activities/: it imports only the pure layers.'),
  layer('workflows/**', [...under('src', bundledFromSrc), sigma], 'workflows/ imports only src/contracts and the pure code of the workflow bundle (activities through src/contracts interfaces).'),
  {
    target: 'workflows/playbook/**',
    from: ['workflows/correlator/**'],
    message: 'The correlator starts playbooks, not the reverse: what both need is in src/contracts.',
  },
  layer(
    'activities/**',
    [contracts, model, errorCodes, sigma, correlation, response, 'src/auth/**', 'src/temporal/search-attributes.*', 'src/temporal/workflow-ids.*', 'src/temporal/payload-size.*'],
    'activities/ imports src/contracts and the pure layers, never workflows/ or the processes above.',
  ),
  layer(
    'src/temporal/**',
    [contracts, model, errorCodes, 'src/auth/**', 'src/project-root.*'],
    'src/temporal (client, workers, converters) knows workflows and activities only through src/contracts.',
  ),
  {
    target: ['src/!(app|bench)/**', 'src/*.ts'],
    from: ['activities/**'],
    message: 'Only the worker process (src/app) and benchmarks assemble activities; others use src/contracts.',
  },
];

const nodeBuiltins = builtinModules.filter((name) => !name.startsWith('_'));

/**
 * No import cycle, type-only imports included: import-x/no-cycle skips `import type`, and the one cycle this tree had
 * (correlator-input.ts <-> entity-state.ts) was type-only. The graph of relative imports is read with TypeScript's
 * pre-processor and cached per TypeScript program (an editor's lint server gets a new program when files change).
 */
const graphs = new WeakMap();
const localImport = (from, spec) => {
  if (!spec.startsWith('.')) return undefined;
  const base = path.resolve(path.dirname(from), spec);
  return [`${base}.ts`, path.join(base, 'index.ts')].find((file) => existsSync(file));
};
const noImportCycle = {
  meta: { type: 'problem', messages: { cycle: 'Import cycle: {{route}}. Move what both sides need down a layer (src/contracts, src/model).' } },
  create(context) {
    const program = context.sourceCode.parserServices?.program ?? context;
    if (!graphs.has(program)) graphs.set(program, new Map());
    const graph = graphs.get(program);
    const importsOf = (file) => {
      if (!graph.has(file)) {
        const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, false);
        graph.set(file, importedFiles.map((i) => localImport(file, i.fileName)).filter(Boolean));
      }
      return graph.get(file);
    };
    /** The shortest import route from `start` back to `file`, or undefined. */
    const routeBack = (start, file) => {
      const parent = new Map([[start, undefined]]);
      for (const queue = [start]; queue.length > 0; ) {
        const at = queue.shift();
        if (at === file) {
          const route = [];
          for (let n = at; n !== undefined; n = parent.get(n)) route.unshift(n);
          return route;
        }
        for (const next of importsOf(at)) {
          if (parent.has(next)) continue;
          parent.set(next, at);
          queue.push(next);
        }
      }
      return undefined;
    };
    const file = context.physicalFilename;
    const check = (node) => {
      const target = node.source && localImport(file, node.source.value);
      const route = target && target !== file ? routeBack(target, file) : undefined;
      if (route) context.report({ node: node.source, messageId: 'cycle', data: { route: [file, ...route].map((f) => path.relative(root, f)).join(' -> ') } });
    };
    return { ImportDeclaration: check, ExportNamedDeclaration: check, ExportAllDeclaration: check };
  },
};

export default defineConfig(
  { ignores: ['dist/**', 'node_modules/**', '.cache/**', '.vigil/**', 'test/corpus/**'] },
  {
    files: ['**/*.ts'],
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: { project: ['./test/tsconfig.json'], tsconfigRootDir: root },
    },
    plugins: { '@typescript-eslint': tseslint.plugin, 'import-x': importX, vigil: { rules: { 'no-import-cycle': noImportCycle } } },
    settings: {
      'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts', '.js', '.json', '.node'] })],
    },
    rules: {
      // A promise nobody awaits loses its error and its ordering; `void` marks the few fire-and-forget calls.
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      'vigil/no-import-cycle': 'error',
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
