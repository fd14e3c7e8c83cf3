/* rusage_exec OUTFILE COMMAND [ARG...]
 *
 * Runs COMMAND (fork + execvp), waits for it with wait4() and writes one line
 * to OUTFILE:  <wall_ns> <user_us> <sys_us> <maxrss_kib> <wait_status>
 *
 * Why a helper: Linux carries the parent's peak RSS into the child's ru_maxrss
 * across fork/vfork + exec (exec_mmap() folds the old mm's high-water mark into
 * signal->maxrss). Spawned straight from Python, every launcher would report
 * at least the interpreter's ~15 MiB. This helper is linked statically, so the
 * floor it adds is its own few hundred KiB (measured and printed by
 * bench_launch.py as "RSS floor").
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: rusage_exec OUTFILE COMMAND [ARG...]\n");
    return 2;
  }
  struct timespec start, end;
  clock_gettime(CLOCK_MONOTONIC, &start);
  pid_t pid = fork();
  if (pid < 0) {
    perror("rusage_exec: fork");
    return 2;
  }
  if (pid == 0) {
    execvp(argv[2], argv + 2);
    perror("rusage_exec: exec");
    _exit(127);
  }
  int status = 0;
  struct rusage ru;
  if (wait4(pid, &status, 0, &ru) < 0) {
    perror("rusage_exec: wait4");
    return 2;
  }
  clock_gettime(CLOCK_MONOTONIC, &end);
  long long wall_ns = (end.tv_sec - start.tv_sec) * 1000000000LL + (end.tv_nsec - start.tv_nsec);
  long long user_us = ru.ru_utime.tv_sec * 1000000LL + ru.ru_utime.tv_usec;
  long long sys_us = ru.ru_stime.tv_sec * 1000000LL + ru.ru_stime.tv_usec;
  FILE *out = fopen(argv[1], "w");
  if (!out) {
    perror("rusage_exec: open OUTFILE");
    return 2;
  }
  fprintf(out, "%lld %lld %lld %ld %d\n", wall_ns, user_us, sys_us, ru.ru_maxrss, status);
  if (fclose(out) != 0) {
    perror("rusage_exec: write OUTFILE");
    return 2;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
