#!/bin/sh
# Round 22 part m: run inside `unshare -n -m -u` (a private network, mount and UTS namespace
# holding only loopback). Mounts stay private to the namespace; overlays send their changes to
# directories under /opt/r22m, so nothing of the host changes.
set -e
ip link set lo up
hostname mx.r22m.example.com
# The Postfix sender's configuration is the default /etc/postfix inside the namespace only.
mount --bind /opt/r22m/pf-tx /etc/postfix
# Exim's extracted binary re-executes itself without LD_LIBRARY_PATH, and OpenSMTPD needs libtls:
# the extracted libraries beside the system ones.
mount -t overlay overlay -o lowerdir=/opt/r22m/root-libidn12/usr/lib/x86_64-linux-gnu:/opt/r22m/root-libtls26/usr/lib/x86_64-linux-gnu:/usr/lib/x86_64-linux-gnu /usr/lib/x86_64-linux-gnu
# OpenSMTPD: its chroot directory, spool and control socket
mount -t overlay overlay -o lowerdir=/var/lib,upperdir=/opt/r22m/varlib-up,workdir=/opt/r22m/varlib-work /var/lib
mkdir -p /var/lib/opensmtpd/empty
mount -t overlay overlay -o lowerdir=/var/spool,upperdir=/opt/r22m/spool-up,workdir=/opt/r22m/spool-work /var/spool
mkdir -p /var/spool/smtpd && chmod 711 /var/spool/smtpd
mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /var/mail
# Added later for dma and nullmailer (extracted packages): /usr and /etc overlays, the Postfix
# sender's /etc/postfix bound again on top of the /etc overlay.
mount -t overlay overlay -o lowerdir=/opt/r22m/root-dma/usr:/opt/r22m/root-nullmailer/usr:/opt/r22m/root-libidn12/usr:/opt/r22m/root-libtls26/usr:/usr /usr
mount -t overlay overlay -o lowerdir=/etc,upperdir=/opt/r22m/etc-up,workdir=/opt/r22m/etc-work /etc
mount --bind /opt/r22m/pf-tx /etc/postfix
mkdir -p /etc/dma /etc/nullmailer /var/spool/dma /var/spool/nullmailer/queue /var/spool/nullmailer/tmp /var/spool/nullmailer/failed
cp /opt/r22m/dma.conf /etc/dma/dma.conf
cp /opt/r22m/nullmailer/* /etc/nullmailer/
mkfifo /var/spool/nullmailer/trigger
chown -R mail:mail /var/spool/nullmailer
chown root:mail /var/spool/dma && chmod 2775 /var/spool/dma
