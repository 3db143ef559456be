#!/usr/bin/env bash
# Regenerate requirements.lock: the exact versions of a fresh `pip install '.[dev]'` in a new virtual
# environment (pip freeze), with the Python version it was made with. Run from anywhere; takes a few minutes.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
venv="$(mktemp -d)/venv"
python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --upgrade pip
"$venv/bin/python" -m pip install --quiet "$root[dev]"
{
  echo "# Exact versions of a fresh \`pip install '.[dev]'\` (pip freeze in a new venv), made by scripts/make_lock.sh"
  echo "# python $("$venv/bin/python" -c 'import platform; print(platform.python_version())'), $(uname -s) $(uname -m)"
  "$venv/bin/python" -m pip freeze --exclude-editable | grep -v '^externalize[= @]'
} > "$root/requirements.lock"
rm -rf "$(dirname "$venv")"
echo "wrote $root/requirements.lock"
