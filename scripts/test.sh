#!/bin/sh
# `npm test`: every test suite of the repository.
set -e
cd "$(dirname "$0")/.."
sh scripts/install-dependencies.sh

echo "== end to end against a running osTicket (skipped unless OSTICKET_URL is set, see e2e/README.md) =="
node --import tsx --test --test-concurrency=1 e2e/*.test.ts

echo "== osticket-plugin: php -l =="
count=0
for file in $(find osticket-plugin e2e -name '*.php' | sort); do
  php -l "$file" >/dev/null || { echo "php -l failed: $file" >&2; exit 1; }
  count=$((count + 1))
done
echo "$count PHP files without syntax errors"

echo "== osticket-plugin: PHP 7.4 compatible (osTicket 1.17 runs on PHP 7.4) =="
php scripts/php74-check.php osticket-plugin e2e/agent.php

echo "== osticket-plugin: PHPUnit =="
phpunit --configuration osticket-plugin/phpunit.xml

echo "== whatsapp-service: type check and tests =="
npm test --workspace whatsapp-service
