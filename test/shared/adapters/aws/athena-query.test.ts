import { AthenaClient } from '@aws-sdk/client-athena';
import { afterEach, describe, expect, it } from 'vitest';
import { AthenaQuery } from '#shared/adapters/aws/athena-query.ts';
import { CatalogError } from '#shared/errors.ts';
import { TEST_CREDENTIALS, TEST_REGION } from '#test/support/aws-servers.ts';
import { type JsonRequest, startJsonServiceFake } from '#test/support/json-rpc-server.ts';

/*
 * No Athena emulator exists: a node:http server on 127.0.0.1 checks the JSON 1.1 requests (X-Amz-Target
 * AmazonAthena.*) and answers as the Athena API reference documents: QUEUED/RUNNING states, then SUCCEEDED with
 * result pages whose first page starts with a header row, or FAILED with a StateChangeReason.
 */
type Fake = Awaited<ReturnType<typeof startJsonServiceFake>>;

const row = (...values: Array<string | undefined>) => ({
  Data: values.map((v) => (v === undefined ? {} : { VarCharValue: v })),
});

const COLUMNS = {
  ColumnInfo: [
    { Name: 'date', Type: 'varchar' },
    { Name: 'cpi_level', Type: 'double' },
  ],
};

const athenaFake = (final: { State: string; StateChangeReason?: string }, pollsBeforeEnd = 2) => {
  let polls = 0;
  return (request: JsonRequest) => {
    switch (request.target) {
      case 'AmazonAthena.StartQueryExecution':
        return { body: { QueryExecutionId: 'q-1' } };
      case 'AmazonAthena.GetQueryExecution': {
        polls++;
        const state = polls <= pollsBeforeEnd ? { State: polls === 1 ? 'QUEUED' : 'RUNNING' } : final;
        return { body: { QueryExecution: { QueryExecutionId: 'q-1', StatementType: 'DML', Status: state } } };
      }
      case 'AmazonAthena.GetQueryResults':
        if (request.body.NextToken === 'page-2') {
          return { body: { ResultSet: { Rows: [row('2024-01-03', undefined)], ResultSetMetadata: COLUMNS } } };
        }
        return {
          body: {
            ResultSet: {
              Rows: [row('date', 'cpi_level'), row('2024-01-01', '308.4'), row('2024-01-02', '308.4')],
              ResultSetMetadata: COLUMNS,
            },
            NextToken: 'page-2',
          },
        };
      default:
        throw new Error(`unexpected ${request.target}`);
    }
  };
};

describe('AthenaQuery', () => {
  let fake: Fake | undefined;
  let client: AthenaClient | undefined;

  afterEach(async () => {
    client?.destroy();
    await fake?.close();
  });

  const queryOn = async (answer: Parameters<typeof startJsonServiceFake>[0]) => {
    fake = await startJsonServiceFake(answer);
    client = new AthenaClient({ endpoint: fake.endpoint, region: TEST_REGION, credentials: TEST_CREDENTIALS });
    return new AthenaQuery(client, {
      database: 'fredlake',
      workgroup: 'fredlake-wg',
      outputLocation: 's3://results/athena/',
      pollMs: 1,
    });
  };

  it('starts the query, waits for SUCCEEDED and returns every page without the header row', async () => {
    const athena = await queryOn(athenaFake({ State: 'SUCCEEDED' }));

    const result = await athena.query('SELECT date, cpi_level FROM fred_daily');

    expect(result.columns).toEqual(['date', 'cpi_level']);
    expect(result.rows).toEqual([
      { date: '2024-01-01', cpi_level: '308.4' },
      { date: '2024-01-02', cpi_level: '308.4' },
      { date: '2024-01-03', cpi_level: null },
    ]);
    expect(fake?.requests[0]?.body).toMatchObject({
      QueryString: 'SELECT date, cpi_level FROM fred_daily',
      QueryExecutionContext: { Database: 'fredlake' },
      WorkGroup: 'fredlake-wg',
      ResultConfiguration: { OutputLocation: 's3://results/athena/' },
    });
    expect(fake?.requests.map((r) => r.target.replace('AmazonAthena.', ''))).toEqual([
      'StartQueryExecution',
      'GetQueryExecution',
      'GetQueryExecution',
      'GetQueryExecution',
      'GetQueryResults',
      'GetQueryResults',
    ]);
  });

  it("fails a FAILED query with Athena's StateChangeReason", async () => {
    const athena = await queryOn(
      athenaFake({
        State: 'FAILED',
        StateChangeReason: "TABLE_NOT_FOUND: line 1:15: Table 'fred_daily' does not exist",
      }),
    );

    const failure = await athena.query('SELECT * FROM fred_daily').catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(CatalogError);
    expect((failure as CatalogError).message).toContain("Table 'fred_daily' does not exist");
    expect((failure as CatalogError).message).toContain('q-1');
    expect((failure as CatalogError).retryable).toBe(false);
    expect(fake?.requests.some((r) => r.target === 'AmazonAthena.GetQueryResults')).toBe(false);
  });

  it('stops a query that runs past its timeout and says so', async () => {
    fake = await startJsonServiceFake((request) =>
      request.target === 'AmazonAthena.GetQueryExecution'
        ? { body: { QueryExecution: { QueryExecutionId: 'q-1', Status: { State: 'RUNNING' } } } }
        : { body: { QueryExecutionId: 'q-1' } },
    );
    client = new AthenaClient({ endpoint: fake.endpoint, region: TEST_REGION, credentials: TEST_CREDENTIALS });
    const athena = new AthenaQuery(client, { database: 'fredlake', workgroup: 'wg', pollMs: 5, timeoutMs: 30 });

    const failure = await athena.query('SELECT 1').catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(CatalogError);
    expect((failure as CatalogError).message).toContain('did not finish');
    expect(fake.requests.at(-1)?.target).toBe('AmazonAthena.StopQueryExecution');
  });
});
