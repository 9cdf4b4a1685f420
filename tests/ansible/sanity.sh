#!/usr/bin/env bash
# `ansible-test sanity` on the collection, and `ansible-lint --profile production` on the playbooks.
# Needs ansible-core (and, for the lint, ansible-lint) on PATH; .ci/run puts its virtual env there.
#
# `ansible-test sanity --venv` bootstraps pip in each test's virtual environment with a script it
# downloads from ci-files.testing.ansible.com, which these machines cannot reach. It uses a cached
# copy at ~/.ansible/test/cache/get_pip_<version>.py when there is one; the copy written here
# bootstraps the pip that ships with Python (ensurepip) and lets that pip do what the real script
# would (install the pinned pip from PyPI, which is reachable).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
collection="$root/contrib/ansible/ansible_collections/dbgini/domino"

python="$(command -v python3)"
pyver="$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
pip_version="$("$python" - <<'PY'
import pathlib, re, ansible_test
src = pathlib.Path(ansible_test.__file__).parent / "_internal" / "python_requirements.py"
print(re.search(r"pip='([0-9.]+)'", src.read_text()).group(1))
PY
)"
cache="$HOME/.ansible/test/cache/get_pip_${pip_version//./_}.py"
if [ ! -f "$cache" ]; then
  mkdir -p "$(dirname "$cache")"
  cat > "$cache" <<'PY'
# Stand-in for ansible-test's downloaded get-pip script (written by dbgini's tests/ansible/sanity.sh):
# bootstrap the pip bundled with Python, then let it install what ansible-test asked for.
import ensurepip
import os
import subprocess
import sys

ensurepip.bootstrap(upgrade=True)
# ensurepip sets PIP_CONFIG_FILE=/dev/null for its own run; the real install reads pip's config
# (a site's index or CA certificate in /etc/pip.conf) as the real get-pip.py would.
os.environ.pop("PIP_CONFIG_FILE", None)
# get-pip.py's arguments are pip install's, less its own --no-setuptools/--no-wheel.
args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
sys.exit(subprocess.call([sys.executable, "-m", "pip", "install"] + args))
PY
fi

# ansible-test works on a copy: it writes its results into tests/output of the collection.
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/ansible_collections/dbgini"
cp -r "$collection" "$work/ansible_collections/dbgini/domino"
find "$work" -name __pycache__ -prune -exec rm -rf {} +
cd "$work/ansible_collections/dbgini/domino"
# Every sanity test ansible-test has for a collection (validate-modules, yamllint, pep8, pylint,
# compile, import, ansible-doc, ...), for this Python. Its pip output goes to a log.
log="$work/sanity.log"
if ! ansible-test sanity --venv --python "$pyver" --color no > "$log" 2>&1; then
  grep -v '^\(Collecting\|  Downloading\|Installing\|Successfully\|Processing\|Looking in\|  Attempting\|    Found\|    Uninstalling\|      Successfully\|Using cached\)' "$log" | tail -n 60
  echo "ansible-test sanity: FAILED"
  exit 1
fi
echo "ansible-test sanity: $(grep -c '^Running sanity test' "$log") tests passed"

# ansible-lint with the production profile, on the collection and the playbooks (contrib/ansible/.ansible-lint).
cd "$root/contrib/ansible"
ANSIBLE_COLLECTIONS_PATH="$PWD" NO_COLOR=1 ansible-lint --nocolor
echo "ansible-lint --profile production: passed"
