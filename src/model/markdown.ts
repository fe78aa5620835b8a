/**
 * Small Markdown builders for what the Temporal UI renders from workflows: current details (a workflow's card) and
 * summaries. Pure string functions (the workflow sandbox uses them). Values are user and event text: every builder
 * escapes what would break the Markdown around it and bounds its length, so a hostile field can neither forge a link
 * nor blow up a card.
 */

/** One line, at most `max` characters (an ellipsis marks the cut). */
export function oneLine(text: string, max = 120): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`;
}

/**
 * Text with Markdown's inline syntax characters escaped: emphasis, code, brackets (so no link or image can form),
 * HTML and table pipes. Parentheses stay as they are: without an unescaped `]` before them they are plain text.
 */
export function mdText(text: string, max = 120): string {
  return oneLine(text, max).replace(/([\\`*_[\]<>|~])/g, '\\$1');
}

/** `[label](url)`; the URL's parentheses and spaces are percent-encoded so it cannot end the link early. */
export function mdLink(label: string, url: string): string {
  return `[${mdText(label)}](${url.replace(/[()\s]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`)})`;
}

/** A GitHub-style table; cells are escaped text (pass pre-built Markdown in `raw` columns). */
export function mdTable(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  return [`| ${header.join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`, ...rows.map((row) => `| ${row.join(' | ')} |`)];
}

/** `2026-12-02 04:35:48Z`: UTC, to the second, short enough for a table cell. */
export function utcTime(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')}Z`;
}
