#!/bin/sh
# Round 26: the network namespace r26w (loopback only) with the DNS stub as its resolver.
set -e
ip netns add r26w
ip netns exec r26w ip link set lo up
mkdir -p /etc/netns/r26w
echo "nameserver 127.0.0.1" > /etc/netns/r26w/resolv.conf
printf '127.0.0.1 localhost\n' > /etc/netns/r26w/hosts
