import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

export type Stage = 'fetcher' | 'transformer' | 'writer' | 'gap-auditor';

export interface PipelineFunctionProps {
  readonly stage: Stage;
  readonly description: string;
  readonly timeout: Duration;
  readonly memorySize: number;
  readonly logRetention: RetentionDays;
  readonly environment: Record<string, string>;
  readonly reservedConcurrentExecutions?: number | undefined;
}

/** Native modules of the embedded default: the Lambda code paths never import them (shared/deps.ts loads them lazily). */
export const LOCAL_ONLY_MODULES = ['better-sqlite3', '@duckdb/node-api'];

/**
 * parquet-wasm's Node build reads `parquet_wasm_bg.wasm` from its own directory (`${__dirname}/...`). Bundled, that
 * path would point at the bundle and the .wasm would be missing, so the package stays external and is copied
 * (package.json, licences and the `node/` build, about 5 MB) from the repository's node_modules into the asset's
 * node_modules, where Node resolves `import 'parquet-wasm'` at run time. Offline: no `npm ci` during synth.
 */
export const COPIED_MODULES = ['parquet-wasm'];
const copyParquetWasm = (inputDir: string, outputDir: string): string[] => {
  const from = join(inputDir, 'node_modules', 'parquet-wasm');
  const to = join(outputDir, 'node_modules', 'parquet-wasm');
  return [
    `mkdir -p "${to}"`,
    `cp "${join(from, 'package.json')}" "${from}"/LICENSE_* "${to}/"`,
    `cp -R "${join(from, 'node')}" "${to}/node"`,
  ];
};

/**
 * ESM bundles (index.mjs) keep top-level await and `import.meta.url` working. CommonJS dependencies that esbuild
 * folds into an ESM bundle still call `require` for Node built-ins, which ESM lacks: the banner provides it.
 */
export const REQUIRE_BANNER =
  "import { createRequire as __fredlakeCreateRequire } from 'node:module'; const require = __fredlakeCreateRequire(import.meta.url);";

/**
 * One pipeline stage as a Lambda: `services/<stage>/lambda.ts` bundled by esbuild (no Docker), Node.js 22 on arm64,
 * its own log group with a retention, and its own role that starts with no permissions at all (not even the
 * AWSLambdaBasicExecutionRole managed policy): the stack grants each role exactly what its stage needs.
 */
export class PipelineFunction extends Construct {
  readonly function: NodejsFunction;
  readonly role: Role;
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: PipelineFunctionProps) {
    super(scope, id);
    this.logGroup = new LogGroup(this, 'LogGroup', {
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `fredlake ${props.stage}: least-privilege execution role`,
    });
    this.logGroup.grantWrite(this.role);

    this.function = new NodejsFunction(this, 'Function', {
      entry: join(REPO_ROOT, 'services', props.stage, 'lambda.ts'),
      handler: 'handler',
      description: props.description,
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      timeout: props.timeout,
      memorySize: props.memorySize,
      role: this.role,
      logGroup: this.logGroup,
      environment: { ...props.environment, NODE_OPTIONS: '--enable-source-maps' },
      ...(props.reservedConcurrentExecutions === undefined
        ? {}
        : { reservedConcurrentExecutions: props.reservedConcurrentExecutions }),
      projectRoot: REPO_ROOT,
      depsLockFilePath: join(REPO_ROOT, 'package-lock.json'),
      bundling: {
        format: OutputFormat.ESM,
        target: 'node22',
        mainFields: ['module', 'main'],
        minify: true,
        sourceMap: true,
        sourcesContent: false,
        banner: REQUIRE_BANNER,
        externalModules: [...LOCAL_ONLY_MODULES, ...COPIED_MODULES],
        commandHooks: {
          beforeBundling: () => [],
          beforeInstall: () => [],
          afterBundling: copyParquetWasm,
        },
      },
    });

    Validations.of(this.function).acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        'Node.js 22 is the runtime fredlake is built and tested for (the brief pins NODEJS_22_X); it is an ' +
        'actively supported LTS runtime. Move to Node.js 24 together with the toolchain, not silently.',
    });
  }
}
