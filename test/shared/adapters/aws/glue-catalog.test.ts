import { GlueClient } from '@aws-sdk/client-glue';
import { afterEach, describe, expect, it } from 'vitest';
import { GlueCatalog } from '#shared/adapters/aws/glue-catalog.ts';
import { CatalogError } from '#shared/errors.ts';
import { TEST_CREDENTIALS, TEST_REGION } from '#test/support/aws-servers.ts';
import { type JsonRequest, startJsonServiceFake } from '#test/support/json-rpc-server.ts';

/*
 * No Glue emulator exists: a node:http server on 127.0.0.1 checks the JSON 1.1 requests the SDK sends
 * (X-Amz-Target AWSGlue.*) and answers as the Glue API reference documents.
 */
type Fake = Awaited<ReturnType<typeof startJsonServiceFake>>;

describe('GlueCatalog', () => {
  let fake: Fake | undefined;
  let client: GlueClient | undefined;

  afterEach(async () => {
    client?.destroy();
    await fake?.close();
  });

  const catalogOn = async (answer: (request: JsonRequest) => { status?: number; body: unknown }, maxAttempts = 3) => {
    fake = await startJsonServiceFake(answer);
    client = new GlueClient({
      endpoint: fake.endpoint,
      region: TEST_REGION,
      credentials: TEST_CREDENTIALS,
      maxAttempts,
    });
    return new GlueCatalog(client, {
      database: 'fredlake',
      table: 'fred_daily',
      location: 's3://lake-bucket/curated/fred_daily',
    });
  };

  const dates = (count: number): string[] =>
    Array.from({ length: count }, (_, i) => new Date(Date.UTC(2024, 0, 1 + i)).toISOString().slice(0, 10));

  it('registers 250 dates in batches of at most 100 with a Parquet storage descriptor per date', async () => {
    const catalog = await catalogOn(() => ({ body: { Errors: [] } }));

    await catalog.registerPartitions(dates(250));

    const requests = fake?.requests ?? [];
    const inputs = requests.map((r) => r.body.PartitionInputList as Array<Record<string, unknown>>);
    expect(requests.map((r) => r.target)).toEqual(Array(3).fill('AWSGlue.BatchCreatePartition'));
    expect(requests[0]?.contentType).toBe('application/x-amz-json-1.1');
    expect(requests.every((r) => r.body.DatabaseName === 'fredlake' && r.body.TableName === 'fred_daily')).toBe(true);
    expect(inputs.map((list) => list.length)).toEqual([100, 100, 50]);
    expect(inputs[0]?.[0]).toEqual({
      Values: ['2024-01-01'],
      StorageDescriptor: {
        Columns: [
          { Name: 'sp500_daily_price', Type: 'double' },
          { Name: 'sp500_daily_percentage_change', Type: 'double' },
          { Name: 'cpi_level', Type: 'double' },
          { Name: 'cpi_annual_percentage_change', Type: 'double' },
        ],
        Location: 's3://lake-bucket/curated/fred_daily/date=2024-01-01/',
        InputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
        OutputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat',
        Compressed: false,
        SerdeInfo: {
          SerializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe',
          Parameters: { 'serialization.format': '1' },
        },
      },
    });
  });

  it('treats partitions that already exist as registered', async () => {
    const catalog = await catalogOn((request) => ({
      body: {
        Errors: (request.body.PartitionInputList as Array<{ Values: string[] }>).map((p) => ({
          PartitionValues: p.Values,
          ErrorDetail: { ErrorCode: 'AlreadyExistsException', ErrorMessage: 'Partition already exists.' },
        })),
      },
    }));

    const result = await catalog.registerPartitions(['2024-01-02', '2024-01-03']);

    expect(result).toBeUndefined();
    expect(fake?.requests).toHaveLength(1);
  });

  it('fails with a CatalogError naming the dates Glue refused for another reason', async () => {
    const catalog = await catalogOn(() => ({
      body: {
        Errors: [
          { PartitionValues: ['2024-01-02'], ErrorDetail: { ErrorCode: 'AlreadyExistsException', ErrorMessage: 'x' } },
          {
            PartitionValues: ['2024-01-03'],
            ErrorDetail: { ErrorCode: 'EntityNotFoundException', ErrorMessage: 'Table fred_daily not found.' },
          },
        ],
      },
    }));

    const failure = await catalog.registerPartitions(['2024-01-02', '2024-01-03']).catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(CatalogError);
    expect((failure as CatalogError).retryable).toBe(false);
    expect((failure as CatalogError).message).toContain('refused 1 of 2 partitions of fredlake.fred_daily');
    expect((failure as CatalogError).message).toContain('2024-01-03: EntityNotFoundException');
  });

  it('turns a throttled call into a retryable CatalogError', async () => {
    const catalog = await catalogOn(
      () => ({ status: 400, body: { __type: 'ThrottlingException', message: 'Rate exceeded' } }),
      1,
    );

    const failure = await catalog.registerPartitions(['2024-01-02']).catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(CatalogError);
    expect((failure as CatalogError).retryable).toBe(true);
    expect((failure as CatalogError).message).toContain('Glue BatchCreatePartition on fredlake.fred_daily');
  });

  it('lists every partition date across pages, sorted', async () => {
    const pages: Record<string, { Partitions: Array<{ Values: string[] }>; NextToken?: string }> = {
      '': { Partitions: [{ Values: ['2024-01-03'] }, { Values: ['2024-01-01'] }], NextToken: 'page-2' },
      'page-2': { Partitions: [{ Values: ['2024-01-02'] }] },
    };
    const catalog = await catalogOn((request) => {
      expect(request.target).toBe('AWSGlue.GetPartitions');
      return { body: pages[String(request.body.NextToken ?? '')] };
    });

    const listed = await catalog.listPartitions();

    expect(listed).toEqual(['2024-01-01', '2024-01-02', '2024-01-03']);
    expect(fake?.requests.map((r) => [r.body.DatabaseName, r.body.TableName, r.body.NextToken])).toEqual([
      ['fredlake', 'fred_daily', undefined],
      ['fredlake', 'fred_daily', 'page-2'],
    ]);
  });
});
