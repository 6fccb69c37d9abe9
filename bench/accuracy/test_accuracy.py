"""Unit tests of the Python copies of vigil's rules (flows.py, metrics.py), the label mapping
checked against vigil's own TypeScript (dist/) so a drift fails here before the bench runs.

  /usr/bin/python3 -m unittest discover -s bench/accuracy -p 'test_*.py'
"""
import json
import os
import subprocess
import unittest

import numpy as np
import pandas as pd
from sklearn.metrics import f1_score

from flows import THREAT_CLASSES, _CICIDS_LABELS, _parse_numbers, class_of_label, sanitize
from metrics import confusion_matrix, report_of_confusion

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
THREAT_CLASSES_JS = os.path.join(ROOT, 'dist', 'src', 'events', 'threat-classes.js')


class LabelMappingTest(unittest.TestCase):
    @unittest.skipUnless(os.path.exists(THREAT_CLASSES_JS), 'dist/ not built (npm run build)')
    def test_agrees_with_vigil_on_every_known_label_and_spelling(self):
        labels = [*_CICIDS_LABELS, *THREAT_CLASSES, 'BENIGN', ' DoS Hulk ', 'Web Attack \x96 Brute Force',
                  'Web Attack \u2013 XSS', 'Web Attack-Sql Injection', 'PortScan', 'Infiltration - Portscan',
                  'Bot', 'Heartbleed', 'BRUTE_FORCE', 'DoS  slowloris', 'Attempted', 'unknown', '']
        script = (
            f'const m = await import({json.dumps("file://" + THREAT_CLASSES_JS)});'
            'const labels = JSON.parse(process.argv[1]);'
            'console.log(JSON.stringify({classes: m.THREAT_CLASSES,'
            ' indices: labels.map((l) => { const c = m.classOfLabel(l); return c === undefined ? -1 : m.classIndex(c); })}));'
        )
        out = subprocess.run(['node', '--input-type=module', '-e', script, json.dumps(labels)],
                             capture_output=True, text=True, check=True, cwd=ROOT)
        vigil = json.loads(out.stdout)
        self.assertEqual(vigil['classes'], list(THREAT_CLASSES))
        self.assertEqual([class_of_label(l) for l in labels], vigil['indices'])
        self.assertEqual(class_of_label('Web Attack \x96 Brute Force'), THREAT_CLASSES.index('web_attack'))

    def test_a_missing_label_has_no_class(self):
        self.assertEqual(class_of_label(None), -1)


class MissingRuleTest(unittest.TestCase):
    def test_non_finite_below_min_and_float32_overflow_are_missing(self):
        mins = np.array([0, 0, 0, -1, 0, 0], dtype=np.float64)
        values = np.array([[np.nan, np.inf, -1.0, -1.0, 3.5e38, 0.0]])
        got = sanitize(values, mins)
        self.assertEqual(got.dtype, np.float32)
        np.testing.assert_array_equal(np.isnan(got[0]), [True, True, True, False, True, False])
        self.assertEqual(got[0, 3], -1.0)

    def test_cells_read_as_vigil_reads_them(self):
        values, unreadable = _parse_numbers(pd.Series(['1.5', ' 2 ', 'Infinity', '-inf', 'NaN', '', 'abc', '0x1f']))
        np.testing.assert_array_equal(unreadable, [False, False, False, False, False, True, True, True])
        np.testing.assert_array_equal(values[:4], [1.5, 2.0, np.inf, -np.inf])
        self.assertTrue(np.isnan(values[4]))


class MetricsTest(unittest.TestCase):
    def test_report_matches_scikit_learn_with_zero_division_0(self):
        rng = np.random.default_rng(7)
        y_true = rng.integers(0, 6, 300)  # intrusion (6) absent: its F1 must count as 0
        y_pred = np.where(rng.random(300) < 0.8, y_true, rng.integers(0, 7, 300))
        y_pred[y_pred == 5] = 4  # botnet never predicted: precision 0
        report = report_of_confusion(confusion_matrix(y_true, y_pred), 'm')
        expected = f1_score(y_true, y_pred, labels=range(7), average='macro', zero_division=0)
        self.assertAlmostEqual(report['macroF1'], expected, places=12)
        self.assertEqual(report['perClass']['intrusion']['support'], 0)
        normal = y_true == 0
        self.assertAlmostEqual(report['benignFPR'], float((y_pred[normal] != 0).mean()), places=12)


if __name__ == '__main__':
    unittest.main()
