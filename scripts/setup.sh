#!/usr/bin/env bash
# Install everything cyc-geo needs on a fresh machine; idempotent and quick when done.
#   scripts/setup.sh          Python venv + pinned packages + map browser libraries
#   scripts/setup.sh --test   ... plus Debian chromium and CJK fonts for browser tests
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
want_test=0
[ "${1:-}" = "--test" ] && want_test=1

apt_install() {
  local missing=()
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" != "0" ]; then
    echo "setup: need root to apt-get install ${missing[*]}" >&2; return 1
  fi
  echo "setup: apt-get install ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

if ! command -v npm >/dev/null 2>&1; then apt_install npm; fi
# PDF exports embed WenQuanYi Micro Hei (TrueType outlines keep the text searchable); the browser uses Noto CJK
apt_install fonts-wqy-microhei || echo "setup: without fonts-wqy-microhei the PDF downloads are refused" >&2
# make serve: replicas behind nginx (the test of the replicas needs it too)
apt_install nginx || echo "setup: without nginx, make serve (replicas) is unavailable; make run still works" >&2
if [ $want_test = 1 ]; then apt_install chromium fonts-noto-cjk; fi

if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
stamp=.venv/.requirements.sha256
sum=$(sha256sum requirements.txt | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$sum" ]; then
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -r requirements.txt
  echo "$sum" > "$stamp"
fi
.venv/bin/python scripts/fetch_web_assets.py
