#!/usr/bin/env bash
# Install the Debian packages sohoa needs, only when something is missing.
# Runs as root (apt-get) or through sudo; prints what it installs.
set -euo pipefail

packages=(
  tesseract-ocr tesseract-ocr-vie tesseract-ocr-eng tesseract-ocr-osd
  poppler-utils fonts-noto-core libnss3-tools softhsm2 make
  postgresql-client  # pg_dump / psql for `sohoa backup` and `sohoa restore`
  chromium zbar-tools  # the browser tests (Playwright drives Debian's Chromium; zbarimg reads QR codes)
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Python venv support is split out on Debian.
python3 -c 'import ensurepip' 2>/dev/null || missing+=(python3-venv)
# npm fetches the optional "best" Tesseract models (sohoa ocr-models); any npm will do, so a
# Node.js installed outside Debian is left alone.
command -v npm >/dev/null || missing+=(npm)

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "sohoa: installing Debian packages: ${missing[*]}"
SUDO=""
if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null || { echo "sohoa: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  SUDO=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
