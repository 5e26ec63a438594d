#!/usr/bin/env bash
# The package as users get it: build the wheel, install it into a fresh virtual environment outside
# the checkout, and run build → validate → query → export → docs on the seeds it carries.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet --upgrade pip
"$work/venv/bin/pip" wheel --quiet --no-deps -w "$work/dist" "$here"
"$work/venv/bin/pip" install --quiet "$work"/dist/*.whl
cd "$work"
kg="$work/venv/bin/kg"
"$kg" --version
"$work/venv/bin/python" -m kg --version     # python -m kg runs the same command line
site_pkgs=$("$work/venv/bin/python" -c "import kg, pathlib; print(pathlib.Path(kg.__file__).parent)")
[ -e "$site_pkgs/py.typed" ] || { echo "the wheel lacks kg/py.typed"; exit 1; }
for f in LICENSE CITATION.cff; do
  ls "$work"/venv/lib/python*/site-packages/npc_kg-*.dist-info/licenses/$f >/dev/null || { echo "the wheel lacks $f"; exit 1; }
done
for f in resources/ontology/cube.ttl resources/ontology/context.jsonld resources/shapes/npc.ttl names.py errors.py virtuoso.py rows.py; do
  [ -e "$site_pkgs/$f" ] || { echo "the wheel lacks kg/$f"; exit 1; }
done
"$kg" build --out b -q                      # no path: the seeds inside the package
"$kg" validate --store b
# answers go to files before grep -q reads them: grep stops at its first match, and under pipefail the
# writer it leaves behind (a broken pipe) would fail this script at random
"$kg" queries > queries.txt && grep -q piloted-livelihood-voting queries.txt
bodies=$("$kg" query piloted-livelihood-voting --store b -f csv | tail -n +2 | cut -d, -f2 | sort -u | wc -l)
[ "$bodies" -eq 2 ] || { echo "piloted-livelihood-voting named $bodies bodies, not 2"; exit 1; }
"$kg" ask "哪些人大常委会试点了民生实事项目票决制？" --store b > ask.txt && grep -q "^-> piloted-livelihood-voting" ask.txt
"$kg" query counts --store b -f json | "$work/venv/bin/python" -c "import json, sys; assert json.load(sys.stdin)['results']['bindings']"
"$kg" export -f jsonld -o graph.jsonld --store b
"$kg" network --kind bipartite -o net.gexf --store b >/dev/null
"$kg" docs -o site >/dev/null
[ -s graph.jsonld ] && [ -s site/index.html ] && [ -s site/shapes/npc.ttl ] && grep -q 'gexf.net/1.3' net.gexf
echo "wheel check: installed outside the checkout, built, validated, queried, exported"
