#!/usr/bin/env python3
"""The golden create bodies of the cli unit tests, recorded from the Docker CLI.

Run this (with a daemon up) to re-record every case into golden/<name>.json:
the Docker CLI parses the arguments and its create request is captured by
capture_create.py (nothing is created). "@DATA@" in an argument stands for
this directory; the unit test substitutes it the same way. FROM_ENV is set
and UNSET_VAR / UNSET_IN_FILE are unset while recording, as in the test.
"""
import json
import os
import subprocess
import sys

IMG = "sandbox-run-test/busybox"
CASES = {
    "minimal": [IMG],
    "command": [IMG, "sh", "-c", "echo hi"],
    "interactive_rm": ["-i", "--rm", IMG, "sh"],
    "combined_itd": ["-itd", "--rm", IMG],
    "combined_value_last": ["-die", "A=1", IMG],
    "tty_only": ["-t", IMG],
    "env": ["-e", "A=1", "-eB=2", "--env=C=3", "-e", "FROM_ENV", "-e", "UNSET_VAR",
            "--env-file", "@DATA@/env.list", "-e", "A=4", IMG],
    "entrypoint_empty": ["--entrypoint", "", IMG],
    "entrypoint": ["--entrypoint", "/bin/sh", "--entrypoint=/bin/echo", IMG, "-c", "true"],
    "volumes": ["-v", "/tmp:/data:ro", "-v", "named:/v", "--volume=/anon", "-v", "/a:/b:rw,z", IMG],
    "mounts": ["--mount", "type=bind,src=/tmp,dst=/b,readonly",
               "--mount", "type=volume,source=v2,target=/c,volume-opt=type=tmpfs,volume-opt=device=tmpfs",
               "--mount", "type=tmpfs,destination=/t,tmpfs-size=1m,tmpfs-mode=1770", IMG],
    "mounts_more": ["--mount", "type=bind,src=/tmp,dst=/b,readonly=false,bind-propagation=rslave",
                    "--mount", "type=volume,dst=/anon,volume-nocopy",
                    "--mount", "type=tmpfs,dst=/t",
                    "--mount", "type=volume,src=n1,dst=/n,ro=true,volume-driver=local,volume-label=a=b",
                    "--mount", "dst=/default-type", IMG],
    "ports": ["-p", "80", "-p", "127.0.0.1:8080:80/udp", "-p", "9000-9001:9000-9001",
              "-p", "127.0.0.1::81", "-p", "[::1]:82:82", "-p", "8000-8002:83",
              "-p", "published=8443,target=443", "-p", "84/SCTP", "-p", "80", IMG],
    "resources": ["--memory", "1g", "--cpus", "1.5", "--pids-limit", "10", "--shm-size", "64m", IMG],
    "resources_short": ["-m", "1.5g", "--cpus=0.25", "--pids-limit=-1", "--shm-size=100k", IMG],
    "caps": ["--cap-add", "net_admin", "--cap-add", "CAP_SYS_TIME", "--cap-add", "net_admin",
             "--cap-drop", "chown", "--cap-drop", "ALL", IMG],
    "security": ["--security-opt", "no-new-privileges", "--security-opt", "seccomp=unconfined",
                 "--security-opt", "label=disable", "--security-opt", "apparmor:unconfined",
                 "--privileged", "--read-only", IMG],
    "seccomp_file": ["--security-opt", "seccomp=@DATA@/seccomp.json", IMG],
    "systempaths": ["--security-opt", "systempaths=unconfined", IMG],
    "tmpfs": ["--tmpfs", "/run", "--tmpfs", "/x:rw,size=64k,mode=1777", IMG],
    "init_stop": ["--init", "--stop-timeout", "5", "--stop-signal", "SIGUSR1", IMG],
    "ulimits": ["--ulimit", "nofile=100:200", "--ulimit", "nproc=5", "--ulimit", "core=0:1",
                "--ulimit", "nofile=-1", IMG],
    "identity": ["--name", "golden-x", "-h", "host.example", "-u", "1:2", "-w", "/tmp",
                 "-l", "a=b", "-l", "c", "--label=d=e=f", "-l", "a=z", IMG],
    "network_host": ["--net", "host", "--add-host", "a:1.2.3.4", "--add-host", "b=::1",
                     "--add-host", "c=[::2]", "--add-host", "gw:host-gateway", IMG],
    "network_named": ["--network=mynet", IMG],
    "network_none": ["--network", "none", IMG],
    "attach": ["-a", "stdout", "-a", "STDERR", IMG],
    "attach_stdin": ["-a", "stdin", IMG],
    "attach_interactive": ["-a", "stderr", "-i", IMG],
    "pull_platform": ["--platform", "linux/amd64", "-q", "--sig-proxy=false", IMG],
    "bools_false": ["--rm=false", "--init=false", "--privileged=false", "-t=false",
                    "--read-only=false", "-i=false", IMG],
    "double_dash": ["-e", "X=1", "--", IMG, "-x", "--y", "--", "-e"],
    "options_stop_at_image": [IMG, "--rm", "-e", "X=1"],
    "everything": ["-i", "--rm", "--name", "golden-all", "-e", "K=V", "-v", "/tmp:/t", "-w", "/t",
                   "-u", "0", "-p", "127.0.0.1:18080:80", "--cap-drop", "ALL", "--memory", "64m",
                   "--init", "--read-only", "--tmpfs", "/tmp", "-l", "x=y", IMG, "sh", "-c", "id"],
    "restart": ["--restart", "on-failure:3", IMG],
    "restart_always": ["--restart=always", IMG],
    "health": ["--health-cmd", "wget -q localhost || exit 1", "--health-interval", "1m30s",
               "--health-timeout", "500ms", "--health-start-period", "1.5h", "--health-retries", "3", IMG],
    "health_interval_only": ["--health-interval", "2s", IMG],
    "no_healthcheck": ["--no-healthcheck", IMG],
    "logging": ["--log-driver", "json-file", "--log-opt", "max-size=1m", "--log-opt", "max-file=3",
                "--log-opt", "mode", IMG],
    "dns": ["--dns", "127.0.0.1", "--dns", "::1", "--dns-search", "example.com", "--dns-search", ".",
            "--dns-option", "ndots:2", "--dns-opt", "timeout:1", IMG],
    "sysctl_groups": ["--sysctl", "net.ipv4.ip_forward=1", "--sysctl", "kernel.shmmax=65536",
                      "--sysctl", "net.core.x=a=b", "--group-add", "123", "--group-add", "audio", IMG],
    "network_endpoint": ["--network", "mynet", "--ip", "172.30.0.5", "--ip6", "fd00::5",
                         "--network-alias", "a", "--net-alias", "b", "--link-local-ip", "169.254.1.1",
                         "--link", "other:al", "--link", "plain", IMG],
    "links_default": ["--link", "other:al", "--link", "plain", "--ip", "172.30.0.9", IMG],
    "expose": ["--expose", "80", "--expose", "90-92/udp", "--expose", "80/tcp", "-P", IMG],
    "label_file": ["--label-file", "@DATA@/labels.list", "-l", "b=flag", IMG],
    "cpu": ["-c", "512", "--cpu-period", "100000", "--cpu-quota", "50000", "--cpu-rt-period", "1000",
            "--cpu-rt-runtime", "100", "--cpuset-cpus", "0-1", "--cpuset-mems", "0", IMG],
    "memory_more": ["-m", "64m", "--memory-reservation", "32m", "--memory-swap", "-1",
                    "--memory-swappiness", "10", "--kernel-memory", "8m", "--oom-kill-disable",
                    "--oom-score-adj", "-500", IMG],
    "memory_swap_bytes": ["-m", "64m", "--memory-swap", "128m", IMG],
    "blkio": ["--blkio-weight", "300", "--blkio-weight-device", "/dev/sda:200",
              "--device-read-bps", "/dev/sda:1mb", "--device-write-bps", "/dev/sda:2048",
              "--device-read-iops", "/dev/sda:100", "--device-write-iops", "/dev/sdb:200",
              "--device-cgroup-rule", "c 1:3 rwm", "--device-cgroup-rule", "b *:* r", IMG],
    "cgroups_storage": ["--cgroupns", "private", "--cgroup-parent", "/sr-parent", "--storage-opt", "size=1G",
                        "--storage-opt", "x=a=b", "--volume-driver", "local", "--domainname", "d.example", IMG],
    "gpus_all": ["--gpus", "all", IMG],
    "gpus_devices": ["--gpus", '"device=0,2","capabilities=compute,utility",driver=nvidia', IMG],
    "gpus_count_options": ["--gpus", "2", "--gpus", 'count=all,"options=a=b,c=d"', IMG],
    "cidfile": ["--cidfile", "/tmp/sr-golden-cidfile", IMG],
    "detach_keys": ["--detach-keys", "ctrl-x,x", "-d", IMG],
    "content_trust_off": ["--disable-content-trust", IMG],
    "ipc_host_init": ["--ipc", "host", "--init=true", IMG],
}


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    out_dir = os.path.join(here, "golden")
    os.makedirs(out_dir, exist_ok=True)
    os.environ["FROM_ENV"] = "from-env"
    for var in ("UNSET_VAR", "UNSET_IN_FILE"):
        os.environ.pop(var, None)
    only = sys.argv[1:]
    for name, args in CASES.items():
        if only and name not in only:
            continue
        real = ["--pull", "never"] + [a.replace("@DATA@", here) for a in args]
        subprocess.run([sys.executable, os.path.join(here, "capture_create.py"),
                        os.path.join("golden", name), "--"] + real, check=True)
        path = os.path.join(out_dir, name + ".json")
        with open(path) as f:
            rec = json.load(f)
        rec["args"] = ["--pull", "never"] + args  # keep the placeholder
        with open(path, "w") as f:
            json.dump(rec, f, indent=1, sort_keys=True)
            f.write("\n")
        print("recorded", name)


if __name__ == "__main__":
    main()
