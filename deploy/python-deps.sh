#!/usr/bin/env bash
# Installs the Python packages of bench/accuracy (the scikit-learn and XGBoost baselines) from
# Debian, for the system interpreter /usr/bin/python3. Not needed to run vigil itself.
#   deploy/python-deps.sh          installs python3-sklearn python3-xgboost python3-pandas
# Debian's packages rather than pip: the `python3` on PATH may be another interpreter (pyenv)
# and pip wheels would need network access to PyPI at bench time; /usr/bin/python3 is fixed.
set -euo pipefail
DEPLOY_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib/apt.sh
source "$DEPLOY_DIR/lib/apt.sh"

PACKAGES=(python3-sklearn python3-xgboost python3-pandas)
if /usr/bin/python3 -c 'import sklearn, xgboost, pandas' 2>/dev/null; then
  echo "[python-deps] already installed: ${PACKAGES[*]}"
  exit 0
fi
apt_install "${TMPDIR:-/tmp}/vigil-python-deps.log" "${PACKAGES[@]}"
/usr/bin/python3 -c 'import sklearn, xgboost, pandas; print("[python-deps] sklearn", sklearn.__version__, "xgboost", xgboost.__version__, "pandas", pandas.__version__)'
