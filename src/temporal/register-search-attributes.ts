/**
 * Registers Vigil's custom search attributes on a namespace. Safe to run at every start: SQL visibility
 * skips names that exist. Needed even with `start-dev --search-attribute`, which only applies when the
 * namespace row is first created (shared/notes/temporal.md §7). Returns once the frontend accepts them.
 */
import type { ConnectionLike } from '@temporalio/client';
import { SearchAttributeType } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import type { Logger } from 'pino';
import { vigilSearchAttributes } from './search-attributes';

const IndexedValueType = temporal.api.enums.v1.IndexedValueType;

const indexedTypeOf: Record<SearchAttributeType, temporal.api.enums.v1.IndexedValueType> = {
  [SearchAttributeType.TEXT]: IndexedValueType.INDEXED_VALUE_TYPE_TEXT,
  [SearchAttributeType.KEYWORD]: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  [SearchAttributeType.INT]: IndexedValueType.INDEXED_VALUE_TYPE_INT,
  [SearchAttributeType.DOUBLE]: IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE,
  [SearchAttributeType.BOOL]: IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
  [SearchAttributeType.DATETIME]: IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
  [SearchAttributeType.KEYWORD_LIST]: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
};

export async function registerSearchAttributes(connection: ConnectionLike, namespace: string, logger: Logger): Promise<void> {
  const existing = await connection.operatorService.listSearchAttributes({ namespace });
  const custom = existing.customAttributes ?? {};
  const missing = vigilSearchAttributes.filter((key) => !(key.name in custom));
  if (missing.length === 0) return;
  await connection.operatorService.addSearchAttributes({
    namespace,
    searchAttributes: Object.fromEntries(missing.map((key) => [key.name, indexedTypeOf[key.type]])),
  });
  logger.info({ namespace, added: missing.map((k) => k.name) }, 'registered search attributes');
  if (!(await untilMapped(connection, namespace, missing.map((key) => key.name)))) {
    logger.warn({ namespace }, 'the frontend does not map the new search attributes yet; workflows setting them fail until it does');
  }
}

/**
 * Waits (bounded) until the frontend maps every one of `names`. A real server caches each namespace's
 * search attributes and refreshes the cache on a timer (every 2 s by default; the dev server reads
 * through), and until then a start or signal-with-start that sets one fails with INVALID_ARGUMENT "no
 * mapping defined for search attribute", which clients do not retry. A visibility query naming them is
 * validated against the same mapping.
 */
async function untilMapped(connection: ConnectionLike, namespace: string, names: string[], timeoutMs = 30_000): Promise<boolean> {
  const query = names.map((name) => `${name} IS NULL`).join(' AND ');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await connection.workflowService.countWorkflowExecutions({ namespace, query });
      return true;
    } catch {
      if (Date.now() > deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}
