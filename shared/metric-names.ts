/** CloudWatch (EMF) metric names, shared by the code that emits them and the CDK alarms that watch them. */
export const METRICS_NAMESPACE = 'fredlake';
export const Metric = {
  PartitionsWritten: 'PartitionsWritten',
  PartitionsUnchanged: 'PartitionsUnchanged',
  FredRequests: 'FredRequests',
  FredRateLimited: 'FredRateLimited',
  FredLatency: 'FredLatency',
  GapsFound: 'GapsFound',
  GapsRepaired: 'GapsRepaired',
  QualityGateFailures: 'QualityGateFailures',
  DlqMoves: 'DlqMoves',
} as const;
