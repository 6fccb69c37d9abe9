"""Prints vigil and the baselines side by side on one hold-out: macro-F1, benign FPR, recall
per class and training time. Refuses (exit 1) unless every report scored the same rows:
vigil's per-class supports must equal the hold-out's class counts under flows.py's label
mapping, and vigil's own macro-F1 and benign FPR must come out again from its confusion matrix
under metrics.py; that is what keeps the Python copies in step with the TypeScript.

  /usr/bin/python3 bench/accuracy/table.py --holdout H.csv \\
      --vigil REPORT.json MODEL_OR_MODELS_DIR [--vigil ...] --baseline REPORT.json [--baseline ...]
"""
import argparse
import json
import os
import sys

from baselines import DEFAULTS
from flows import THREAT_CLASSES, class_counts, load_feature_specs, load_flows
from metrics import report_of_confusion

TOLERANCE = 1e-9


def read_json(path: str) -> dict:
    with open(path, encoding='utf8') as f:
        return json.load(f)


def vigil_row(report_path: str, model_dir: str) -> dict:
    """vigil's report, with training time and class counts from the model's manifest.
    `model_dir` may also be a registry directory (models/), holding the report's version."""
    report = read_json(report_path)
    if not os.path.exists(os.path.join(model_dir, 'manifest.json')):
        model_dir = os.path.join(model_dir, report['model'])
    manifest = read_json(os.path.join(model_dir, 'manifest.json'))
    report['model'] = f"vigil {report['model']}"
    report['trainingSeconds'] = manifest.get('metrics', {}).get('trainingSeconds')
    report['trainClassCounts'] = manifest.get('trainingConfig', {}).get('classCounts')
    return report


def disagreements(report: dict, holdout_counts: dict[str, int]) -> list[str]:
    """Why `report` is not comparable with the baselines' (empty when it is)."""
    problems = []
    if report['classes'] != list(THREAT_CLASSES):
        problems.append(f"class order {report['classes']} is not flows.THREAT_CLASSES {list(THREAT_CLASSES)}")
    supports = {c: m['support'] for c, m in report['perClass'].items()}
    if supports != holdout_counts:
        problems.append(f'per-class supports {supports} differ from the hold-out read by flows.py {holdout_counts}')
    again = report_of_confusion(report['confusion'], report['model'])
    for key in ('macroF1', 'benignFPR'):
        if abs(again[key] - report[key]) > TOLERANCE:
            problems.append(f'{key} {report[key]} but metrics.py gives {again[key]} from the same confusion matrix')
    return problems


def fmt_seconds(s) -> str:
    return '-' if s is None else f'{s:.1f}'


def print_table(rows: list[dict]) -> None:
    header = ['model', 'macro-F1', 'benign FPR', *(f'recall {c}' for c in THREAT_CLASSES), 'train s']
    cells = [
        [
            r['model'],
            f"{r['macroF1']:.4f}",
            f"{r['benignFPR'] * 100:.2f}%",
            *(f"{r['perClass'][c]['recall']:.4f}" for c in THREAT_CLASSES),
            fmt_seconds(r['trainingSeconds']),
        ]
        for r in rows
    ]
    widths = [max(len(h), *(len(row[i]) for row in cells)) for i, h in enumerate(header)]
    line = lambda values: '| ' + ' | '.join(v.ljust(w) if i == 0 else v.rjust(w) for i, (v, w) in enumerate(zip(values, widths))) + ' |'
    print(line(header))
    print('|' + '|'.join(('-' * (w + 2)) if i == 0 else ('-' * (w + 1) + ':') for i, w in enumerate(widths)) + '|')
    for row in cells:
        print(line(row))


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--holdout', required=True)
    p.add_argument('--schema', default=DEFAULTS['schema'])
    p.add_argument('--vigil', nargs=2, action='append', default=[], metavar=('REPORT', 'MODEL_OR_MODELS_DIR'))
    p.add_argument('--baseline', action='append', default=[], metavar='REPORT')
    o = p.parse_args()

    _, y_holdout = load_flows(o.holdout, load_feature_specs(o.schema))
    holdout_counts = class_counts(y_holdout)
    vigil_rows = [vigil_row(r, d) for r, d in o.vigil]
    baseline_rows = [read_json(r) for r in o.baseline]
    rows = vigil_rows + baseline_rows
    failed = False
    for r in rows:
        for problem in disagreements(r, holdout_counts):
            print(f'table: {r["model"]}: {problem}', file=sys.stderr)
            failed = True
    if failed:
        return 1

    print(f"hold-out: {len(y_holdout)} rows ({', '.join(f'{c} {n}' for c, n in holdout_counts.items())})\n")
    print_table(rows)
    # The baselines read split/train.csv themselves; a vigil model's manifest says what it read.
    trained_on = baseline_rows[0]['trainClassCounts'] if baseline_rows else None
    for r in vigil_rows:
        if trained_on and r['trainClassCounts'] != trained_on:
            print(f"\nnote: {r['model']} was not trained on the baselines' rows: its manifest counts "
                  f"{r['trainClassCounts']}, the baselines {trained_on}")
    return 0


if __name__ == '__main__':
    sys.exit(main())
