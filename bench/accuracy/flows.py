"""Labelled CICIDS2017 flows (corrected release) as vigil sees them: the 79 features of
schemas/flow-features-v1.json by their `cicflowmeter` column, vigil's missing-value rule, and
vigil's label -> class mapping. The baselines must score exactly the rows and values vigil
scores, or the comparison says nothing about the models."""
import json
import re

import numpy as np
import pandas as pd

# THREAT_CLASSES and CICIDS_LABELS of src/events/threat-classes.ts, duplicated because that
# module is TypeScript. Kept in sync by table.py, which refuses to print unless the hold-out's
# per-class counts here equal the supports of vigil's own `evaluate --json` on the same file.
THREAT_CLASSES = ('normal', 'dos', 'recon', 'brute_force', 'web_attack', 'botnet', 'intrusion')
_CICIDS_LABELS = {
    'benign': 'normal',
    'ddos': 'dos',
    'dos hulk': 'dos',
    'dos goldeneye': 'dos',
    'dos slowloris': 'dos',
    'dos slowhttptest': 'dos',
    'portscan': 'recon',
    'infiltration - portscan': 'recon',
    'ftp-patator': 'brute_force',
    'ssh-patator': 'brute_force',
    'web attack - brute force': 'web_attack',
    'web attack - xss': 'web_attack',
    'web attack - sql injection': 'web_attack',
    'bot': 'botnet',
    'botnet': 'botnet',
    'infiltration': 'intrusion',
    'heartbleed': 'intrusion',
}


def normalise_label(label: str) -> str:
    """normaliseLabel of threat-classes.ts: the original release writes "Web Attack \\x96 XSS"."""
    s = label.strip().lower()
    s = re.sub(r'[^\x20-\x7e]+', '-', s)
    s = re.sub(r'\s*-\s*', ' - ', s)
    return re.sub(r'\s+', ' ', s)


_LABEL_TO_CLASS = {normalise_label(k): THREAT_CLASSES.index(v) for k, v in _CICIDS_LABELS.items()}
_LABEL_TO_CLASS.update({normalise_label(c): i for i, c in enumerate(THREAT_CLASSES)})


def class_of_label(label: object) -> int:
    """THREAT_CLASSES index of a source label, or -1 when no class maps to it (vigil skips the row)."""
    if not isinstance(label, str):
        return -1
    return _LABEL_TO_CLASS.get(normalise_label(label), -1)


def load_feature_specs(schema_path: str) -> list[dict]:
    with open(schema_path, encoding='utf8') as f:
        doc = json.load(f)
    features = doc['features']
    if len(features) != doc['dims']:
        raise ValueError(f"{schema_path} lists {len(features)} features, expected {doc['dims']}")
    return features


def sanitize(values: np.ndarray, mins: np.ndarray) -> np.ndarray:
    """sanitizeValue of src/vector/sanitize.ts over a matrix: a value is missing (NaN) when it
    is not finite as a 32-bit float or is below its feature's `min`."""
    with np.errstate(over='ignore', invalid='ignore'):
        f32 = values.astype(np.float32)
        missing = ~np.isfinite(f32) | ~(values >= mins)
    f32[missing] = np.nan
    return f32


_NON_FINITE = {'infinity': np.inf, '+infinity': np.inf, 'inf': np.inf, '+inf': np.inf,
               '-infinity': -np.inf, '-inf': -np.inf, 'nan': np.nan, '+nan': np.nan, '-nan': np.nan}


def _parse_numbers(cells: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(values, unreadable) of a column, as vigil's parseNumber reads cells: decimal numbers
    and the non-finite spellings above; anything else (an empty cell too) is unreadable."""
    text = cells.str.strip()
    values = pd.to_numeric(text, errors='coerce').to_numpy(np.float64)
    unparsed = np.isnan(values)
    spelled = text[unparsed].str.lower()
    values[unparsed] = spelled.map(_NON_FINITE).to_numpy(np.float64)
    unreadable = np.zeros(len(text), dtype=bool)
    unreadable[unparsed] = ~spelled.isin(_NON_FINITE.keys()).to_numpy()
    return values, unreadable


def load_flows(csv_path: str, specs: list[dict], label_column: str = 'Label') -> tuple[np.ndarray, np.ndarray]:
    """(X float32 rows x 79 with NaN = missing, y class indices) of the labelled rows of a
    corrected-release CSV. Dropped as vigil drops them: rows whose label maps to no class, and
    rows with an unreadable feature cell (vigil's decoder rejects those rows as bad input)."""
    columns = [s['cicflowmeter'] for s in specs]
    frame = pd.read_csv(csv_path, usecols=columns + [label_column], dtype=str, keep_default_na=False)
    y = frame[label_column].map(class_of_label).to_numpy(np.int32)
    raw = np.empty((len(frame), len(columns)), dtype=np.float64)
    bad = np.zeros(len(frame), dtype=bool)
    for j, name in enumerate(columns):
        raw[:, j], unreadable = _parse_numbers(frame[name])
        bad |= unreadable
    keep = (y >= 0) & ~bad
    mins = np.array([s['min'] for s in specs], dtype=np.float64)
    return sanitize(raw[keep], mins), y[keep]


def class_counts(y: np.ndarray) -> dict[str, int]:
    return {c: int((y == i).sum()) for i, c in enumerate(THREAT_CLASSES)}
