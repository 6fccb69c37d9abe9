"""vigil's evaluation contract (src/evaluation/metrics.ts, `vigil evaluate --json`) in Python,
so a baseline's report is computed by the same definitions as vigil's: zero denominators
give 0 (scikit-learn's zero_division=0), macro-F1 is the unweighted mean over all 7 classes."""
import numpy as np

from flows import THREAT_CLASSES


def _ratio(num: float, den: float) -> float:
    return 0.0 if den == 0 else num / den


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, k: int = len(THREAT_CLASSES)) -> list[list[int]]:
    """k x k counts, rows = true class, columns = predicted class."""
    if len(y_true) != len(y_pred):
        raise ValueError(f'{len(y_true)} true labels but {len(y_pred)} predictions')
    m = np.zeros((k, k), dtype=np.int64)
    np.add.at(m, (np.asarray(y_true), np.asarray(y_pred)), 1)
    return m.tolist()


def report_of_confusion(confusion: list[list[int]], model: str) -> dict:
    """The `evaluate --json` object of a confusion matrix."""
    k = len(confusion)
    per_class = {}
    for c in range(k):
        tp = confusion[c][c]
        support = sum(confusion[c])
        predicted = sum(confusion[j][c] for j in range(k))
        precision, recall = _ratio(tp, predicted), _ratio(tp, support)
        f1 = _ratio(2 * precision * recall, precision + recall)
        per_class[THREAT_CLASSES[c]] = {'precision': precision, 'recall': recall, 'f1': f1, 'support': support}
    normal = confusion[0]
    return {
        'model': model,
        'rows': sum(sum(r) for r in confusion),
        'macroF1': sum(m['f1'] for m in per_class.values()) / k,
        'benignFPR': _ratio(sum(normal) - normal[0], sum(normal)),
        'perClass': per_class,
        'confusion': confusion,
        'classes': list(THREAT_CLASSES),
    }
