# Sourced by scripts/demo and .ci/run: the Debian packages a command needs, and
# the checkout's own virtual environment, .venv. Debian's Python refuses pip
# installs into the system (PEP 668), and the system is left as it was.
#
#   PYTHON   the interpreter that makes .venv (default: python3)

# Install with apt what is missing of the Debian packages named, saying which
# first; say nothing and touch nothing when every one is installed already.
apt_packages() {
  local missing=() pkg
  for pkg in "$@"; do
    # dpkg -s also succeeds for a removed package whose configuration is kept.
    [ "$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null)" = installed ] ||
      missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if ! command -v apt-get >/dev/null; then
    echo "Needs the Debian packages ${missing[*]}, and there is no apt-get here: install them first." >&2
    return 1
  fi
  if [ "$(id -u)" -ne 0 ]; then
    echo "Needs the Debian packages ${missing[*]}: run as root, or install them first." >&2
    return 1
  fi
  echo "Installing from apt: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

# Make .venv with $PYTHON unless it exists, then pip install the arguments into it.
venv_install() {
  if [ ! -x .venv/bin/python ]; then
    echo "Making .venv with ${PYTHON:-python3}"
    "${PYTHON:-python3}" -m venv .venv
  fi
  echo "Installing into .venv: $*"
  .venv/bin/python -m pip install -q --disable-pip-version-check "$@"
}
