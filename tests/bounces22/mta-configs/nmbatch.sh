#!/bin/sh
# Round 22 part m: one nullmailer batch (run inside the namespace): stop nullmailer-send, point
# remotes at the batch's port (newwriters22.py), queue the messages, start nullmailer-send again.
for p in $(ps -eo pid,comm | awk '$2=="nullmailer-send"{print $1}'); do kill $p; done
sleep 1
/usr/bin/python3 /opt/r22m/newwriters22.py nullmailer "$1"
cd /var/spool/nullmailer && setsid runuser -u mail -- /usr/sbin/nullmailer-send >> /opt/r22m/nm-send.log 2>&1 &
