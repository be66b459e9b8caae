#!/bin/bash
# Entry point of the Asterisk container in Asterline's compose stack.
#
# Asterisk's configuration files cannot read environment variables, so the few files that need
# deployment values (the public address, the RTP range, trunk credentials, the AMI secret) are
# templates, *.conf.template, rendered here before Asterisk starts:
#   - every ${NAME} in a template is replaced by the environment variable NAME;
#   - a template that names an unset or empty variable stops the container with a message naming it,
#     because a half-filled pjsip.conf fails later and far less clearly (no audio, rejected calls);
#   - a value containing ';' or a line break is refused: Asterisk would read ';' as the start of a
#     comment (a truncated password) and a line break as a new setting.
# Only templates are touched, so dialplan ${VARIABLES} are never at risk. Plain *.conf files are
# copied as they are. Then, when PUID is set, Asterisk's user is given that uid (see below), and the
# command runs. This script replaces the image's own entry point, so the result does not depend on
# which entry point a given build of the image has (andrius/asterisk builds differ: some run as
# root with a PUID-aware entry point, older ones as USER asterisk with none).
#
# Environment:
#   SIP_TRUNKS            comma-separated trunks to render: didww, twilio (default: didww,twilio)
#   PUID, PGID            uid/gid for Asterisk's user "asterisk" (needs the container to start as root)
#   ASTERISK_TEMPLATE_DIR where the templates are (default: /etc/asterisk-asterline)
#   ASTERISK_CONFIG_DIR   where Asterisk reads its configuration (default: /etc/asterisk)
set -euo pipefail
# Bash 5.2 would otherwise expand '&' in a replacement to the matched text.
shopt -u patsub_replacement 2>/dev/null || true

src="${ASTERISK_TEMPLATE_DIR:-/etc/asterisk-asterline}"
dest="${ASTERISK_CONFIG_DIR:-/etc/asterisk}"
trunks="${SIP_TRUNKS:-didww,twilio}"

fail() {
  echo "asterline: $*" >&2
  exit 64
}

[ -d "$src" ] || fail "template directory $src does not exist (is docker/asterisk mounted there?)"
mkdir -p "$dest"

# Values that reach Asterisk's configuration must stay inside one setting.
check_value() {
  local name="$1" value="$2"
  case "$value" in
    *';'*) fail "$name contains ';', which Asterisk reads as the start of a comment; choose a value without it" ;;
    *$'\n'* | *$'\r'*) fail "$name contains a line break; it must be a single line" ;;
  esac
}

render() {
  local template="$1" out="$2" content name value
  content="$(<"$template")"
  for name in $(grep -o '\${[A-Za-z_][A-Za-z0-9_]*}' "$template" | sort -u | tr -d '${}'); do
    value="${!name-}"
    [ -n "$value" ] || fail "$name is not set; $(basename "$template") needs it (see docker/.env.example)"
    check_value "$name" "$value"
    content="${content//"\${$name}"/"$value"}"
  done
  # Written beside the target and moved, so Asterisk never reads a half-written file; not world
  # readable because it may hold credentials.
  (umask 027 && printf '%s\n' "$content" >"$out.tmp")
  mv -f "$out.tmp" "$out"
}

case "${RTP_PORT_START:-}${RTP_PORT_END:-}" in
  *[!0-9]*) fail "RTP_PORT_START and RTP_PORT_END must be port numbers" ;;
esac
if [ -n "${RTP_PORT_START:-}" ] && [ -n "${RTP_PORT_END:-}" ] && [ "$RTP_PORT_START" -ge "$RTP_PORT_END" ]; then
  fail "RTP_PORT_START ($RTP_PORT_START) must be below RTP_PORT_END ($RTP_PORT_END)"
fi

# Trunk files are rendered only for the trunks asked for; stale ones from an earlier start go.
rm -f "$dest"/pjsip_trunk_*.conf
rendered_trunks=0
IFS=',' read -r -a wanted <<<"$trunks"
for trunk in "${wanted[@]}"; do
  trunk="$(echo "$trunk" | tr -d '[:space:]' | tr '[:upper:]' '[:lower:]')"
  [ -n "$trunk" ] || continue
  template="$src/pjsip_trunk_${trunk}.conf.template"
  [ -f "$template" ] || fail "SIP_TRUNKS names '$trunk', but there is no $(basename "$template")"
  render "$template" "$dest/pjsip_trunk_${trunk}.conf"
  rendered_trunks=$((rendered_trunks + 1))
done
[ "$rendered_trunks" -gt 0 ] || fail "SIP_TRUNKS is empty; name at least one trunk (didww, twilio)"

for template in "$src"/*.conf.template; do
  case "$(basename "$template")" in
    pjsip_trunk_*) continue ;;
  esac
  render "$template" "$dest/$(basename "$template" .template)"
done

for conf in "$src"/*.conf; do
  [ -e "$conf" ] || continue
  cp -f "$conf" "$dest/$(basename "$conf")"
done

echo "asterline: Asterisk configuration rendered into $dest (trunks: $trunks)" >&2

# Asterisk's user gets the uid/gid the Asterline image runs as, so that both containers own the
# recordings they share; Asterisk itself drops from root to this user (command: -U asterisk).
if [ -n "${PUID:-}" ]; then
  pgid="${PGID:-$PUID}"
  case "$PUID$pgid" in
    *[!0-9]*) fail "PUID and PGID must be numeric ids" ;;
  esac
  [ "$(id -u)" = 0 ] || fail "PUID is set, so the container must start as root (compose: user: \"0:0\")"
  id asterisk >/dev/null 2>&1 || fail "the image has no user 'asterisk' to give uid $PUID"
  groupmod -o -g "$pgid" asterisk
  usermod -o -u "$PUID" -g "$pgid" asterisk
  for dir in "$dest" /var/lib/asterisk /var/log/asterisk /var/spool/asterisk /var/run/asterisk; do
    # read-only mounts inside (the dialplan) stay as they are
    if [ -d "$dir" ]; then chown -R asterisk:asterisk "$dir" 2>/dev/null || true; fi
  done
fi

exec "$@"
