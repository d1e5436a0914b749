#!/usr/bin/env bash
# Installs what `cargo test --features browser` needs, and only what is missing:
# Debian's Chromium and ChromeDriver and a Java runtime (apt), then axe-core and
# the Nu HTML Checker (vnu.jar) from the npm registry into .browser-tools/.
# Safe to run again. Nothing here downloads a browser or a driver of its own.
set -euo pipefail
cd "$(dirname "$0")/.."

AXE_CORE_VERSION=4.14.1
VNU_JAR_VERSION=26.9.27
TOOLS_DIR=.browser-tools

. scripts/lib/apt.sh

missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v chromedriver >/dev/null 2>&1 || missing+=(chromium-driver)
command -v java >/dev/null 2>&1 || missing+=(default-jre-headless)
apt_install "${missing[@]}"

installed_version() {
  node -p "require('./$TOOLS_DIR/node_modules/$1/package.json').version" 2>/dev/null || true
}
if [ "$(installed_version axe-core)" != "$AXE_CORE_VERSION" ] ||
  [ "$(installed_version vnu-jar)" != "$VNU_JAR_VERSION" ]; then
  command -v npm >/dev/null 2>&1 || { echo "install-browser-tools: npm (Node.js) is needed" >&2; exit 1; }
  echo "install-browser-tools: installing axe-core@$AXE_CORE_VERSION vnu-jar@$VNU_JAR_VERSION into $TOOLS_DIR/"
  mkdir -p "$TOOLS_DIR"
  # --ignore-scripts: vnu-jar's install script would fetch a Java runtime if
  # none were found; Debian's is used instead.
  npm install --no-save --no-package-lock --no-audit --no-fund --ignore-scripts --prefix "$TOOLS_DIR" \
    "axe-core@$AXE_CORE_VERSION" "vnu-jar@$VNU_JAR_VERSION"
fi

chromium --version 2>/dev/null # its launcher script prints a harmless warning on some machines
chromedriver --version
java -version 2>&1 | head -n 1
echo "axe-core $(installed_version axe-core): $TOOLS_DIR/node_modules/axe-core/axe.min.js"
echo "vnu $(java -jar "$TOOLS_DIR/node_modules/vnu-jar/build/dist/vnu.jar" --version): $TOOLS_DIR/node_modules/vnu-jar/build/dist/vnu.jar"
