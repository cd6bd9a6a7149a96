/**
 * The issue collector every validator writes to. It remembers where each dotted path sits in the
 * source (key and value positions), so cross-field checks can point at the offending line.
 */
import type { Document, LineCounter, Node } from 'yaml';
import type { InventoryIssue } from '../shared/errors.js';
import type { Pos } from './parse.js';

type Part = 'key' | 'value';

interface Located {
  readonly key?: Pos;
  readonly value: Pos;
}

/** Parent of a dotted path: "hosts[2].ssh.port" -> "hosts[2].ssh" -> "hosts[2]" -> "hosts" -> "". */
export function parentPath(path: string): string {
  const m = /^(.*?)(\.[^.[\]]+|\[\d+\])$/.exec(path);
  return m ? (m[1] ?? '') : '';
}

/** The key name a path ends with: "hosts[2].roles[0]" -> "roles". */
export function keyName(path: string): string {
  const m = /([^.[\]]+)(\[\d+\])*$/.exec(path);
  return m?.[1] ?? path;
}

/** Joins a parent path and a key. */
export function childPath(parent: string, key: string | number): string {
  if (typeof key === 'number') return `${parent}[${key}]`;
  return parent === '' ? key : `${parent}.${key}`;
}

/** Collects issues and source positions for one inventory file. */
export class IssueSink {
  readonly file: string;
  readonly doc: Document.Parsed;
  private readonly lineCounter: LineCounter;
  private readonly found: InventoryIssue[] = [];
  private readonly where = new Map<string, Located>();

  constructor(file: string, doc: Document.Parsed, lineCounter: LineCounter) {
    this.file = file;
    this.doc = doc;
    this.lineCounter = lineCounter;
  }

  /** Source position of a node's first character. */
  posOf(node: Node | null | undefined): Pos | undefined {
    const offset = node?.range?.[0];
    return offset === undefined ? undefined : this.lineCounter.linePos(offset);
  }

  /** Records where a path's key and value are. */
  note(path: string, key: Node | null | undefined, value: Node | null | undefined): void {
    const keyPos = this.posOf(key);
    const valuePos = this.posOf(value) ?? keyPos;
    if (valuePos === undefined) return;
    this.where.set(path, keyPos === undefined ? { value: valuePos } : { key: keyPos, value: valuePos });
  }

  /** True when the document contains this path (whatever its value). */
  has(path: string): boolean {
    return this.where.has(path);
  }

  /** Position of a path's key or value; absent paths fall back to their nearest present parent. */
  pos(path: string, part: Part = 'value'): Pos {
    for (let p = path; ; p = parentPath(p)) {
      const at = this.where.get(p);
      if (at) return (part === 'key' ? at.key : undefined) ?? at.value;
      if (p === '') return { line: 1, col: 1 };
    }
  }

  /** Line of a path, for "(also on line N)" cross-references. */
  line(path: string): number {
    return this.pos(path).line;
  }

  /** Adds an error at a path's value (or key). */
  error(path: string, message: string, part: Part = 'value'): void {
    this.add(path, message, part, 'error');
  }

  /** Adds a warning at a path's value (or key); warnings do not fail validation. */
  warning(path: string, message: string, part: Part = 'value'): void {
    this.add(path, message, part, 'warning');
  }

  /** Adds an issue positioned at a node (for the shape walker, before the path is noted). */
  errorAt(node: Node | null | undefined, path: string, message: string): void {
    const { line, col } = this.posOf(node) ?? this.pos(path, 'key');
    this.found.push({ file: this.file, line, col, path, severity: 'error', message });
  }

  /** Adds already-built issues (YAML syntax). */
  addAll(issues: readonly InventoryIssue[]): void {
    this.found.push(...issues);
  }

  /** True once any error (not warning) was added. */
  get hasErrors(): boolean {
    return this.found.some((i) => i.severity === 'error');
  }

  /** All issues in source order (line, column), ties in the order they were found. */
  issues(): InventoryIssue[] {
    return this.found
      .map((issue, n) => ({ issue, n }))
      .sort((a, b) => a.issue.line - b.issue.line || a.issue.col - b.issue.col || a.n - b.n)
      .map(({ issue }) => issue);
  }

  private add(path: string, message: string, part: Part, severity: 'error' | 'warning'): void {
    const { line, col } = this.pos(path, part);
    this.found.push({ file: this.file, line, col, path, severity, message });
  }
}
