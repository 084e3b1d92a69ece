#!/bin/sh
# Round 25 part m: chasquid's local delivery agent for the sender mailboxes: stores the message
# as chasquid hands it over, one file per delivery (args: recipient user, domain).
exec cat > "/opt/r25m/chmail/$(date +%H%M%S)-$$-$1@$2.eml"
