/**
 * Aligned text tables for the terminal, with optional colour. Widths are computed from the plain
 * text and colour is added after padding, so coloured and plain output align the same way.
 */

/** A cell: plain text, or text with a tone that becomes a colour on a TTY. */
export type Cell = string | { readonly text: string; readonly tone: Tone };

/** good = green, bad = red, warn = yellow. */
export type Tone = 'good' | 'bad' | 'warn';

const ANSI: Readonly<Record<Tone, string>> = { good: '\u001b[32m', bad: '\u001b[31m', warn: '\u001b[33m' };
const RESET = '\u001b[0m';

/** Applies a tone when colour is on. */
export function paint(text: string, tone: Tone | undefined, color: boolean): string {
  return color && tone ? `${ANSI[tone]}${text}${RESET}` : text;
}

const textOf = (c: Cell | undefined): string => (c === undefined ? '' : typeof c === 'string' ? c : c.text);

/** Columns separated by three spaces (kubectl's look); the last column is not padded. */
export function renderTable(headers: readonly string[], rows: ReadonlyArray<readonly Cell[]>, color: boolean): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => textOf(r[i]).length)));
  // Trailing empty cells are dropped and the last kept cell is not padded, so no line ends in blanks.
  const line = (cells: readonly Cell[]): string => {
    const kept = cells.slice(0, cells.findLastIndex((c) => textOf(c) !== '') + 1);
    return kept
      .map((c, i) => {
        const text = textOf(c);
        const padded = i === kept.length - 1 ? text : text.padEnd(widths[i] ?? 0);
        return paint(padded, typeof c === 'string' ? undefined : c.tone, color);
      })
      .join('   ');
  };
  return [line(headers), ...rows.map(line)].join('\n');
}
