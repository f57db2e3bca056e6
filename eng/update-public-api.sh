#!/usr/bin/env bash
# Regenerates PublicAPI.Unshipped.txt of every shipped library (src/*/) from the code, so that the public API
# analyzers (RS0016: a public symbol not declared; RS0017: a declared symbol that is gone) pass again after public API
# was added, changed or removed, e.g. after merging branches. PublicAPI.Shipped.txt is left alone: move lines there
# by hand when a release ships. Review the diff of the Unshipped files: it is the public API change.
#
#   eng/update-public-api.sh                 every library under src/
#   eng/update-public-api.sh src/TypedKafka  one library
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$#" -gt 0 ]; then projects=("$@"); else projects=(src/*/); fi

for dir in "${projects[@]}"; do
    dir="${dir%/}"
    project="$dir/$(basename "$dir").csproj"
    [ -f "$project" ] || { echo "no project at $project" >&2; exit 1; }
    [ -f "$dir/PublicAPI.Shipped.txt" ] || printf '#nullable enable\n' > "$dir/PublicAPI.Shipped.txt"
    # Start from nothing unshipped: RS0016's fix then declares exactly what is public and not shipped, which also
    # drops entries for symbols that are gone (RS0017) or changed.
    printf '#nullable enable\n' > "$dir/PublicAPI.Unshipped.txt"
    echo "== $project"
    dotnet format analyzers "$project" --diagnostics RS0016 --severity info --include-generated --verbosity quiet
    # Keep the file sorted (ordinal) under its header, as the analyzer's own fixes do, so that merges are line-based.
    { head -n 1 "$dir/PublicAPI.Unshipped.txt"; tail -n +2 "$dir/PublicAPI.Unshipped.txt" | grep -v '^$' | LC_ALL=C sort -u; } > "$dir/PublicAPI.Unshipped.txt.new"
    mv "$dir/PublicAPI.Unshipped.txt.new" "$dir/PublicAPI.Unshipped.txt"
    echo "   $(($(wc -l < "$dir/PublicAPI.Unshipped.txt") - 1)) unshipped entries"
done

echo "== checking: the libraries build with no RS0016/RS0017"
for dir in "${projects[@]}"; do
    dir="${dir%/}"
    dotnet build "$dir/$(basename "$dir").csproj" --nologo --verbosity quiet
done
