#!/bin/sh
# Round 23 part m: the second namespace (Exim, Dovecot LMTP, the collector), run as
# `unshare -n -m -u --fork --propagation private sh -c '<these lines>; exec sleep 1800'`.
# The /etc overlay reuses the first namespace's upper directory (its users); dovenull and
# dovecot were added there with useradd before Dovecot started.
ip link set lo up
hostname mx.ex-rx.example.org
mount -t overlay overlay -o lowerdir=/etc,upperdir=/opt/r23m/etc-up,workdir=/opt/r23m/etc-work /etc
mount -t tmpfs tmpfs /run
mount -t overlay overlay -o lowerdir=/opt/r23m/root-libidn12/usr/lib/x86_64-linux-gnu:/usr/lib/x86_64-linux-gnu /usr/lib/x86_64-linux-gnu
