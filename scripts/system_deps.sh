#!/usr/bin/env bash
# System packages the README's commands need, installed when possible, else named in one message.
#
#   scripts/system_deps.sh report   before `make report`: WeasyPrint's libraries (Pango, PangoFT2, HarfBuzz,
#                                   fontconfig) and a font are REQUIRED (report.pdf); exit 1 when they are
#                                   missing and cannot be installed.
#   scripts/system_deps.sh test     before `make test`: everything is optional (HarfBuzz-Subset, poppler's
#                                   pdftoppm/pdfinfo, Chromium, and WeasyPrint's libraries); tests that need a
#                                   missing one skip with the reason. Exit 0.
#   scripts/system_deps.sh check    report what is present and missing, install nothing. Exit 0.
#
# Installs with apt-get (Debian/Ubuntu) when run as root or with password-less sudo. Set
# EXTERNALIZE_NO_SYSTEM_INSTALL=1 to never install (check only). On other systems, the message names what to
# install (macOS: brew install pango poppler; Chromium optional).
# SYSTEM_DEPS_ROOT=/some/dir looks for libraries and fonts under that root instead of / (tests use an empty
# folder to stand for a machine without them).
set -uo pipefail
root="${SYSTEM_DEPS_ROOT:-}"

mode="${1:-check}"
case "$mode" in report|test|check) ;; *) echo "usage: $0 report|test|check" >&2; exit 2 ;; esac

# shared library present? (ldconfig cache, then the usual library folders)
have_lib() {
  local name="$1"
  local d f
  if [ -z "$root" ] && command -v ldconfig >/dev/null 2>&1; then
    # the linker cache lists the library; it counts only if the file it names is really there
    for f in $(ldconfig -p 2>/dev/null | awk -v n="$name" 'index($1, n) == 1 {print $NF}'); do
      [ -f "$f" ] && return 0
    done
  fi
  for d in /usr/lib /usr/lib64 /usr/local/lib /usr/lib/x86_64-linux-gnu /usr/lib/aarch64-linux-gnu \
           /opt/homebrew/lib /usr/local/opt/pango/lib; do
    for f in "$root$d/$name"*; do [ -f "$f" ] && return 0; done
  done
  return 1
}
have_cmd() {  # an executable regular file on PATH under one of the names
  local c p
  for c in "$@"; do p="$(command -v "$c" 2>/dev/null)" && [ -f "$p" ] && [ -x "$p" ] && return 0; done
  return 1
}
have_font() {
  if [ -z "$root" ] && have_cmd fc-list; then [ -n "$(fc-list 2>/dev/null | head -n 1)" ]; return; fi
  compgen -G "$root/usr/share/fonts/*/*" >/dev/null 2>&1 || compgen -G "$root/usr/share/fonts/*/*/*" >/dev/null 2>&1
}

# item|apt package|required for report (1/0)|present (1/0)
probe() {
  local items=()
  have_lib libpango-1.0.so; items+=("Pango (WeasyPrint)|libpango-1.0-0|1|$(( $? == 0 ))")
  have_lib libpangoft2-1.0.so; items+=("PangoFT2 (WeasyPrint)|libpangoft2-1.0-0|1|$(( $? == 0 ))")
  have_lib libharfbuzz.so; items+=("HarfBuzz (WeasyPrint)|libharfbuzz0b|1|$(( $? == 0 ))")
  have_lib libfontconfig.so; items+=("fontconfig (WeasyPrint)|libfontconfig1|1|$(( $? == 0 ))")
  have_font; items+=("a font (WeasyPrint)|fonts-dejavu-core|1|$(( $? == 0 ))")
  have_lib libharfbuzz-subset.so; items+=("HarfBuzz-Subset (smaller PDF fonts)|libharfbuzz-subset0|0|$(( $? == 0 ))")
  have_cmd pdftoppm pdfinfo; items+=("poppler pdftoppm/pdfinfo (PDF page tests)|poppler-utils|0|$(( $? == 0 ))")
  have_cmd chromium chromium-browser google-chrome; items+=("Chromium (HTML console test)|chromium|0|$(( $? == 0 ))")
  printf '%s\n' "${items[@]}"
}

missing_pkgs() {  # $1 = 1: only those required for the report
  probe | awk -F'|' -v req="$1" '$4 == 0 && (req == 0 || $3 == 1) {print $2}' | sort -u | tr '\n' ' '
}

can_install() {
  [ "${EXTERNALIZE_NO_SYSTEM_INSTALL:-0}" = "1" ] && return 1
  command -v apt-get >/dev/null 2>&1 || return 1
  [ "$(id -u)" = "0" ] && return 0
  command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null
}

apt_install() {
  local sudo=""
  [ "$(id -u)" = "0" ] || sudo="sudo -n"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq >/dev/null 2>&1 || true
  # one package at a time: a name missing from this distribution (e.g. chromium on Ubuntu) must not stop the rest
  local p
  for p in "$@"; do $sudo apt-get install -y -qq --no-install-recommends "$p" >/dev/null 2>&1 || true; done
}

if [ "$mode" != "check" ]; then
  want="$(missing_pkgs 0)"
  if [ -n "${want// /}" ] && can_install; then
    echo "system_deps: installing:$( printf ' %s' $want )"
    # shellcheck disable=SC2086
    apt_install $want
  fi
fi

still_req="$(missing_pkgs 1)"
still_opt="$(missing_pkgs 0)"
if [ "$mode" = "check" ]; then
  probe | awk -F'|' '{printf "  %-48s %-22s %s\n", $1, $2, ($4 == 1 ? "present" : "MISSING")}'
fi
if [ -n "${still_opt// /}" ]; then
  how="apt-get install$( printf ' %s' $still_opt )"
  command -v apt-get >/dev/null 2>&1 || how="your package manager (macOS: brew install pango poppler; Chromium optional)"
  if [ "$mode" = "report" ] && [ -n "${still_req// /}" ]; then
    echo "system_deps: report.pdf needs WeasyPrint's system libraries and a font, which are missing:$( printf ' %s' $still_req )." >&2
    echo "system_deps: install them with $how (as root), then run make report again." >&2
    exit 1
  fi
  echo "system_deps: optional packages not installed:$( printf ' %s' $still_opt ) (tests that need one skip with the reason); install with $how." >&2
fi
exit 0
