#!/usr/bin/env bash
# Re-fetches the libraries Kommo's interface gives widgets (RequireJS and its
# text/json plugins, jQuery, underscore, lodash, Twig.js, Backbone,
# es6-promise) from npm at pinned versions into web/vendor/, with their
# licences, and checks them against web/vendor/SHA256SUMS.
#
#   scripts/vendor-web.sh          fetch, then verify (fails on any mismatch)
#   scripts/vendor-web.sh --check  verify the files in place, no network
#   scripts/vendor-web.sh --update fetch and rewrite SHA256SUMS (after a version bump)
set -euo pipefail
cd "$(dirname "$0")/.."
VENDOR=web/vendor

# package@version  file-in-package  vendored-as  licence-file-in-package
# (a package that ships no licence file has "-": its @license header is kept instead)
PINS='
requirejs@2.3.7          require.js                    requirejs/require.js            -
requirejs-text@2.0.16    text.js                       requirejs-text/text.js          LICENSE
requirejs-plugins@1.0.2  src/json.js                   requirejs-plugins/json.js       -
jquery@3.7.1             dist/jquery.min.js            jquery/jquery.min.js            LICENSE.txt
underscore@1.13.7        underscore-umd-min.js         underscore/underscore-min.js    LICENSE
lodash@4.17.21           lodash.min.js                 lodash/lodash.min.js            LICENSE
twig@1.17.1              twig.min.js                   twig/twig.min.js                LICENSE
backbone@1.6.0           backbone-min.js               backbone/backbone-min.js        LICENSE
es6-promise@4.2.8        dist/es6-promise.min.js       es6-promise/es6-promise.min.js  LICENSE
'

check() {
  (cd "$VENDOR" && sha256sum --quiet -c SHA256SUMS) && echo "web/vendor: every file matches SHA256SUMS"
}

if [ "${1:-}" = "--check" ]; then check; exit; fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "$PINS" | while read -r pin file dest licence; do
  [ -n "$pin" ] || continue
  (cd "$work" && npm pack --silent "$pin" >/dev/null)
  tgz="$work/$(echo "${pin%@*}" | tr -d @ | tr / -)-${pin##*@}.tgz"
  mkdir -p "$work/x" && rm -rf "$work/x/package"
  tar xzf "$tgz" -C "$work/x" 2>/dev/null
  mkdir -p "$VENDOR/$(dirname "$dest")"
  cp "$work/x/package/$file" "$VENDOR/$dest"
  if [ "$licence" = "-" ]; then
    # The package's own licence statement: the leading @license comment of the file.
    awk 'NR==1,/\*\//' "$work/x/package/$file" > "$VENDOR/$(dirname "$dest")/LICENSE"
  else
    cp "$work/x/package/$licence" "$VENDOR/$(dirname "$dest")/LICENSE"
  fi
  echo "$pin $file" > "$VENDOR/$(dirname "$dest")/VERSION"
  echo "vendored $pin → $VENDOR/$dest"
done

if [ "${1:-}" = "--update" ]; then
  (cd "$VENDOR" && find . -type f ! -name SHA256SUMS | sed 's|^\./||' | sort | xargs sha256sum > SHA256SUMS)
  echo "rewrote $VENDOR/SHA256SUMS"
fi
check
