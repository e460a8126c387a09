/*
 * hwload: the test guest's workload program (static, run from the initramfs's /init).
 *
 *   hwload dirty MIB [PAGES_PER_SECOND]  touch MIB MiB, then write one word in each 4 KiB page in turn, forever,
 *                                        at the given rate (0 or absent: as fast as it can); every second print
 *                                        "hwload dirty <pages written so far>"
 *   hwload spin SECONDS                  keep one CPU busy for SECONDS (0: forever)
 *   hwload counter                       print an increasing counter every 100 ms (a guest that is alive counts on)
 *
 * Hyperwatt's own code (the QEMU probe in ../shared/reference/qemu had a program of the same purpose).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double seconds_now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static int dirty(long mib, double rate) {
  size_t pages = (size_t)mib * 256;
  volatile unsigned long *memory = malloc(pages * 4096);
  if (memory == NULL) {
    fprintf(stderr, "hwload: cannot allocate %ld MiB\n", mib);
    return 1;
  }
  for (size_t page = 0; page < pages; page++) memory[page * 512] = page;
  unsigned long written = 0;
  double start = seconds_now(), next_report = start + 1.0;
  for (size_t page = 0;; page = (page + 1) % pages) {
    memory[page * 512] += 1;
    written++;
    if ((written & 1023) == 0) {
      double now = seconds_now();
      if (rate > 0) {
        double due = start + (double)written / rate;
        if (due > now) {
          struct timespec pause = {(time_t)(due - now), (long)((due - now - (double)(time_t)(due - now)) * 1e9)};
          nanosleep(&pause, NULL);
          now = due;
        }
      }
      if (now >= next_report) {
        printf("hwload dirty %lu\n", written);
        fflush(stdout);
        next_report += 1.0;
      }
    }
  }
}

static int spin(double duration) {
  double end = seconds_now() + duration;
  volatile unsigned long sink = 0;
  while (duration <= 0 || seconds_now() < end) {
    for (int i = 0; i < 100000; i++) sink += (unsigned long)i;
  }
  return 0;
}

static int counter(void) {
  struct timespec pause = {0, 100000000L};
  for (unsigned long n = 0;; n++) {
    printf("hwload counter %lu\n", n);
    fflush(stdout);
    nanosleep(&pause, NULL);
  }
}

int main(int argc, char **argv) {
  if (argc >= 3 && strcmp(argv[1], "dirty") == 0) return dirty(atol(argv[2]), argc >= 4 ? atof(argv[3]) : 0);
  if (argc >= 3 && strcmp(argv[1], "spin") == 0) return spin(atof(argv[2]));
  if (argc >= 2 && strcmp(argv[1], "counter") == 0) return counter();
  fprintf(stderr, "usage: hwload dirty MIB [PAGES_PER_SECOND] | spin SECONDS | counter\n");
  return 2;
}
