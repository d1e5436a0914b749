# shellcheck shell=bash
# Sourced by the scripts that install the Debian packages they need.

# as_root COMMAND...: runs COMMAND as root: directly when already root, else
# through sudo; fails the script when neither is possible.
as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    echo "${0##*/}: need root (or sudo) to run: $*" >&2
    exit 1
  fi
}

# apt_install PACKAGE...: installs the packages with apt-get (nothing when
# none are named). Waits up to five minutes for the dpkg lock rather than
# failing at once: another script or helper may be installing at the time.
apt_install() {
  [ "$#" -gt 0 ] || return 0
  echo "${0##*/}: installing $* with apt-get" >&2
  as_root apt-get -o DPkg::Lock::Timeout=300 update -qq
  as_root env DEBIAN_FRONTEND=noninteractive \
    apt-get -o DPkg::Lock::Timeout=300 install -y -qq "$@"
}
