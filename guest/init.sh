#!/bin/sh
# /init of Hyperwatt's test guest (busybox-static). Kernel command-line knobs:
#   hw.workload=idle|dirty|spin|counter   hw.mib=<MiB to dirty>   hw.rate=<pages/s, 0 = as fast as possible>
# Then a command agent on the second serial port (ttyS1): each line received is run by the shell, its output sent
# back, then a line "@@HW <exit status>".
export PATH=/bin:/sbin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev 2>/dev/null
for module in virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci virtio_balloon; do
  [ -f /lib/modules/$module.ko ] && insmod /lib/modules/$module.ko 2>/dev/null
done
WORKLOAD=idle; MIB=32; RATE=0
for argument in $(cat /proc/cmdline); do
  case "$argument" in
    hw.workload=*) WORKLOAD=${argument#hw.workload=} ;;
    hw.mib=*) MIB=${argument#hw.mib=} ;;
    hw.rate=*) RATE=${argument#hw.rate=} ;;
  esac
done
case "$WORKLOAD" in
  dirty) /bin/hwload dirty "$MIB" "$RATE" > /dev/ttyS0 2>&1 & ;;
  spin) /bin/hwload spin 0 > /dev/ttyS0 2>&1 & ;;
  counter) /bin/hwload counter > /dev/ttyS0 2>&1 & ;;
esac
# The agent: its port quiet (raw, no echo) and held open before the guest says it is ready, so that a command sent
# at once is neither echoed back nor dropped by a port nobody has open.
stty -F /dev/ttyS1 raw -echo 2>/dev/null
agent() {
  while true; do
    while read -r line; do
      eval "$line"
      echo "@@HW $?"
    done < /dev/ttyS1 > /dev/ttyS1 2>&1
    sleep 1
  done
}
agent &
sleep 0.2
echo "HYPERWATT-GUEST-READY uptime=$(cut -d' ' -f1 /proc/uptime) cpus=$(nproc) workload=$WORKLOAD" > /dev/ttyS0
while true; do sleep 3600; done
