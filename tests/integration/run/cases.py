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
  cidfile   True: the --cidfile each side wrote must hold its container's ID
  options   the docker run options the case is for (counted by OPTION_CASES)

"@NET@" is a user-defined network and "@LINK@" a running container, both
created by the suite. Error cases compare the exit code and that both fail
(stderr says "error"); docker's own status is pinned by rc.
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
    # --- the rest of the option table: one case (or more) per option, errors included
    "restart_on_failure": dict(args=["--restart", "on-failure:2", "@IMG@", "true"], rc=0),
    "restart_always_detached": dict(args=["-d", "--restart", "always", "@IMG@", "sleep", "1"], mode="detach",
                                    rc=0, inspect=False),
    "restart_with_rm": dict(args=["--rm", "--restart", "always", "@IMG@", "true"], rc=125, inspect=False),
    "restart_bad_count": dict(args=["--restart", "on-failure:x", "@IMG@", "true"], rc=125, inspect=False),
    "restart_bad_name": dict(args=["--restart", "bogus", "@IMG@", "true"], rc=125, inspect=False),
    "health": dict(args=["--health-cmd", "true", "--health-interval", "1m30s", "--health-timeout", "500ms",
                         "--health-start-period", "2s", "--health-retries", "3", "@IMG@", "true"], rc=0),
    "no_healthcheck": dict(args=["--no-healthcheck", "@IMG@", "true"], rc=0),
    "health_bad_duration": dict(args=["--health-interval", "5x", "@IMG@", "true"], rc=125, inspect=False),
    "health_negative": dict(args=["--health-timeout", "-1s", "--health-cmd", "true", "@IMG@", "true"], rc=125,
                            inspect=False),
    "health_conflict": dict(args=["--no-healthcheck", "--health-retries", "2", "@IMG@", "true"], rc=125,
                            inspect=False),
    "logging": dict(args=["--log-driver", "json-file", "--log-opt", "max-size=1m", "--log-opt", "max-file=2",
                          "@IMG@", "echo", "logged"], rc=0),
    "log_none_with_opts": dict(args=["--log-driver", "none", "--log-opt", "a=b", "@IMG@", "true"], rc=125,
                               inspect=False),
    "log_bad_driver": dict(args=["--log-driver", "sr-no-such-driver", "@IMG@", "true"], rc=125, inspect=False),
    "dns": dict(args=["--dns", "127.0.0.1", "--dns-search", "example.com", "--dns-search", ".",
                      "--dns-option", "ndots:2", "--dns-opt", "timeout:1", "@IMG@", "cat", "/etc/resolv.conf"],
                rc=0),
    "dns_bad_server": dict(args=["--dns", "1.2.3", "@IMG@", "true"], rc=125, inspect=False),
    "dns_bad_search": dict(args=["--dns-search", "a b", "@IMG@", "true"], rc=125, inspect=False),
    "sysctl_groups_domain": dict(args=["--sysctl", "net.ipv4.ip_unprivileged_port_start=80", "--group-add", "123",
                                       "--domainname", "d.example", "@IMG@", "sh", "-c",
                                       "cat /proc/sys/net/ipv4/ip_unprivileged_port_start; id -G; "
                                       "cat /proc/sys/kernel/domainname"], rc=0),
    "sysctl_not_allowed": dict(args=["--sysctl", "kernel.foo=1", "@IMG@", "true"], rc=125, inspect=False),
    "group_add_unknown": dict(args=["--group-add", "sr-no-such-group", "@IMG@", "true"], rc=125, inspect=False),
    "expose_publish_all": dict(args=["--expose", "7000-7001/udp", "--expose", "7002", "-P", "@IMG@", "true"], rc=0),
    "expose_bad": dict(args=["--expose", "80:80", "@IMG@", "true"], rc=125, inspect=False),
    "expose_bad_range": dict(args=["--expose", "90-80", "@IMG@", "true"], rc=125, inspect=False),
    "label_file": dict(args=["--label-file", "@DIR@/labels.list", "-l", "b=flag", "@IMG@", "true"], rc=0),
    "label_file_missing": dict(args=["--label-file", "@DIR@/nope.list", "@IMG@", "true"], rc=125, inspect=False),
    "cpu": dict(args=["-c", "512", "--cpu-period", "100000", "--cpu-quota", "50000", "--cpuset-cpus", "0",
                      "--cpuset-mems", "0", "@IMG@", "true"], rc=0),
    "cpu_realtime": dict(args=["--cpu-rt-period", "1000", "--cpu-rt-runtime", "100", "@IMG@", "true"],
                         rc=None),  # 125 where the cgroup has no real-time budget to give
    "cpu_conflict": dict(args=["--cpus", "1", "--cpu-period", "1000", "@IMG@", "true"], rc=125, inspect=False),
    "cpu_shares_bad": dict(args=["-c", "x", "@IMG@", "true"], rc=125, inspect=False),
    "cpuset_unavailable": dict(args=["--cpuset-cpus", "99", "@IMG@", "true"], rc=125, inspect=False),
    "memory_more": dict(args=["-m", "64m", "--memory-reservation", "32m", "--memory-swap", "128m",
                              "--memory-swappiness", "10", "--oom-score-adj", "100", "@IMG@", "cat",
                              "/proc/self/oom_score_adj"], rc=0),
    "oom_kill_disable": dict(args=["--oom-kill-disable", "-m", "64m", "--memory-swap", "-1", "@IMG@", "true"], rc=0),
    "oom_score_out_of_range": dict(args=["--oom-score-adj", "2000", "@IMG@", "true"], rc=125, inspect=False),
    "swappiness_bad": dict(args=["--memory-swappiness", "200", "@IMG@", "true"], rc=125, inspect=False),
    "memory_swap_bad": dict(args=["--memory-swap", "x", "@IMG@", "true"], rc=125, inspect=False),
    "kernel_memory": dict(args=["--kernel-memory", "8m", "@IMG@", "true"], rc=0),
    "kernel_memory_too_small": dict(args=["--kernel-memory", "4m", "@IMG@", "true"], rc=125, inspect=False),
    "blkio_weight": dict(args=["--blkio-weight", "300", "--blkio-weight-device", "/dev/null:200", "@IMG@",
                               "true"], rc=0),
    "blkio_weight_device_bad": dict(args=["--blkio-weight-device", "/x:10", "@IMG@", "true"], rc=125,
                                    inspect=False),
    "blkio_throttle_char_device": dict(args=["--device-read-bps", "/dev/null:1mb", "--device-write-iops",
                                             "/dev/null:10", "--device-write-bps", "/dev/null:1k", "@IMG@", "true"], rc=125, inspect=False),
    "blkio_throttle_bad": dict(args=["--device-read-iops", "/dev/null:-1", "@IMG@", "true"], rc=125,
                               inspect=False),
    "device_cgroup_rule": dict(args=["--device-cgroup-rule", "c 1:3 rwm", "--device-cgroup-rule", "b *:* r",
                                     "@IMG@", "true"], rc=0),
    "device_cgroup_rule_bad": dict(args=["--device-cgroup-rule", "z 1:1 r", "@IMG@", "true"], rc=125,
                                   inspect=False),
    "cgroupns": dict(args=["--cgroupns", "private", "@IMG@", "true"], rc=0),
    "cgroupns_bad": dict(args=["--cgroupns", "bogus", "@IMG@", "true"], rc=125, inspect=False),
    "cgroup_parent": dict(args=["--cgroup-parent", "/sr-diff-parent", "@IMG@", "true"], rc=0),
    "storage_opt_unsupported_fs": dict(args=["--storage-opt", "size=1G", "@IMG@", "true"], rc=125, inspect=False),
    "storage_opt_bad": dict(args=["--storage-opt", "size", "@IMG@", "true"], rc=125, inspect=False),
    "volume_driver": dict(args=["--volume-driver", "local", "-v", "@VOL@:/v", "@IMG@", "true"], rc=0),
    "volume_driver_unknown": dict(args=["--volume-driver", "sr-no-such-plugin", "-v", "sr-diff-nodrv-@RUN@:/x",
                                        "@IMG@", "true"], rc=125, inspect=False),
    "gpus_no_driver": dict(args=["--gpus", "all", "@IMG@", "true"], rc=125, inspect=False),
    "gpus_bad": dict(args=["--gpus", "count=x", "@IMG@", "true"], rc=125, inspect=False),
    "cidfile": dict(args=["--cidfile", "@DIR@/@NAME@.cid", "@IMG@", "true"], rc=0, cidfile=True),
    "cidfile_exists": dict(args=["--cidfile", "@DIR@/hello.txt", "@IMG@", "true"], rc=125, inspect=False),
    "link": dict(args=["--link", "@LINK@:db", "@IMG@", "sh", "-c", "grep -cw db /etc/hosts"], rc=0),
    "link_bad": dict(args=["--link", "a:b:c", "@IMG@", "true"], rc=125, inspect=False),
    "link_missing": dict(args=["--link", "sr-no-such-container:x", "@IMG@", "true"], rc=125, inspect=False),
    "network_alias": dict(args=["--network", "@NET@", "--network-alias", "a1", "--net-alias", "a2",
                                "--link-local-ip", "169.254.7.7", "@IMG@", "true"], rc=0),
    "network_alias_default": dict(args=["--network-alias", "a1", "@IMG@", "true"], rc=125, inspect=False),
    "ip_on_default_network": dict(args=["--ip", "172.30.0.5", "@IMG@", "true"], rc=125, inspect=False),
    "ip6_bad": dict(args=["--network", "@NET@", "--ip6", "1.2.3.4", "@IMG@", "true"], rc=125, inspect=False),
    "stop_signal_bad": dict(args=["--stop-signal", "NOPE", "@IMG@", "true"], rc=125, inspect=False),
    "detach_keys_detached": dict(args=["-d", "--detach-keys", "ctrl-x,x", "@IMG@", "true"], mode="detach", rc=0),
    "detach_keys_tty": dict(args=["-it", "@IMG@", "sh", "-c", "echo ready; sleep 20; exit 3"], mode="tty",
                            stdin=b"\x10\x11", rc=0, inspect=False),
    "content_trust_disabled": dict(args=["--disable-content-trust", "@IMG@", "true"], rc=0),
    "volumes_from": dict(args=["--volumes-from", "@LINK@:ro", "@IMG@", "true"], rc=0),
    "volumes_from_missing": dict(args=["--volumes-from", "sr-diff-no-such-@RUN@", "@IMG@", "true"], rc=125,
                                 inspect=False),
    "isolation_windows_only": dict(args=["--isolation", "hyperv", "@IMG@", "true"], rc=125, inspect=False),
}

