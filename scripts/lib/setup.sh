# Sourced by scripts/run and scripts/test: a virtual environment with the project installed.
# Reinstalls only when pyproject.toml (or the extras asked for) changed since the last install.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
VENV="${TRACKER_VENV:-$ROOT/.venv}"
PYTHON="${PYTHON:-python3}"

if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 10))' 2>/dev/null; then
    echo "The tracker needs Python 3.10 or newer; '$PYTHON' is $("$PYTHON" --version 2>&1 || echo missing)." >&2
    echo "Install a newer Python, or point PYTHON= at one." >&2
    exit 2
fi
if [ ! -x "$VENV/bin/python" ]; then
    echo "Creating a virtual environment in $VENV" >&2
    "$PYTHON" -m venv "$VENV"
fi

install_project() {  # install_project [extras]
    local extras="${1:-}"
    local spec="."
    [ -n "$extras" ] && spec=".[$extras]"
    local stamp="$VENV/.tracker-installed-$(cat pyproject.toml | sha1sum | cut -c1-12)-${extras:-core}"
    if [ ! -f "$stamp" ]; then
        echo "Installing the tracker and its dependencies into $VENV" >&2
        "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip >&2
        "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -e "$spec" >&2
        rm -f "$VENV"/.tracker-installed-*-"${extras:-core}"
        touch "$stamp"
    fi
}
