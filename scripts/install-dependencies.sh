#!/bin/sh
# Installs what the tests need and a fresh Debian/Ubuntu machine lacks:
# PHP, PHPUnit, PHP-Parser and Chromium from Debian's packages, then the npm packages.
set -e
cd "$(dirname "$0")/.."

missing=""
command -v php >/dev/null 2>&1 || missing="$missing php-cli"
command -v phpunit >/dev/null 2>&1 || missing="$missing phpunit"
# nikic/PHP-Parser, for the PHP 7.4 check (scripts/php74-check.php)
[ -f /usr/share/php/PhpParser/autoload.php ] || missing="$missing php-parser"
# Debian's chromium drives the sandbox page test (puppeteer-core)
[ -x /usr/bin/chromium ] || missing="$missing chromium"
if command -v php >/dev/null 2>&1; then
  for ext in mbstring curl xml; do
    php -m | grep -qi "^$ext\$" || missing="$missing php-$ext"
  done
fi
if [ -n "$missing" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing Debian packages:$missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # shellcheck disable=SC2086
    apt-get install -y -qq --no-install-recommends php-cli php-mbstring php-curl php-xml phpunit php-parser chromium >/dev/null
  else
    echo "Missing:$missing. Install them with: sudo apt-get install php-cli php-mbstring php-curl php-xml phpunit php-parser chromium" >&2
    exit 1
  fi
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm install --no-audit --no-fund --loglevel=error
fi