SHORT = {"a": "attach", "c": "cpu-shares", "d": "detach", "e": "env", "h": "hostname", "i": "interactive",
         "l": "label", "m": "memory", "p": "publish", "P": "publish-all", "q": "quiet", "t": "tty",
         "u": "user", "v": "volume", "w": "workdir"}
ALIASES = {"net": "network", "net-alias": "network-alias", "dns-opt": "dns-option"}

# docker run options without a differential case here, and why.
NO_CASE = {
    "help": "prints usage; not a container",
    "mac-address": "docker 28 refuses it against an API 1.41 daemon (\"specify mac-address per network\"); "
                   "the create body is checked in tests/unit/cli/options_more_test.cpp",
    "use-api-socket": "refused by sandbox-run (it hands the sandbox the daemon); docker runs it",
    "ip": "covered as an error case only: two containers cannot hold one fixed address",
}


def options_of(args):
    """The option names (long form) a case's arguments use, up to the image."""
    names = []
    for a in args:
        if a.startswith("@IMG@") or a.startswith("@REG_IMG@") or a == "--":
            break
        if a.startswith("--"):
            name = a[2:].split("=")[0]
            names.append(ALIASES.get(name, name))
        elif a.startswith("-") and len(a) > 1 and a[1] in SHORT:
            for c in a[1:]:
                if c not in SHORT:
                    break
                names.append(SHORT[c])
    return names


