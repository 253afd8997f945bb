#!/usr/bin/env bash
# Install the Debian packages the test suite needs, and nothing else:
#   - PostgreSQL 15 server binaries (initdb, pg_ctl, postgres): tests start a throw-away
#     cluster of their own (tests/pg.py); no system service is used or started.
#   - Chromium (Debian's, /usr/bin/chromium) and fonts: the browser tests drive it through
#     Playwright. Never `playwright install`: no browser can be downloaded here.
#   - nginx: tests/test_deploy.py runs the deployment's proxy (deploy/nginx.conf) in front of
#     two dashboard processes; its system service is never started.
#   - docker-compose (Debian's 1.29, without the Docker engine it recommends): checks
#     compose.yaml with `docker-compose config`, which needs no engine.
#   - python3-venv, only when `python3 -m venv` does not work.
# Idempotent: when everything is present it runs no apt-get at all and takes well under a
# second. Runs as root (CI and dev machines); uses sudo only when not root.
set -euo pipefail

PYTHON="${PYTHON:-python3}"
missing=()

have_pkg() {
    dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"
}

# PostgreSQL server: the binaries are off PATH, under /usr/lib/postgresql/<major>/bin.
if ! compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null; then
    missing+=(postgresql)
fi
# Chromium for the browser tests.
if ! command -v chromium >/dev/null 2>&1; then
    missing+=(chromium)
fi
# The deployment's proxy and the compose file's checker (tests/test_deploy.py).
if ! command -v nginx >/dev/null 2>&1 && [ ! -x /usr/sbin/nginx ]; then
    missing+=(nginx)
fi
no_recommends=()
if ! command -v docker-compose >/dev/null 2>&1 && ! docker compose version >/dev/null 2>&1; then
    no_recommends+=(docker-compose)
fi
# Fonts so that pages and charts render text in screenshots and PNG exports.
for pkg in fonts-liberation fonts-dejavu-core; do
    have_pkg "$pkg" || missing+=("$pkg")
done
# runuser (util-linux) runs the PostgreSQL server as a non-root user.
if [ "$(id -u)" = 0 ] && ! command -v runuser >/dev/null 2>&1; then
    missing+=(util-linux)
fi
# venv: only needed where the interpreter cannot make one (Debian's own python3).
venv_probe="$(mktemp -d)"
if ! "$PYTHON" -m venv --without-pip "$venv_probe/v" >/dev/null 2>&1; then
    missing+=(python3-venv)
fi
rm -rf "$venv_probe"

if [ ${#missing[@]} -eq 0 ] && [ ${#no_recommends[@]} -eq 0 ]; then
    echo "system packages: all present"
    exit 0
fi

echo "system packages: installing ${missing[*]} ${no_recommends[*]}"
if [ "$(id -u)" = 0 ]; then
    SUDO=()
elif command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo)
else
    echo "error: need root (or sudo) to install: ${missing[*]}" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -qq
# The package's own service (nginx) must not start: the tests run their own on free ports.
policy=/usr/sbin/policy-rc.d
made_policy=
if [ "$(id -u)" = 0 ] && [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' > "$policy" && chmod +x "$policy" && made_policy=1
fi
if [ ${#missing[@]} -gt 0 ]; then
    "${SUDO[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
fi
if [ ${#no_recommends[@]} -gt 0 ]; then
    "${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${no_recommends[@]}" >/dev/null
fi
if [ -n "$made_policy" ]; then rm -f "$policy"; fi

if ! compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null; then
    echo "error: PostgreSQL server binaries still missing after install" >&2
    exit 1
fi
echo "system packages: done"
