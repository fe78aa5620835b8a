/**
 * Condition AST. Precedence (tightest first): `not`, `and`, `or`; parentheses group.
 * Reference: Sigma specification 2.x "Condition"; pySigma conditions.py.
 */
export type ConditionNode =
  | { readonly kind: 'and'; readonly nodes: readonly ConditionNode[] }
  | { readonly kind: 'or'; readonly nodes: readonly ConditionNode[] }
  | { readonly kind: 'not'; readonly node: ConditionNode }
  | { readonly kind: 'identifier'; readonly name: string; readonly offset: number }
  /** `1 of x*` / `all of x*` / `1 of them`; `pattern` is null for `them`. */
  | {
      readonly kind: 'quantified';
      readonly quantifier: 'any' | 'all';
      readonly pattern: string | null;
      readonly offset: number;
    };
