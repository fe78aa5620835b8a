/** Histogram buckets shared by Vigil's metrics, so dashboards compare like with like. */

/** Seconds, 1 ms to 1 min: the issue-10 targets (p50 ≤ 200 ms, p99 ≤ 1 s) fall between buckets of their own. */
export const latencySecondsBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60];

/** Items per batch (events per MQTT message, detections per signal): up to the wire's 10,000 events. */
export const batchSizeBuckets = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000];
