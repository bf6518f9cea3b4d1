/**
 * The logging port. In Lambda it is Powertools Logger (JSON, one object a line); locally a readable line on
 * stderr. Events are lower-case sentences with structured fields: `logger.info('partition written', { date })`.
 */
export type LogAttributes = Record<string, unknown>;
export type LogLevel = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'SILENT';

export interface Logger {
  debug(message: string, attributes?: LogAttributes): void;
  info(message: string, attributes?: LogAttributes): void;
  warn(message: string, attributes?: LogAttributes): void;
  error(message: string, attributes?: LogAttributes): void;
  /** A logger whose every line also carries these attributes (e.g. the run id). */
  child(attributes: LogAttributes): Logger;
}

const ORDER: Record<LogLevel, number> = { DEBUG: 10, INFO: 20, WARN: 30, ERROR: 40, SILENT: 100 };

const formatValue = (value: unknown): string => {
  if (value instanceof Error) return JSON.stringify(value.message);
  if (typeof value === 'string') return /[\s"=]/.test(value) ? JSON.stringify(value) : value;
  return JSON.stringify(value) ?? String(value);
};

/** Readable `LEVEL message key=value ...` lines, for a terminal. */
export const createLineLogger = (
  level: LogLevel,
  write: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
  base: LogAttributes = {},
): Logger => {
  const threshold = ORDER[level];
  const emit = (lvl: Exclude<LogLevel, 'SILENT'>, message: string, attributes: LogAttributes = {}) => {
    if (ORDER[lvl] < threshold) return;
    const fields = Object.entries({ ...base, ...attributes })
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${k}=${formatValue(v)}`)
      .join(' ');
    write(`${lvl.padEnd(5)} ${message}${fields ? ` ${fields}` : ''}`);
  };
  return {
    debug: (m, a) => emit('DEBUG', m, a),
    info: (m, a) => emit('INFO', m, a),
    warn: (m, a) => emit('WARN', m, a),
    error: (m, a) => emit('ERROR', m, a),
    child: (attributes) => createLineLogger(level, write, { ...base, ...attributes }),
  };
};

/** Collects entries in memory: tests read them back (e.g. to prove a secret never reaches a log line). */
export const createMemoryLogger = (): Logger & { lines: string[] } => {
  const lines: string[] = [];
  const logger = createLineLogger('DEBUG', (line) => lines.push(line));
  return Object.assign(logger, { lines });
};

export const silentLogger: Logger = createLineLogger('SILENT');
