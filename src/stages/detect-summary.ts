import { THREAT_CLASSES, classOfLabel, type ThreatClass } from '../events/threat-classes.js';
import { LatencyRecorder } from '../telemetry/latency.js';
import type { Verdict } from '../events/verdict.js';

/** What the summary reads of a batch of either topology (FlowBatch, EventBatch). */
export interface ObservedBatch {
  size: number;
  bad: readonly unknown[];
  accepted: readonly { event: object }[];
  verdicts?: readonly (Verdict | undefined)[];
}

/** A flow's label; security events carry none. */
const labelOf = (event: object): string | undefined => {
  const label = (event as { label?: unknown }).label;
  return typeof label === 'string' ? label : undefined;
};

export interface DetectReport {
  records: number;
  events: number;
  seconds: number;
  eventsPerSecond: number;
  deadLettered: number;
  verdictsPerClass: Record<ThreatClass, number>;
  /** Share of labelled events whose verdict matches the label; null when none carried a label. */
  accuracy: number | null;
  labelled: number;
  latencyMs: { p50: number; p99: number; max: number };
  modelVersions: string[];
}

/** Accumulates what a detect run did, batch by batch, at O(1) memory per event. */
export class DetectSummary {
  private readonly started = performance.now();
  private records = 0;
  private events = 0;
  private bad = 0;
  private labelled = 0;
  private correct = 0;
  private readonly perClass = Object.fromEntries(THREAT_CLASSES.map((c) => [c, 0])) as Record<ThreatClass, number>;
  private readonly versions = new Set<string>();
  readonly latency = new LatencyRecorder();

  /** A batch of either topology: verdicts[i] is accepted[i]'s, undefined where it was not scored. */
  observe(batch: ObservedBatch): void {
    this.records += batch.size;
    this.bad += batch.bad.length;
    const verdicts = batch.verdicts ?? [];
    verdicts.forEach((v, i) => {
      if (v === undefined) return;
      this.events += 1;
      this.perClass[v.class] += 1;
      this.versions.add(v.modelVersion);
      this.latency.recordMs(v.latencyMs);
      const event = batch.accepted[i]?.event;
      const label = event && labelOf(event);
      const truth = label ? classOfLabel(label) : undefined;
      if (truth) {
        this.labelled += 1;
        if (truth === v.class) this.correct += 1;
      }
    });
  }

  report(): DetectReport {
    const seconds = (performance.now() - this.started) / 1000;
    const { p50, p99, max } = this.latency.summary();
    return {
      records: this.records,
      events: this.events,
      seconds,
      eventsPerSecond: seconds > 0 ? this.events / seconds : 0,
      deadLettered: this.bad,
      verdictsPerClass: { ...this.perClass },
      accuracy: this.labelled > 0 ? this.correct / this.labelled : null,
      labelled: this.labelled,
      latencyMs: { p50, p99, max },
      modelVersions: [...this.versions],
    };
  }
}
