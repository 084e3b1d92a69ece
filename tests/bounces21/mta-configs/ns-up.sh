#!/bin/sh
# Round 21 part m: inside a private network, mount and UTS namespace (see SOURCES-messages.md),
# loopback only; /usr, /etc and /var/spool are overlays so nothing of the host changes.
set -e
ip link set lo up
hostname mx.nm-tx.example.com
mount -t overlay overlay -o lowerdir=/opt/r21m/root-dma/usr:/opt/r21m/root-nullmailer/usr:/usr /usr
mount -t overlay overlay -o lowerdir=/etc,upperdir=/opt/r21m/etc-up,workdir=/opt/r21m/etc-work /etc
cp -a /opt/r21m/etc-ns/. /etc/
mount -t overlay overlay -o lowerdir=/var/spool,upperdir=/opt/r21m/spool-up,workdir=/opt/r21m/spool-work /var/spool
cp -a /opt/r21m/spool-ns/. /var/spool/
# Added while the run went on (same namespace), in this order:
mount -t tmpfs tmpfs /var/mail          # dma's local deliveries must not reach the host's /var/mail
sed -i "/^127.0.0.1/d" /etc/hosts       # 127.0.0.1 gets no name, so PTR lookups go to the DNS stub
# Exim's extracted binary re-executes itself without LD_LIBRARY_PATH: libidn12 beside the system libraries
mount -t overlay overlay -o lowerdir=/opt/r21m/root-libidn12/usr/lib/x86_64-linux-gnu:/usr/lib/x86_64-linux-gnu /usr/lib/x86_64-linux-gnu
# OpenSMTPD: its chroot directory, a private /run for its control socket, its own host name
mount -t overlay overlay -o lowerdir=/var/lib,upperdir=/opt/r21m/varlib-up,workdir=/opt/r21m/varlib-work /var/lib
mkdir -p /var/lib/opensmtpd/empty
mount -t tmpfs tmpfs /run
mkdir -p /var/spool/smtpd && chmod 711 /var/spool/smtpd
hostname mx.os-tx.example.com
