#!/bin/sh
# Round 26: qpsmtpd 0.94 receivers, one config dir per instance under /opt/r26w/qp/<n>, started as
# qpsmtpd-forkserver -l 127.0.0.1 -p PORT -u qpsmtpd inside the namespace r26w.
# qp1 2955 qp-rx.example.org (relay, badmailfrom, badrcptto, resolvable_fromhost, headers)
# qp2 2956 qp2-rx.example.org (helo plugin, badhelo lists the sending mox's EHLO name, reject_type perm)
# qp3 2957 qp3-rx.example.org (dnsbl, zone bl.example.net, reject_type perm)
# qp4 2958 qp4-rx.example.org (greylisting, defaults)
# qp5 2959 qp5-rx.example.org (fcrdns, reject_type temp)
# qp6 2976 qp6-rx.example.org (random_error 100)
set -e
mk() {
  n=$1; dom=$2; shift 2
  d=/opt/r26w/qp/$n; mkdir -p $d/config $d/spool $d/maildir $d/grey
  echo "mx.$dom" > $d/config/me
  printf "$dom\nrelay-qp.example.net\n" | head -1 > $d/config/rcpthosts
  [ $n = qp1 ] && echo "$dom" > $d/config/rcpthosts
  echo "/usr/share/qpsmtpd/plugins" > $d/config/plugin_dirs
  echo "$d/spool" > $d/config/spool_dir
  echo "logging/file loglevel LOGINFO /opt/r26w/logs/$n.log" > $d/config/logging
  echo "alice@dm-tx.example.com" > $d/config/badmailfrom
  echo "gone@$dom" > $d/config/badrcptto
  echo "mx.mox-tx.example.com" > $d/config/badhelo
  : > $d/config/relayclients
  echo "bl.example.net" > $d/config/dnsbl_zones
  { for p in "$@"; do echo "$p"; done; echo "rcpt_ok"; echo "queue/maildir $d/maildir"; } > $d/config/plugins
  chown -R qpsmtpd $d
}
mk qp1 qp-rx.example.org relay resolvable_fromhost badmailfrom badrcptto "headers past 15"
mk qp2 qp2-rx.example.org relay "helo reject_type perm"
mk qp3 qp3-rx.example.org relay "dnsbl reject 1 reject_type perm"
mk qp4 qp4-rx.example.org relay "greylisting db_dir /opt/r26w/qp/qp4/grey"
mk qp5 qp5-rx.example.org relay "fcrdns reject_type temp"
mk qp6 qp6-rx.example.org relay "random_error 100"
# added: qp7 2982 qp7-rx.example.org (loop, headers with defaults), qp8 2983 qp8-rx.example.org (loadcheck max_load 0.01)
mk qp7 qp7-rx.example.org relay loop "headers future 2"
mk qp8 qp8-rx.example.org relay "loadcheck max_load 0.01"
