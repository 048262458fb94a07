#!/usr/bin/env bash
# Debian packages the test suite needs (browser, CJK fonts for PDFs, PDF tools, LibreOffice for
# export checks, Redis, gettext). Installs what is missing when run as root; otherwise says what
# to install and fails.
set -euo pipefail
PACKAGES=(chromium fonts-noto-cjk libharfbuzz-subset0 libpango-1.0-0 libpangoft2-1.0-0 poppler-utils
          redis-server gettext libreoffice-calc-nogui)
need=()
for pkg in "${PACKAGES[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "Missing Debian packages: ${need[*]}"
  echo "Install them with: sudo apt-get install --no-install-recommends ${need[*]}"
  exit 1
fi
echo "== installing: ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${need[@]}"
