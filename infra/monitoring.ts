import { Duration } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, Metric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { METRICS_NAMESPACE, Metric as MetricName } from '#shared/metric-names.ts';

export interface MonitoringProps {
  /** Optional: subscribe this address to the alarm topic (it must confirm the subscription). */
  readonly alarmEmail?: string | undefined;
  /** Alarm when no partition was written for this many days (1-7: CloudWatch evaluates at most 7 days). */
  readonly freshnessDays: number;
  /**
   * The Powertools service name the functions run with: Powertools Metrics adds it to every metric as the
   * `service` dimension, so an alarm on a fredlake metric must name it to match.
   */
  readonly serviceName: string;
  readonly deadLetterQueues: Record<string, IQueue>;
  readonly functions: Record<string, IFunction>;
}

/**
 * The alarm topic (encrypted with a customer-managed key, because CloudWatch cannot publish to a topic encrypted
 * with the AWS-managed SNS key) and the alarms: a message in any DLQ, errors of any function, no new partition for
 * `freshnessDays` (missing data counts as breaching), gaps found by the auditor, quality-gate failures.
 */
export class Monitoring extends Construct {
  readonly topic: Topic;
  readonly topicKey: Key;
  readonly alarms: Alarm[] = [];

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    if (!Number.isInteger(props.freshnessDays) || props.freshnessDays < 1 || props.freshnessDays > 7) {
      throw new Error(`freshnessDays must be a whole number of days from 1 to 7, got ${props.freshnessDays}.`);
    }

    const key = new Key(this, 'TopicKey', {
      description: 'fredlake: encrypts the alarm topic',
      enableKeyRotation: true,
    });
    this.topicKey = key;
    key.grant(new ServicePrincipal('cloudwatch.amazonaws.com'), 'kms:Decrypt', 'kms:GenerateDataKey*');
    this.topic = new Topic(this, 'AlarmTopic', {
      displayName: 'fredlake alarms',
      masterKey: key,
      enforceSSL: true,
    });
    if (props.alarmEmail) this.topic.addSubscription(new EmailSubscription(props.alarmEmail));
    const action = new SnsAction(this.topic);

    const add = (alarm: Alarm): void => {
      alarm.addAlarmAction(action);
      this.alarms.push(alarm);
    };

    for (const [name, dlq] of Object.entries(props.deadLetterQueues)) {
      add(
        new Alarm(this, `${name}DlqNotEmpty`, {
          alarmDescription: `The ${name} dead-letter queue holds messages: read ops/failures/ and redrive them.`,
          metric: dlq.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: 'Maximum' }),
          comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
          threshold: 0,
          evaluationPeriods: 1,
          treatMissingData: TreatMissingData.NOT_BREACHING,
        }),
      );
    }

    for (const [name, fn] of Object.entries(props.functions)) {
      add(
        new Alarm(this, `${name}Errors`, {
          alarmDescription: `The ${name} function failed (an invocation error, not a message left for retry).`,
          metric: fn.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }),
          comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
          threshold: 0,
          evaluationPeriods: 1,
          treatMissingData: TreatMissingData.NOT_BREACHING,
        }),
      );
    }

    const fredlakeMetric = (metricName: string, period: Duration) =>
      new Metric({
        namespace: METRICS_NAMESPACE,
        metricName,
        dimensionsMap: { service: props.serviceName },
        statistic: 'Sum',
        period,
      });

    add(
      new Alarm(this, 'Freshness', {
        alarmDescription: `No new fred_daily partition was written for ${props.freshnessDays} day(s).`,
        metric: fredlakeMetric(MetricName.PartitionsWritten, Duration.days(1)),
        comparisonOperator: ComparisonOperator.LESS_THAN_THRESHOLD,
        threshold: 1,
        evaluationPeriods: props.freshnessDays,
        datapointsToAlarm: props.freshnessDays,
        treatMissingData: TreatMissingData.BREACHING,
      }),
    );
    add(
      new Alarm(this, 'GapsFound', {
        alarmDescription:
          'The nightly audit found dates of fred_daily missing, mismatched or unregistered (it enqueued repairs).',
        metric: fredlakeMetric(MetricName.GapsFound, Duration.hours(1)),
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        threshold: 0,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
    );
    add(
      new Alarm(this, 'QualityGateFailures', {
        alarmDescription:
          'A fetch run was quarantined by a data-quality gate: nothing published (see ops/quarantine/).',
        metric: fredlakeMetric(MetricName.QualityGateFailures, Duration.minutes(5)),
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        threshold: 0,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
    );
  }
}
