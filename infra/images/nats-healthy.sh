#!/bin/bash
# The NATS image's health check: the server and its JetStream answer /healthz on the monitoring port.
exec 3<>/dev/tcp/127.0.0.1/8222 || exit 1
printf 'GET /healthz HTTP/1.0\r\n\r\n' >&3
head -n 1 <&3 | grep -q ' 200 '
