import type { QueryResult, QueryValue } from '#shared/adapters/local/duckdb-query.ts';

const cell = (value: QueryValue): string => (value === null ? '' : String(value));

export const formatCsv = ({ columns, rows }: QueryResult): string => {
  const quote = (text: string) => (/[",\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text);
  const lines = [
    columns.map(quote).join(','),
    ...rows.map((row) => columns.map((c) => quote(cell(row[c] ?? null))).join(',')),
  ];
  return `${lines.join('\n')}\n`;
};

export const formatTable = ({ columns, rows }: QueryResult): string => {
  const text = rows.map((row) => columns.map((c) => (row[c] === null ? 'NULL' : cell(row[c] ?? null))));
  const widths = columns.map((c, i) => Math.max(c.length, ...text.map((r) => r[i]?.length ?? 0)));
  const line = (cells: string[]) =>
    cells
      .map((v, i) => v.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return `${[line(columns), line(widths.map((w) => '-'.repeat(w))), ...text.map(line)].join('\n')}\n(${rows.length} row${rows.length === 1 ? '' : 's'})\n`;
};

export const formatJson = ({ rows }: QueryResult): string => `${JSON.stringify(rows, null, 2)}\n`;

export const plural = (n: number, word: string): string => `${n.toLocaleString('en-US')} ${word}${n === 1 ? '' : 's'}`;
