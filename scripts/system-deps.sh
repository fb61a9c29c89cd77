#!/usr/bin/env bash
# Debian packages perfbudget needs beyond Python: CJK fonts and HarfBuzz subsetting for the PDFs
# (without libharfbuzz-subset0 a CJK PDF takes seconds instead of a fraction of one), Chromium for
# the browser tests, poppler-utils for reading PDFs back in tests, LibreOffice (Writer and Calc,
# no GUI) for printing the Word and Excel files to PDF in tests.
# With --runtime only what the running app needs (a production server): fonts, HarfBuzz, Pango.
set -euo pipefail
PACKAGES=(fonts-noto-cjk libharfbuzz-subset0 libpango-1.0-0 libpangoft2-1.0-0)
[ "${1:-}" = "--runtime" ] || PACKAGES+=(chromium poppler-utils libreoffice-writer-nogui libreoffice-calc-nogui)
missing=()
for pkg in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "Installing Debian packages: ${missing[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get update -q
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fc-cache -f >/dev/null 2>&1 || true
