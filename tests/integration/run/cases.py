"""The differential cases: one docker run command line each, run through the
Docker CLI and through sandbox-run.

Fields of a case:
  args      options, image and command. "@IMG@" is the test image, "@REG_IMG@"
            the registry copy, "@DIR@" a scratch directory, "@VOL@" a named
            volume, "@NAME@" a container name unique to each side, "@RUN@" this
            run's id.
  stdin     bytes piped to stdin (default: none, stdin is /dev/null)
  env       extra environment for both processes
  rc        the exit code docker must give (a check on the case itself);
            None when it depends on the host (e.g. --privileged inside a
            container that may not grant every capability)
  stderr    True when stderr is the container's own and must match
  inspect   False when there is no container left to compare (--rm, errors)
  mode      "plain" (default), "tty" (under a pseudo-terminal), "detach",
            "signal" (SIGTERM to the client once the container runs)
  needs     "registry" for cases that pull from 127.0.0.1:5000
"""

SH = ["@IMG@", "sh", "-c"]

CASES = {
    # --- outputs and exit codes
    "echo": dict(args=["@IMG@", "echo", "hello world"], rc=0),
    "exit_status": dict(args=SH + ["echo out; echo err >&2; exit 3"], rc=3, stderr=True),
    "stderr_only": dict(args=SH + ["echo to-stderr >&2"], rc=0, stderr=True),
    "big_output": dict(args=SH + ["seq 1 20000"], rc=0),
    "command_not_found": dict(args=["@IMG@", "no-such-command"], rc=127, inspect=False),
    "not_executable": dict(args=["@IMG@", "/etc/passwd"], rc=126, inspect=False),
    "bad_flag": dict(args=["--no-such-flag", "@IMG@", "true"], rc=125, inspect=False),
    "missing_image_pull_never": dict(args=["--pull", "never", "sandbox-run-test/does-not-exist:latest",
                                           "true"], rc=125, inspect=False),
    "duplicate_name": dict(args=["--name", "sr-diff-dup-@RUN@", "@IMG@", "true"], rc=125,
                           inspect=False, setup="duplicate"),
    "bad_publish": dict(args=["-p", "abc", "@IMG@", "true"], rc=125, inspect=False),
    "bad_volume": dict(args=["-v", "", "@IMG@", "true"], rc=125, inspect=False),
    "bad_mount": dict(args=["--mount", "type=bind", "@IMG@", "true"], rc=125, inspect=False),
    "bad_memory": dict(args=["--memory", "12q", "@IMG@", "true"], rc=125, inspect=False),
    "missing_env_file": dict(args=["--env-file", "@DIR@/nope.env", "@IMG@", "true"], rc=125,
                             inspect=False),
    "daemon_rejects_workdir": dict(args=["-w", "relative", "@IMG@", "true"], rc=125, inspect=False),
    # --- stdin, tty, detach, --rm, signals
    "stdin_piped": dict(args=["-i", "@IMG@", "sh", "-c", "cat; echo done"], stdin=b"line1\nline2\n", rc=0),
    "stdin_wc": dict(args=["--interactive", "@IMG@", "wc", "-c"], stdin=b"x" * 100000, rc=0),
    "stdin_not_attached": dict(args=["@IMG@", "cat"], stdin=b"ignored\n", rc=0),
    "tty": dict(args=["-t", "@IMG@", "sh", "-c", "tty >/dev/null && echo is-a-tty; exit 4"],
                mode="tty", rc=4),
    "tty_interactive": dict(args=["-it", "@IMG@", "sh", "-c", "read x; echo got:$x"],
                            mode="tty", stdin=b"abc\n", rc=0),
    "detach": dict(args=["-d", "@IMG@", "sh", "-c", "exit 0"], mode="detach", rc=0),
    "detach_rm": dict(args=["-d", "--rm", "@IMG@", "true"], mode="detach", rc=0, inspect=False),
    "rm_leaves_nothing": dict(args=["--rm", "--name", "@NAME@", "@IMG@", "echo", "gone"], rc=0,
                              inspect=False, check_removed=True),
    "rm_after_failure": dict(args=["--rm", "--name", "@NAME@", "@IMG@", "sh", "-c", "exit 7"], rc=7,
                             inspect=False, check_removed=True),
    "signal_proxied": dict(args=["--init", "@IMG@", "sleep", "30"], mode="signal", rc=143),
    # --- options and the resulting configuration
    "env": dict(args=["-e", "A=1", "-eB=2", "--env=C=3", "-e", "FROM_HOST", "-e", "UNSET_XYZ",
                      "--env-file", "@DIR@/vars.env", "@IMG@", "sh", "-c",
                      "echo $A $B $C $FROM_HOST $FILE_VAR ${UNSET_XYZ-unset}"],
                env={"FROM_HOST": "host-value"}, rc=0),
    "workdir_user": dict(args=["-w", "/tmp", "-u", "65534:65534", "@IMG@", "sh", "-c", "pwd; id -u; id -g"],
                         rc=0),
    "name_hostname": dict(args=["--name", "@NAME@", "--hostname", "box.example", "@IMG@", "hostname"], rc=0),
    "hostname_short": dict(args=["-h", "shorty", "@IMG@", "cat", "/etc/hostname"], rc=0),
    "volume_bind": dict(args=["-v", "@DIR@:/data:ro", "@IMG@", "cat", "/data/hello.txt"], rc=0),
    "volume_named_anon": dict(args=["-v", "@VOL@:/v", "-v", "/anon", "@IMG@", "sh", "-c", "ls -d /v /anon"],
                              rc=0),
    "mount_bind": dict(args=["--mount", "type=bind,src=@DIR@,dst=/m,readonly", "@IMG@", "sh", "-c",
                             "cat /m/hello.txt; touch /m/x 2>/dev/null || echo read-only"], rc=0),
    "mount_volume": dict(args=["--mount", "type=volume,source=@VOL@,target=/mv,volume-nocopy",
                               "@IMG@", "ls", "-d", "/mv"], rc=0),
    "mount_tmpfs": dict(args=["--mount", "type=tmpfs,destination=/t,tmpfs-size=1m,tmpfs-mode=1770",
                              "@IMG@", "sh", "-c", "stat -c %a /t; df -k /t | tail -1 | awk '{print $2}'"],
                        rc=0),
    "tmpfs_flag": dict(args=["--tmpfs", "/run", "--tmpfs", "/x:rw,size=64k", "@IMG@", "sh", "-c",
                             # sorted: the Docker CLI sends Tmpfs as a Go map, so its mount order is random
                             "grep -E ' /(run|x) ' /proc/mounts | cut -d' ' -f2,3 | sort"], rc=0),
    "entrypoint": dict(args=["--entrypoint", "/bin/echo", "@IMG@", "via", "entrypoint"], rc=0),
    "entrypoint_empty": dict(args=["--entrypoint", "", "@IMG@", "echo", "cmd-only"], rc=0),
    "labels": dict(args=["-l", "a=b", "--label", "c", "-l", "d=e=f", "@IMG@", "true"], rc=0),
    "network_none": dict(args=["--network", "none", "@IMG@", "sh", "-c", "ls /sys/class/net"], rc=0),
    "network_host_alias": dict(args=["--net=host", "@IMG@", "true"], rc=0),
    "add_host": dict(args=["--add-host", "db.internal:10.1.2.3", "--add-host", "v6=::1", "@IMG@",
                           "grep", "-E", "db.internal|v6", "/etc/hosts"], rc=0),
    "publish": dict(serial=True, args=["-p", "127.0.0.1:18451:80", "-p", "127.0.0.1::81/udp", "-p", "82",
                          "-p", "127.0.0.1:18460-18461:90-91", "@IMG@", "true"], rc=0),
    "resources": dict(args=["--memory", "64m", "--cpus", "0.5", "--pids-limit", "50", "--shm-size", "8m",
                            "@IMG@", "sh", "-c", "cat /sys/fs/cgroup/pids.max 2>/dev/null || "
                            "cat /sys/fs/cgroup/pids/pids.max; df -k /dev/shm | tail -1 | awk '{print $2}'"],
                      rc=0),
    "caps": dict(args=["--cap-drop", "ALL", "--cap-add", "chown", "--cap-add", "CAP_KILL", "@IMG@", "sh",
                       "-c", "grep CapEff /proc/self/status"], rc=0),
    "security_readonly": dict(args=["--security-opt", "no-new-privileges", "--read-only", "@IMG@", "sh",
                                    "-c", "touch /x 2>/dev/null || echo ro; grep NoNewPrivs /proc/self/status"],
                              rc=0),
    "runtime_runc": dict(args=["--runtime", "runc", "@IMG@", "true"], rc=0),
    "namespaces": dict(args=["--pid", "host", "--uts=host", "--ipc", "private", "--userns", "host", "@IMG@",
                             "sh", "-c", "test -d /proc/1 && hostname >/dev/null && echo ok"], rc=0),
    "device": dict(args=["--device", "/dev/null:/dev/xnull:r", "--device", "/dev/zero", "@IMG@", "sh", "-c",
                         "test -c /dev/xnull && test -c /dev/zero && echo ok"], rc=0),
    "bad_pid": dict(args=["--pid", "nope", "@IMG@", "true"], rc=125, inspect=False),
    "bad_uts": dict(args=["--uts", "container:x", "@IMG@", "true"], rc=125, inspect=False),
    "bad_ipc": dict(args=["--ipc", "nope", "@IMG@", "true"], rc=125, inspect=False),
    "bad_device_mode": dict(args=["--device", "/dev/null:/x:rwz", "@IMG@", "true"], rc=125, inspect=False),
    "device_relative": dict(args=["--device", "/dev/null:rel", "@IMG@", "true"], rc=125, inspect=False),
    "bad_runtime": dict(args=["--runtime", "sr-no-such-runtime", "@IMG@", "true"], rc=125, inspect=False),
    "privileged": dict(args=["--privileged", "@IMG@", "sh", "-c", "grep CapEff /proc/self/status"], rc=None),
    "init_stop": dict(args=["--init", "--stop-timeout", "3", "--stop-signal", "SIGUSR1", "@IMG@", "sh",
                            "-c", "ps -o comm | sed -n 2p"], rc=0),
    "ulimit": dict(args=["--ulimit", "nofile=100:200", "--ulimit", "nproc=50", "@IMG@", "sh", "-c",
                         "ulimit -n; ulimit -Hn"], rc=0),
    "attach_stdout_only": dict(args=["-a", "stdout", "@IMG@", "sh", "-c", "echo out; echo err >&2"],
                               rc=0, stderr=True),
    "platform_quiet_sigproxy": dict(args=["--platform", "linux/amd64", "-q", "--sig-proxy=false",
                                          "@IMG@", "uname", "-m"], rc=0),
    "bools_false": dict(args=["--rm=false", "--init=false", "--privileged=false", "--read-only=false",
                              "@IMG@", "true"], rc=0),
    "double_dash": dict(args=["--", "@IMG@", "echo", "--", "-x"], rc=0),
    "pull_always_registry": dict(args=["--pull", "always", "@REG_IMG@", "echo", "pulled"], rc=0,
                                 needs="registry"),
    "pull_missing_registry": dict(args=["--pull", "missing", "@REG_IMG@", "echo", "present"], rc=0,
                                  needs="registry"),
}
