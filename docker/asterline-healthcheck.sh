#!/bin/bash
# Container health check: GET /health must answer 200.
#
# Uses bash's /dev/tcp rather than curl: the JRE base image does not promise curl, and starting a
# JVM for every probe would cost more than the probe. Asterline reads ASTERLINE_HTTP_PORT before
# HTTP_PORT, and so does this script. It connects to 127.0.0.1, which works with the compose
# file's HTTP_BIND=0.0.0.0 as well as with the default loopback bind.
set -u
port="${ASTERLINE_HTTP_PORT:-${HTTP_PORT:-8080}}"
exec 3<>"/dev/tcp/127.0.0.1/${port}" || exit 1
printf 'GET /health HTTP/1.0\r\nHost: localhost\r\nConnection: close\r\n\r\n' >&3
IFS= read -r -t 4 status <&3 || exit 1
case "$status" in
  "HTTP/1."[01]" 200"*) exit 0 ;;
  *) echo "health: ${status%$'\r'}" >&2; exit 1 ;;
esac