# The options each case exercises, for the count the suite reports.
OPTION_CASES = {}
for _n, _c in CASES.items():
    for _o in options_of(_c["args"]):
        OPTION_CASES.setdefault(_o, []).append(_n)

# Cases left out when the daemon is Podman's compat API (podman 4.3,
# tests/integration/run/test_podman.py), each with the difference it shows;
# docs/docker-run-compat.md lists them.
_START_409 = ("Podman reports a failed start at the attach (409 \"preparing container\"): the Docker CLI "
              "exits 1 with \"unable to upgrade to tcp, received 409\", sandbox-run 125 with Podman's message")
PODMAN_DIFFERENCES = {
    "rm_after_failure": "Podman's compat wait reports exit 0 for --rm containers (docker gives 7)",
    "attach_stdout_only": "the Docker CLI panics in stdcopy on Podman's attach stream with -a stdout",
    "device": "the Docker CLI fails with \"unknown server OS\" (Podman's /info has no OSType) on --device",
    "bad_runtime": "Podman accepts an unknown --runtime at create",
    "gpus_no_driver": "Podman ignores DeviceRequests",
    "isolation_windows_only": "Podman ignores Isolation, so the Docker CLI succeeds",
    "kernel_memory_too_small": "Podman ignores KernelMemory",
    "volume_driver_unknown": "Podman ignores VolumeDriver",
    "link": "Podman refuses --link (\"link is not supported\")",
    "publish": "Podman lists the assigned host ports in HostConfig.PortBindings",
    "expose_publish_all": "Podman lists the assigned host ports in HostConfig.PortBindings",
    "volume_named_anon": "Podman lists anonymous volumes in HostConfig.Binds under generated names",
    "command_not_found": _START_409, "not_executable": _START_409, "daemon_rejects_workdir": _START_409,
    "blkio_weight": _START_409, "blkio_throttle_char_device": _START_409, "cpu_realtime": _START_409,
    "group_add_unknown": _START_409, "ip6_bad": _START_409, "ip_on_default_network": _START_409,
    "oom_score_out_of_range": _START_409,
}
