import { Logger as PowertoolsLogger } from '@aws-lambda-powertools/logger';
import { MetricUnit, Metrics as PowertoolsMetrics } from '@aws-lambda-powertools/metrics';
import type { LogAttributes, Logger, LogLevel } from '../logger.ts';
import { METRICS_NAMESPACE } from '../metric-names.ts';
import type { Metrics, MetricUnit as OurUnit } from '../ports/metrics.ts';

/** The Logger port over Powertools Logger: JSON lines in Lambda, with the given attributes on every line. */
export const createPowertoolsLogger = (serviceName: string, level: LogLevel): Logger => {
  const wrap = (logger: PowertoolsLogger): Logger => ({
    debug: (m, a = {}) => logger.debug(m, a),
    info: (m, a = {}) => logger.info(m, a),
    warn: (m, a = {}) => logger.warn(m, a),
    error: (m, a = {}) => logger.error(m, a),
    child: (attributes: LogAttributes) => {
      const child = logger.createChild();
      child.appendPersistentKeys(attributes as Record<string, never>);
      return wrap(child);
    },
  });
  return wrap(new PowertoolsLogger({ serviceName, logLevel: level === 'SILENT' ? 'SILENT' : level }));
};

/**
 * The Metrics port over Powertools Metrics: CloudWatch EMF, one JSON line on stdout per flush (once per invocation,
 * by the SQS batch wrapper and the gap auditor). A flush with nothing added prints nothing (and no warning).
 */
export const createEmfMetrics = (serviceName: string): Metrics => {
  const metrics = new PowertoolsMetrics({ namespace: METRICS_NAMESPACE, serviceName });
  const units: Record<OurUnit, (typeof MetricUnit)[keyof typeof MetricUnit]> = {
    Count: MetricUnit.Count,
    Milliseconds: MetricUnit.Milliseconds,
  };
  return {
    add: (name, value, unit = 'Count') => metrics.addMetric(name, units[unit], value),
    flush: () => {
      if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
    },
  };
};
