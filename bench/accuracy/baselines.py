"""Trains the scikit-learn RandomForest and XGBoost baselines on a training CSV, scores a
hold-out CSV, and writes one report per model in vigil's `evaluate --json` shape, plus
`trainingSeconds` (fit only, data loading excluded, as vigil's manifest measures it) and
`trainClassCounts`. Rows are weighted by inverse class frequency, n / (7 * count), the class
weights vigil's training uses (classWeightPower 1); `--class-weight none` trains unweighted.
Run with /usr/bin/python3 (Debian's sklearn and xgboost; see deploy/python-deps.sh).

  /usr/bin/python3 bench/accuracy/baselines.py --train T.csv --holdout H.csv --out-dir DIR
"""
import argparse
import json
import os
import time

import numpy as np
from sklearn.ensemble import RandomForestClassifier
from sklearn.impute import SimpleImputer
from sklearn.pipeline import make_pipeline
from sklearn.utils.class_weight import compute_sample_weight
from xgboost import XGBClassifier

from flows import class_counts, load_feature_specs, load_flows
from metrics import confusion_matrix, report_of_confusion

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULTS = {
    'schema': os.path.join(HERE, '..', '..', 'schemas', 'flow-features-v1.json'),
    'seed': 1,
    'jobs': 2,
    'trees': 200,
    'rounds': 100,
    'depth': 6,
    'class_weight': 'balanced',
}


# Each model: (estimator, the fit() keyword that takes per-row weights).
def random_forest(o: argparse.Namespace):
    # Debian 12's scikit-learn (1.2) forests refuse NaN, so a missing value becomes the
    # feature's training median; vigil fills the training mean instead (transform.ts).
    model = make_pipeline(
        SimpleImputer(strategy='median'),
        RandomForestClassifier(n_estimators=o.trees, n_jobs=o.jobs, random_state=o.seed),
    )
    return model, 'randomforestclassifier__sample_weight'


def xgboost(o: argparse.Namespace):
    # NaN is XGBoost's native missing marker: each split learns which side missing values take.
    model = XGBClassifier(
        tree_method='hist', n_estimators=o.rounds, max_depth=o.depth, n_jobs=o.jobs, random_state=o.seed
    )
    return model, 'sample_weight'


MODELS = {'RandomForest': random_forest, 'XGBoost': xgboost}


def fit_and_score(name, model, fit_params, x_train, y_train, x_holdout, y_holdout) -> dict:
    started = time.perf_counter()
    model.fit(x_train, y_train, **fit_params)
    seconds = time.perf_counter() - started
    predicted = np.asarray(model.predict(x_holdout)).astype(np.int64)
    report = report_of_confusion(confusion_matrix(y_holdout, predicted), name)
    report['trainingSeconds'] = seconds
    return report


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--train', required=True)
    p.add_argument('--holdout', required=True)
    p.add_argument('--out-dir', required=True)
    p.add_argument('--schema', default=DEFAULTS['schema'])
    p.add_argument('--seed', type=int, default=DEFAULTS['seed'])
    p.add_argument('--jobs', type=int, default=DEFAULTS['jobs'], help='threads per model')
    p.add_argument('--trees', type=int, default=DEFAULTS['trees'], help='RandomForest trees')
    p.add_argument('--rounds', type=int, default=DEFAULTS['rounds'], help='XGBoost boosting rounds')
    p.add_argument('--depth', type=int, default=DEFAULTS['depth'], help='XGBoost max tree depth')
    p.add_argument('--class-weight', choices=('balanced', 'none'), default=DEFAULTS['class_weight'],
                   help='balanced: rows weighted by inverse class frequency, as vigil weights its loss')
    o = p.parse_args()

    specs = load_feature_specs(o.schema)
    x_train, y_train = load_flows(o.train, specs)
    x_holdout, y_holdout = load_flows(o.holdout, specs)
    print(f'baselines: {len(y_train)} training rows, {len(y_holdout)} hold-out rows, {len(specs)} features; '
          f'missing values: {int(np.isnan(x_train).sum())} in training, {int(np.isnan(x_holdout).sum())} in hold-out', flush=True)
    os.makedirs(o.out_dir, exist_ok=True)
    weights = compute_sample_weight('balanced', y_train) if o.class_weight == 'balanced' else None
    for name, build in MODELS.items():
        model, weight_param = build(o)
        fit_params = {} if weights is None else {weight_param: weights}
        label = name if weights is not None else f'{name} (unweighted)'
        report = fit_and_score(label, model, fit_params, x_train, y_train, x_holdout, y_holdout)
        report['trainClassCounts'] = class_counts(y_train)
        path = os.path.join(o.out_dir, f'{name}.json')
        with open(path, 'w', encoding='utf8') as f:
            json.dump(report, f)
        print(f"baselines: {name} trained in {report['trainingSeconds']:.1f} s, macro-F1 {report['macroF1']:.4f} -> {path}", flush=True)


if __name__ == '__main__':
    main()
