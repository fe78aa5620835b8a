/**
 * Condition AST + compiled searches → ConditionMatcher. `1 of x*` / `all of x*` expand to OR/AND
 * over the matching search identifiers; `them` means every identifier not starting with `_`.
 */
import type { Location } from '../error-codes';
import type { ConditionNode } from './condition/ast';
import { ConditionSyntaxError, parseCondition } from './condition/parse';
import { RuleError } from './errors';
import type { CompiledSearch, ConditionMatcher } from './matcher';

export function compileCondition(
  conditions: readonly string[],
  searches: ReadonlyMap<string, CompiledSearch>,
  location: Location,
): ConditionMatcher {
  const compiled = conditions.map((text) => {
    const fail = (reason: string, offset: number): never => {
      throw new RuleError('VGL_RULE_CONDITION', `${reason} (at character ${offset + 1} of condition '${text}')`, location);
    };
    let ast: ConditionNode;
    try {
      ast = parseCondition(text);
    } catch (e) {
      if (!(e instanceof ConditionSyntaxError)) throw e;
      return fail(e.message, e.offset);
    }
    return lower(ast, searches, fail);
  });
  return compiled.length === 1 ? compiled[0]! : { kind: 'or', nodes: compiled };
}

function lower(
  node: ConditionNode,
  searches: ReadonlyMap<string, CompiledSearch>,
  fail: (reason: string, offset: number) => never,
): ConditionMatcher {
  switch (node.kind) {
    case 'and':
    case 'or':
      return { kind: node.kind, nodes: node.nodes.map((n) => lower(n, searches, fail)) };
    case 'not':
      return { kind: 'not', node: lower(node.node, searches, fail) };
    case 'identifier': {
      const search = searches.get(node.name);
      if (!search) return fail(`unknown search identifier '${node.name}'`, node.offset);
      return { kind: 'search', search };
    }
    case 'quantified': {
      const matching = [...searches.values()].filter((s) =>
        node.pattern === null ? !s.name.startsWith('_') : identifierPattern(node.pattern).test(s.name),
      );
      if (matching.length === 0) return fail(`'${node.pattern ?? 'them'}' matches no search identifier`, node.offset);
      const nodes: ConditionMatcher[] = matching.map((search) => ({ kind: 'search', search }));
      return nodes.length === 1 ? nodes[0]! : { kind: node.quantifier === 'any' ? 'or' : 'and', nodes };
    }
  }
}

function identifierPattern(pattern: string): RegExp {
  return new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.\-]/g, '\\$&')).join('.*')}$`);
}
