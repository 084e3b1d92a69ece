#!/bin/sh
# Round 23 part m: run inside `unshare -n -m -u` (a private network, mount and UTS namespace
# holding only loopback). Overlays send their changes to /opt/r23m, so the host's /etc is unchanged.
set -e
ip link set lo up
hostname mx.lx.example.org
mount -t overlay overlay -o lowerdir=/etc,upperdir=/opt/r23m/etc-up,workdir=/opt/r23m/etc-work /etc
mount --bind /opt/r23m/pf /etc/postfix
mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /var/mail
chmod 1777 /var/mail
for u in carol dave frank gina hank ivy; do
  useradd -M -d /opt/r23m/home/$u -s /bin/sh $u
  mkdir -p /opt/r23m/home/$u && chown $u: /opt/r23m/home/$u
done
# a .forward loop: carol forwards to dave, dave to carol
echo dave@lx.example.org > /opt/r23m/home/carol/.forward
echo carol@lx.example.org > /opt/r23m/home/dave/.forward
chown carol: /opt/r23m/home/carol/.forward; chown dave: /opt/r23m/home/dave/.forward
# Added later with nsenter, for OpenSMTPD (extracted) and then Exim (extracted):
# mount -t overlay overlay -o lowerdir=/opt/r23m/root-opensmtpd/usr:/opt/r23m/root-libtls26/usr:/usr /usr
# mount -t overlay overlay -o lowerdir=/var/lib,upperdir=/opt/r23m/varlib-up,workdir=/opt/r23m/varlib-work /var/lib
# mount -t overlay overlay -o lowerdir=/var/spool,upperdir=/opt/r23m/spool-up,workdir=/opt/r23m/spool-work /var/spool
# mkdir -p /var/lib/opensmtpd/empty /var/spool/smtpd && chmod 711 /var/spool/smtpd
# useradd -r opensmtpd; useradd -r opensmtpq; useradd -r Debian-exim
# mount -t overlay overlay -o lowerdir=/opt/r23m/root-libidn12/usr/lib/x86_64-linux-gnu:/usr/lib/x86_64-linux-gnu /usr/lib/x86_64-linux-gnu
