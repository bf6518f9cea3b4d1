import {
  type AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  type QueryExecution,
  StartQueryExecutionCommand,
  StopQueryExecutionCommand,
} from '@aws-sdk/client-athena';
import { CatalogError } from '#shared/errors.ts';
import { toCatalogError } from './errors.ts';

export interface AthenaQueryOptions {
  database: string;
  workgroup: string;
  /** s3://... for results; leave out when the workgroup enforces its own. */
  outputLocation?: string;
  /** Pause between GetQueryExecution polls. Default 500 ms. */
  pollMs?: number;
  /** Give up (and stop the query) after this long. Default 5 minutes. */
  timeoutMs?: number;
}

export interface QueryResult {
  columns: string[];
  rows: Array<Record<string, string | null>>;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** SQL over the Glue catalog through Athena. Values come back as Athena gives them: strings, or null. */
export class AthenaQuery {
  private readonly database: string;
  private readonly workgroup: string;
  private readonly outputLocation: string | undefined;
  private readonly pollMs: number;
  private readonly timeoutMs: number;

  constructor(
    private readonly client: AthenaClient,
    options: AthenaQueryOptions,
  ) {
    this.database = options.database;
    this.workgroup = options.workgroup;
    this.outputLocation = options.outputLocation;
    this.pollMs = options.pollMs ?? 500;
    this.timeoutMs = options.timeoutMs ?? 300_000;
  }

  async query(sql: string): Promise<QueryResult> {
    const id = await this.start(sql);
    const execution = await this.waitForEnd(id);
    return this.results(id, execution.StatementType);
  }

  private target(queryExecutionId?: string) {
    return {
      service: 'Athena' as const,
      database: this.database,
      ...(queryExecutionId ? { queryExecutionId } : {}),
    };
  }

  private async start(sql: string): Promise<string> {
    try {
      const response = await this.client.send(
        new StartQueryExecutionCommand({
          QueryString: sql,
          QueryExecutionContext: { Database: this.database },
          WorkGroup: this.workgroup,
          ...(this.outputLocation ? { ResultConfiguration: { OutputLocation: this.outputLocation } } : {}),
        }),
      );
      if (!response.QueryExecutionId) {
        throw new CatalogError(`Athena started no query in workgroup ${this.workgroup} (no QueryExecutionId).`, true, {
          workgroup: this.workgroup,
        });
      }
      return response.QueryExecutionId;
    } catch (error) {
      throw toCatalogError(error, 'StartQueryExecution', this.target());
    }
  }

  private async waitForEnd(id: string): Promise<QueryExecution> {
    const deadline = Date.now() + this.timeoutMs;
    for (;;) {
      let execution: QueryExecution | undefined;
      try {
        execution = (await this.client.send(new GetQueryExecutionCommand({ QueryExecutionId: id }))).QueryExecution;
      } catch (error) {
        throw toCatalogError(error, 'GetQueryExecution', this.target(id));
      }
      const state = execution?.Status?.State;
      if (state === 'SUCCEEDED' && execution) return execution;
      if (state === 'FAILED' || state === 'CANCELLED') {
        const reason = execution?.Status?.StateChangeReason ?? 'no reason given';
        const category = execution?.Status?.AthenaError?.ErrorCategory;
        // ErrorCategory 1 = SYSTEM (Athena's side, may pass), 2 = USER (the query or its data), 3 = OTHER.
        const retryable = state === 'FAILED' && category === 1;
        throw new CatalogError(
          `Athena query ${id} in ${this.database} ${state === 'FAILED' ? 'failed' : 'was cancelled'}: ${reason}. ` +
            (retryable ? 'Athena failed on its side; run it again.' : 'Fix the query or the table it reads.'),
          retryable,
          { queryExecutionId: id, database: this.database, state, reason, errorCategory: category },
        );
      }
      if (Date.now() >= deadline) {
        await this.client.send(new StopQueryExecutionCommand({ QueryExecutionId: id })).catch(() => undefined);
        throw new CatalogError(
          `Athena query ${id} in ${this.database} did not finish within ${this.timeoutMs} ms (last state ${state ?? 'unknown'}); it was stopped.`,
          true,
          { queryExecutionId: id, database: this.database, state },
        );
      }
      await sleep(this.pollMs);
    }
  }

  private async results(id: string, statementType: string | undefined): Promise<QueryResult> {
    let columns: string[] = [];
    const rows: Array<Record<string, string | null>> = [];
    let nextToken: string | undefined;
    let firstPage = true;
    try {
      do {
        const response = await this.client.send(
          new GetQueryResultsCommand({ QueryExecutionId: id, ...(nextToken ? { NextToken: nextToken } : {}) }),
        );
        const resultSet = response.ResultSet;
        if (firstPage) {
          columns = (resultSet?.ResultSetMetadata?.ColumnInfo ?? []).map((c, i) => c.Name ?? c.Label ?? `_col${i}`);
        }
        let pageRows = resultSet?.Rows ?? [];
        // SELECT results start with a header row holding the column names; DDL/utility results do not.
        if (firstPage && statementType !== 'DDL' && statementType !== 'UTILITY') pageRows = pageRows.slice(1);
        for (const row of pageRows) {
          const data = row.Data ?? [];
          rows.push(Object.fromEntries(columns.map((name, i) => [name, data[i]?.VarCharValue ?? null])));
        }
        firstPage = false;
        nextToken = response.NextToken || undefined;
      } while (nextToken);
    } catch (error) {
      throw toCatalogError(error, 'GetQueryResults', this.target(id));
    }
    return { columns, rows };
  }
}
