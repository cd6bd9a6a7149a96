/**
 * YAML text -> document with source positions. Syntax errors become InventoryIssues with a
 * 1-based line and column, so `kubesmith validate` can print them as FILE:LINE:COL.
 */
import { LineCounter, parseDocument } from 'yaml';
import type { Document } from 'yaml';
import type { InventoryIssue } from '../shared/errors.js';

/** A 1-based source position. */
export interface Pos {
  readonly line: number;
  readonly col: number;
}

/** The parsed document, the offsets-to-lines map, and syntax issues. */
export interface ParsedInventoryText {
  readonly doc: Document.Parsed;
  readonly lineCounter: LineCounter;
  /** YAML syntax errors and warnings (duplicate keys are errors). */
  readonly issues: readonly InventoryIssue[];
}

/** Parses inventory text, keeping node ranges; never throws on bad YAML. */
export function parseInventoryText(text: string, file: string): ParsedInventoryText {
  const lineCounter = new LineCounter();
  // YAML 1.2 core schema: `yes`/`on` stay strings. `<<` merge keys are applied by the schema walk
  // (yaml-refs.ts), which keeps each merged value's own position for messages.
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const problems = [
    ...doc.errors.map((e) => ({ e, severity: 'error' as const })),
    ...doc.warnings.map((e) => ({ e, severity: 'warning' as const })),
  ];
  const issues = problems.map(({ e, severity }): InventoryIssue => {
    const { line, col } = lineCounter.linePos(e.pos[0]);
    return { file, line, col, path: '', severity, message: `YAML syntax: ${syntaxMessage(e.code, e.message)}` };
  });
  return { doc, lineCounter, issues };
}

/** yaml's messages, with what to do for the common ones. */
function syntaxMessage(code: string, message: string): string {
  switch (code) {
    case 'DUPLICATE_KEY':
      return 'duplicate key; each key may appear once in a mapping (remove or merge the repeated one)';
    case 'MULTIPLE_DOCS':
      return 'more than one document ("---"); an inventory is a single YAML document';
    case 'MISSING_CHAR':
      return `${message.split('\n')[0] ?? message}; a quote or bracket opened above is never closed`;
    case 'TAB_AS_INDENT':
      return 'tab used for indentation; indent with spaces';
    default:
      return message.split('\n')[0] ?? message;
  }
}
