/**
 * Per-event cache of field values, shared by every rule tested against the event, so a field read
 * by many rules is resolved, stringified and lower-cased once. Slots are numbered by FieldTable;
 * the view is reused across events (a generation stamp invalidates it) to avoid allocation.
 * **Invariant**: one view serves one synchronous match call at a time.
 */
import { resolveField, type FieldSource } from './field-source';

export interface FieldSlot {
  readonly id: number;
  readonly source: FieldSource;
}

/** Interns field sources by key so equal fields share one slot across rules. */
export class FieldTable {
  private readonly slots = new Map<string, FieldSlot>();

  slot(source: FieldSource): FieldSlot {
    let slot = this.slots.get(source.key);
    if (!slot) {
      slot = { id: this.slots.size, source };
      this.slots.set(source.key, slot);
    }
    return slot;
  }
}

/** The text a leaf value is compared as: strings themselves, numbers and booleans as written in JSON. */
export function stringForm(v: unknown): string | undefined {
  switch (typeof v) {
    case 'string':
      return v;
    case 'number':
    case 'boolean':
      return String(v);
    default:
      return undefined;
  }
}

/** Shared result for a field without values (never written to). */
const noValues: (string | undefined)[] = [];

export class EventView {
  private event: unknown = undefined;
  private generation = 0;
  private leafStamp: number[] = [];
  private leafCache: unknown[][] = [];
  private lowerStamp: number[] = [];
  private lowerCache: (string | undefined)[][] = [];

  reset(event: unknown): void {
    this.event = event;
    this.generation++;
  }

  get current(): unknown {
    return this.event;
  }

  leaves(slot: FieldSlot): unknown[] {
    const id = slot.id;
    if (this.leafStamp[id] === this.generation) return this.leafCache[id]!;
    const out: unknown[] = [];
    resolveField(slot.source, this.event, out);
    this.leafStamp[id] = this.generation;
    this.leafCache[id] = out;
    return out;
  }

  /** Lower-cased string forms, parallel to leaves(slot). */
  lowered(slot: FieldSlot): (string | undefined)[] {
    const id = slot.id;
    if (this.lowerStamp[id] === this.generation) return this.lowerCache[id]!;
    const leaves = this.leaves(slot);
    let out = noValues;
    if (leaves.length === 1) {
      // The common case: one scalar value.
      const v = leaves[0];
      out = [typeof v === 'string' ? v.toLowerCase() : stringForm(v)];
    } else if (leaves.length > 1) {
      out = [];
      for (let i = 0; i < leaves.length; i++) out.push(stringForm(leaves[i])?.toLowerCase());
    }
    this.lowerStamp[id] = this.generation;
    this.lowerCache[id] = out;
    return out;
  }
}
