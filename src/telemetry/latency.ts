import hdr from 'hdr-histogram-js';

/**
 * Per-event latency in milliseconds, kept in an HDR histogram (microsecond resolution,
 * 3 significant digits) so percentiles stay exact to 0.1% at constant memory however many
 * events pass.
 */
export class LatencyRecorder {
  private readonly histogram = hdr.build({
    bitBucketSize: 64,
    autoResize: true,
    lowestDiscernibleValue: 1,
    numberOfSignificantValueDigits: 3,
    useWebAssembly: false,
  });

  recordMs(ms: number): void {
    this.histogram.recordValue(Math.max(1, Math.round(ms * 1000)));
  }

  get count(): number {
    return this.histogram.totalCount;
  }

  percentileMs(p: number): number {
    return this.count === 0 ? 0 : this.histogram.getValueAtPercentile(p) / 1000;
  }

  summary(): { count: number; p50: number; p99: number; max: number } {
    return {
      count: this.count,
      p50: this.percentileMs(50),
      p99: this.percentileMs(99),
      max: this.count === 0 ? 0 : this.histogram.maxValue / 1000,
    };
  }
}
